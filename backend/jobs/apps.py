from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "backend.jobs"
    label = "jobs"
    verbose_name = "Text analysis jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from backend.jobs import signals

        signals.connect()
