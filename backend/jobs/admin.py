from django.contrib import admin

from backend.jobs.models import Job, JobResult
from backend.jobs.outputs import OUTPUTS
from backend.jobs.services import job_delete


class JobResultInline(admin.StackedInline):
    model = JobResult
    can_delete = False
    readonly_fields = ("data", *(output.field for output in OUTPUTS), "created_at")
    extra = 0
    max_num = 0


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "status", "attempts", "created_at", "finished_at")
    list_filter = ("status",)
    search_fields = ("title", "owner__email", "=id", "=celery_task_id")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "id",
        "celery_task_id",
        "attempts",
        "created_at",
        "queued_at",
        "started_at",
        "finished_at",
    )
    inlines = (JobResultInline,)

    def get_queryset(self, request):
        # The change list must not load every row's input text (up to 1 MB each).
        queryset = super().get_queryset(request)
        return (
            queryset.defer("input_text")
            if request.resolver_match.url_name.endswith("changelist")
            else queryset
        )

    # Through the service, as the API deletes: the row lock orders the delete against a worker
    # saving the job's results. (Files and the revoke follow any delete: job_after_delete.)
    def delete_model(self, request, obj):
        job_delete(job=obj)

    def delete_queryset(self, request, queryset):
        for job in queryset.defer("input_text"):
            job_delete(job=job)


@admin.register(JobResult)
class JobResultAdmin(admin.ModelAdmin):
    list_display = ("job", "created_at")
    list_select_related = ("job",)
    search_fields = ("=job__id", "job__title")
    raw_id_fields = ("job",)
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("job__input_text")

    def has_delete_permission(self, request, obj=None):
        """Not on its own: a completed job without its result has nothing to show or download.

        A result still goes with its job, or its job's owner: the admin asks this of every
        object a delete would cascade to, from the job's or the user's delete page, and a
        plain False there would refuse those deletes too.
        """
        own_views = f"{self.opts.app_label}_{self.opts.model_name}_"
        match = request.resolver_match
        if match is None or (match.url_name or "").startswith(own_views):
            return False
        return super().has_delete_permission(request, obj)
