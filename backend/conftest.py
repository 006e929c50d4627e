import os
import threading
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from rest_framework.test import APIClient

from backend.accounts.tests.factories import UserFactory
from backend.core.tests.throwaway import free_port


def pytest_configure(config):
    """Under pytest-xdist each worker has its own test database (pytest-django suffixes its
    name with the worker id), so its rows' ids repeat another worker's: cache keys made from
    them (rate-limit counters) get the worker id as prefix, so that the workers' counters on
    the one Redis stay apart."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        from django.conf import settings

        settings.CACHES["default"]["KEY_PREFIX"] = worker


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def auth_client(user, api_client):
    """An API client signed in as `user` with a DRF token, as the Vue app would be."""
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    def __init__(self):
        self.messages = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, recipient: str, timeout: float = 10):
        def find():
            return next((m for m in self.messages if recipient in m["To"]), None)

        with self._arrived:
            self._arrived.wait_for(find, timeout)
            message = find()
        assert message is not None, f"no mail to {recipient} within {timeout}s"
        return message


@pytest.fixture
def smtp_sink(settings):
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    yield sink
    controller.stop()
