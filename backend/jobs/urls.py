from django.urls import path

from backend.jobs import apis
from backend.jobs.outputs import OUTPUTS

app_name = "jobs"

# Clients may leave the trailing slash off: backend.core.middleware handles that.
urlpatterns = [
    path("create/", apis.JobCreateApi.as_view(), name="create"),
    path("status/<uuid:job_id>/", apis.JobStatusApi.as_view(), name="status"),
    path("results/<uuid:job_id>/", apis.JobResultsApi.as_view(), name="results"),
    path("list/", apis.JobListApi.as_view(), name="list"),
    path("delete/<uuid:job_id>/", apis.JobDeleteApi.as_view(), name="delete"),
    *(
        path(
            output.route, apis.JobDownloadApi.as_view(), {"kind": output.kind}, name=output.url_name
        )
        for output in OUTPUTS
    ),
    # Any other kind: a JSON 404 that names the downloads there are.
    path("download/<uuid:job_id>/<str:kind>/", apis.JobUnknownDownloadApi.as_view()),
]
