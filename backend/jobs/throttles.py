from rest_framework.throttling import ScopedRateThrottle


class JobCreateThrottle(ScopedRateThrottle):
    """Submissions per user: the rate REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] gives the view's
    throttle_scope ("jobs_create"; env DJANGO_JOBS_CREATE_THROTTLE_RATE).

    Each job takes a worker's time and up to 10 MB of MEDIA_ROOT, so one account must not be
    able to queue them without end. DEFAULT_RATE applies when the settings name no rate for the
    scope: DRF would raise ImproperlyConfigured there, a 500 on every submission.
    """

    DEFAULT_RATE = "60/minute"

    def get_rate(self):
        return self.THROTTLE_RATES.get(self.scope, self.DEFAULT_RATE)
