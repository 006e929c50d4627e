from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def get_email_confirmation_url(self, request, emailconfirmation):
        """Link to the Vue app, which posts the key to /api/v1/auth/registration/verify-email/."""
        return f"{settings.FRONTEND_URL}/?{urlencode({'verify-email': emailconfirmation.key})}"
