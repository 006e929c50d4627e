from allauth.account.adapter import get_adapter
from dj_rest_auth.registration.views import (
    RegisterView,
    ResendEmailVerificationView,
    VerifyEmailView,
)
from django.db import transaction
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from rest_framework import status
from rest_framework.generics import RetrieveUpdateAPIView
from rest_framework.response import Response

from backend.accounts.serializers import UserSettingsSerializer


# The views below write more than one row (the user, its address, its token; the address and
# the user's primary address): all or nothing, since requests are not atomic (settings).
@method_decorator(transaction.atomic, name="post")
class RegisterApi(RegisterView):
    """dj-rest-auth's registration, without telling whether an address has an account
    (allauth's ACCOUNT_PREVENT_ENUMERATION): an existing address gets the same answer as a new
    one, and its owner a mail saying someone tried to sign up with it."""

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.existing_account:
            email = serializer.validated_data["email"]
            get_adapter(request).send_account_already_exists_mail(email)
        else:
            self.perform_create(serializer)
        # Mandatory verification (settings): {"detail": "Verification e-mail sent."} either way.
        return Response(self.get_response_data(None), status=status.HTTP_201_CREATED)


class UserSettingsApi(RetrieveUpdateAPIView):
    """GET, PUT and PATCH the signed-in user's UI settings (language, page size)."""

    serializer_class = UserSettingsSerializer

    def get_object(self):
        return self.request.user


# dj-rest-auth throttles its other auth views under this scope, but not these two, and the
# second one sends mail.
@method_decorator(transaction.atomic, name="post")
class VerifyEmailApi(VerifyEmailView):
    throttle_scope = "dj_rest_auth"


class ResendEmailVerificationApi(ResendEmailVerificationView):
    throttle_scope = "dj_rest_auth"


def verification_sent(request):
    return JsonResponse({"detail": "A verification mail was sent: follow the link in it."})
