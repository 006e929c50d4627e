from django.contrib import admin

from backend.core.models import SetupFlag


@admin.register(SetupFlag)
class SetupFlagAdmin(admin.ModelAdmin):
    list_display = ("name", "done_at")
    readonly_fields = ("done_at",)
