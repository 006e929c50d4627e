from django.contrib import admin

from backend.jobs.models import ProcessingRequest, ProcessingResult


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


@admin.register(ProcessingResult)
class ProcessingResultAdmin(admin.ModelAdmin):
    list_display = ("request", "created_at")
    list_select_related = ("request",)
    search_fields = ("=request__id", "request__title")
    raw_id_fields = ("request",)
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("request__input_text")
