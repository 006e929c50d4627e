from django.urls import path

from backend.jobs import apis

app_name = "jobs"

# Clients may leave the trailing slash off: backend.core.middleware handles that.
urlpatterns = [
    path("create/", apis.JobCreateApi.as_view(), name="create"),
    path("status/<uuid:job_id>/", apis.JobStatusApi.as_view(), name="status"),
    path("results/<uuid:job_id>/", apis.JobResultsApi.as_view(), name="results"),
    path("list/", apis.JobListApi.as_view(), name="list"),
    path("delete/<uuid:job_id>/", apis.JobDeleteApi.as_view(), name="delete"),
    path("download/<uuid:job_id>/<str:kind>/", apis.JobDownloadApi.as_view(), name="download"),
    path("download-archive/<uuid:job_id>/", apis.JobArchiveApi.as_view(), name="download-archive"),
]
