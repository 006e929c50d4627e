from django.db import models


class SetupFlag(models.Model):
    """Marks one-time setup steps as done (seed section 13), so a restart never repeats them."""

    name = models.CharField(max_length=200, unique=True)
    done_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name
