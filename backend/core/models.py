from django.db import models


class SetupFlag(models.Model):
    """Marks one-time setup steps as done (a fixture loaded once), so a restart never repeats them
    and an admin's edits to that data survive it."""

    name = models.CharField(max_length=200, unique=True)
    done_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name
