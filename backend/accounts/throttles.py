from django.contrib import admin
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.throttling import SimpleRateThrottle


class AdminLoginThrottle(SimpleRateThrottle):
    """Sign-in attempts at the admin, per client address, at the same rate as the API's auth
    endpoints (scope "dj_rest_auth"; env DJANGO_AUTH_THROTTLE_RATE): the admin's form must not
    be the way around the API's limit on guessing passwords."""

    scope = "dj_rest_auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": "admin_login", "ident": self.get_ident(request)}


# csrf_exempt only here, so that a refused CSRF check still counts as an attempt: the admin's
# LoginView checks CSRF itself (csrf_protect on its dispatch) once the throttle let it through.
@csrf_exempt
def throttled_admin_login(request, **kwargs):
    if request.method == "POST":
        throttle = AdminLoginThrottle()
        if not throttle.allow_request(request, None):
            response = HttpResponse(
                "Too many sign-in attempts; try again later.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(int(throttle.wait() or 60))
            return response
    return admin.site.login(request, **kwargs)
