from dj_rest_auth.registration.views import ResendEmailVerificationView, VerifyEmailView
from django.http import JsonResponse
from rest_framework.generics import RetrieveUpdateAPIView

from backend.accounts.serializers import UserSettingsSerializer


class UserSettingsApi(RetrieveUpdateAPIView):
    """GET, PUT and PATCH the signed-in user's UI settings (language, page size)."""

    serializer_class = UserSettingsSerializer

    def get_object(self):
        return self.request.user


# dj-rest-auth throttles its other auth views under this scope, but not these two, and the
# second one sends mail.
class VerifyEmailApi(VerifyEmailView):
    throttle_scope = "dj_rest_auth"


class ResendEmailVerificationApi(ResendEmailVerificationView):
    throttle_scope = "dj_rest_auth"


def verification_sent(request):
    return JsonResponse({"detail": "A verification mail was sent: follow the link in it."})
