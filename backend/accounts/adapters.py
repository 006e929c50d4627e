import logging
import smtplib
from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.sites.models import Site
from django.contrib.sites.shortcuts import get_current_site

from backend.core.exceptions import ServiceUnavailable

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def get_email_confirmation_url(self, request, emailconfirmation):
        """Link to the Vue app, which posts the key to /api/v1/auth/registration/verify-email/."""
        return f"{settings.FRONTEND_URL}/?{urlencode({'verify-email': emailconfirmation.key})}"

    def send_account_already_exists_mail(self, email: str) -> None:
        # allauth's own links point at its HTML views, which this project does not serve: the
        # Vue app signs in and resets passwords.
        context = {"signup_url": settings.FRONTEND_URL, "password_reset_url": settings.FRONTEND_URL}
        self.send_mail("account/email/account_already_exists", email, context)

    def send_mail(self, template_prefix, email, context):
        # allauth's mails greet and sign off with the site's name, a database row that says
        # "localhost"; they name the project instead, APP_NAME, as their subject prefix does.
        site = context.get("current_site") or get_current_site(self.request)
        named = Site(id=site.id, domain=site.domain, name=settings.APP_NAME)
        context = {**context, "current_site": named}
        # A mail server that is down is the server's problem, not the client's: answer 503, and
        # the exception handler rolls the request back (no account without its mail).
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError) as exc:
            logger.error("could not send %s mail: %s", template_prefix, exc)
            raise ServiceUnavailable("The mail could not be sent; try again later.") from exc
