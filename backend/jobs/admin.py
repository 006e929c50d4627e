from django.contrib import admin

from backend.jobs.models import ProcessingRequest, ProcessingResult
from backend.jobs.services import job_delete


class ProcessingResultInline(admin.StackedInline):
    model = ProcessingResult
    can_delete = False
    readonly_fields = ("data", "terms_csv", "report_md", "archive_zip", "created_at")
    extra = 0
    max_num = 0


@admin.register(ProcessingRequest)
class ProcessingRequestAdmin(admin.ModelAdmin):
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
    inlines = (ProcessingResultInline,)

    def get_queryset(self, request):
        # The change list must not load every row's input text (up to 1 MB each).
        queryset = super().get_queryset(request)
        return (
            queryset.defer("input_text")
            if request.resolver_match.url_name.endswith("changelist")
            else queryset
        )

    # Through the service, as the API deletes: the row lock orders the delete against a worker
    # saving the job's results. (Files and the revoke follow any delete: signals.py.)
    def delete_model(self, request, obj):
        job_delete(job=obj)

    def delete_queryset(self, request, queryset):
        for job in queryset.defer("input_text"):
            job_delete(job=job)


@admin.register(ProcessingResult)
class ProcessingResultAdmin(admin.ModelAdmin):
    list_display = ("request", "created_at")
    list_select_related = ("request",)
    search_fields = ("=request__id", "request__title")
    raw_id_fields = ("request",)
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("request__input_text")

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
