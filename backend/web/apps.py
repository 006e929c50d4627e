from django.apps import AppConfig
from django.core.signals import setting_changed


class WebConfig(AppConfig):
    """The Django page that mounts the Vue app (frontend/), through django-vite."""

    name = "backend.web"
    label = "web"

    def ready(self):
        from backend.web.vite import reset_loader_on_setting_change

        setting_changed.connect(reset_loader_on_setting_change, dispatch_uid="web.vite-reset")
