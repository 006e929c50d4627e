"""dj-rest-auth's serializers, made strict: unknown fields and over-long values answer 400 with a
message per field (REST_AUTH in settings points here)."""

from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from allauth.account.utils import user_pk_to_url_str
from dj_rest_auth import serializers as rest_auth
from dj_rest_auth.registration.serializers import RegisterSerializer as BaseRegisterSerializer
from django.conf import settings
from rest_framework import serializers

from backend.accounts.models import User
from backend.core.serializers import ModelFieldsOnceMixin, RejectUnknownFieldsMixin

EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length


class LoginSerializer(RejectUnknownFieldsMixin, rest_auth.LoginSerializer):
    username = None
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)
    password = serializers.CharField(style={"input_type": "password"}, max_length=128)


class RegisterSerializer(RejectUnknownFieldsMixin, BaseRegisterSerializer):
    username = None
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)
    password1 = serializers.CharField(write_only=True, max_length=128)
    password2 = serializers.CharField(write_only=True, max_length=128)

    # Set by validate_email: the address has an account already. The view then answers as for
    # a new account and mails the owner instead, so the answer does not tell who has one.
    existing_account = False

    def validate_email(self, email):
        email = get_adapter().clean_email(email)
        self.existing_account = User.objects.filter(email__iexact=email).exists()
        return email


class UserDetailsSerializer(
    RejectUnknownFieldsMixin, ModelFieldsOnceMixin, serializers.ModelSerializer
):
    class Meta:
        model = User
        fields = ("pk", "email", "first_name", "last_name", "language", "page_size")
        read_only_fields = ("pk", "email")


class PasswordChangeSerializer(RejectUnknownFieldsMixin, rest_auth.PasswordChangeSerializer):
    pass


def frontend_password_reset_url(request, user, temp_key) -> str:
    """The reset mail links to the Vue app, which posts uid and token to .../reset/confirm/."""
    query = urlencode({"reset-uid": user_pk_to_url_str(user), "reset-token": temp_key})
    return f"{settings.FRONTEND_URL}/?{query}"


class PasswordResetSerializer(RejectUnknownFieldsMixin, rest_auth.PasswordResetSerializer):
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)

    def get_email_options(self):
        return {"url_generator": frontend_password_reset_url}


class PasswordResetConfirmSerializer(
    RejectUnknownFieldsMixin, rest_auth.PasswordResetConfirmSerializer
):
    pass


class UserSettingsSerializer(
    RejectUnknownFieldsMixin, ModelFieldsOnceMixin, serializers.ModelSerializer
):
    class Meta:
        model = User
        fields = ("language", "page_size")
