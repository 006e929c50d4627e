"""Bad input to the auth API: 400 or 401 with a message per field, never a 500."""

import pytest

from backend.accounts.models import User
from backend.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

API = "/api/v1/auth"
LONG_EMAIL = "a" * 250 + "@example.com"


def test_wrong_password_is_refused(api_client, user):
    response = api_client.post(f"{API}/login/", {"email": user.email, "password": "nope"})
    assert response.status_code == 400
    assert response.data["non_field_errors"]


def test_unknown_email_is_refused(api_client):
    response = api_client.post(f"{API}/login/", {"email": "who@example.com", "password": "x"})
    assert response.status_code == 400
    assert response.data["non_field_errors"]


def test_malformed_json_names_the_parse_error(api_client):
    response = api_client.post(
        f"{API}/login/", data='{"email": "x@example.com",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.data["detail"]


def test_missing_fields_are_named(api_client):
    response = api_client.post(f"{API}/login/", {}, format="json")
    assert response.status_code == 400
    assert set(response.data) == {"email", "password"}


def test_unknown_fields_are_named(api_client, user):
    response = api_client.post(
        f"{API}/login/",
        {"email": user.email, "password": PASSWORD, "username": "x", "remember": True},
        format="json",
    )
    assert response.status_code == 400
    assert response.data == {"remember": ["Unknown field."], "username": ["Unknown field."]}


def test_overlong_email_is_refused_at_login_and_registration(api_client):
    response = api_client.post(f"{API}/login/", {"email": LONG_EMAIL, "password": PASSWORD})
    assert response.status_code == 400
    assert "email" in response.data

    response = api_client.post(
        f"{API}/registration/",
        {"email": LONG_EMAIL, "password1": PASSWORD, "password2": PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert "email" in response.data
    assert not User.objects.exists()


def test_unverified_account_cannot_log_in(api_client):
    User.objects.create_user(email="unverified@example.com", password=PASSWORD)
    response = api_client.post(
        f"{API}/login/", {"email": "unverified@example.com", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "not verified" in str(response.data["non_field_errors"])


def test_registration_of_a_taken_email_answers_as_for_a_new_one_and_mails_the_owner(
    api_client, smtp_sink
):
    # allauth's enumeration prevention: the answer must not tell whether an account exists.
    new = api_client.post(
        f"{API}/registration/",
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
        format="json",
    )
    User.objects.create_user(email="taken@example.com", password=PASSWORD)
    taken = api_client.post(
        f"{API}/registration/",
        {"email": "Taken@example.com", "password1": PASSWORD, "password2": PASSWORD},
        format="json",
    )
    assert (taken.status_code, taken.json()) == (new.status_code, new.json())
    assert new.status_code == 201
    assert User.objects.filter(email__iexact="taken@example.com").count() == 1
    mail = smtp_sink.wait_for("Taken@example.com")
    assert "already" in mail["Subject"].lower() or "already" in mail.get_content().lower()


def test_mismatched_and_weak_passwords_are_refused(api_client):
    response = api_client.post(
        f"{API}/registration/",
        {"email": "p@example.com", "password1": PASSWORD, "password2": PASSWORD + "x"},
        format="json",
    )
    assert response.status_code == 400
    response = api_client.post(
        f"{API}/registration/",
        {"email": "p@example.com", "password1": "123", "password2": "123"},
        format="json",
    )
    assert response.status_code == 400
    assert "password1" in response.data
    assert not User.objects.exists()


def test_invalid_and_missing_tokens_get_401(api_client):
    assert api_client.get(f"{API}/user/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get(f"{API}/user/")
    assert response.status_code == 401
    assert response.data["detail"]


def test_bad_verification_key_is_refused(api_client):
    response = api_client.post(f"{API}/registration/verify-email/", {"key": "bogus"})
    assert response.status_code == 404
    assert response.data["detail"]


def test_registration_while_the_mail_server_is_down_is_a_503_and_stores_nothing(
    api_client, settings
):
    from backend.core.tests.throwaway import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    response = api_client.post(
        f"{API}/registration/",
        {"email": "p@example.com", "password1": PASSWORD, "password2": PASSWORD},
        format="json",
    )
    assert response.status_code == 503
    assert "mail" in response.data["detail"]
    assert not User.objects.exists()


def test_read_only_fields_are_refused_not_ignored(auth_client, user):
    response = auth_client.patch(f"{API}/user/", {"email": "other@example.com"}, format="json")
    assert response.status_code == 400
    assert response.data == {"email": ["This field is read-only."]}
    user.refresh_from_db()
    assert user.email != "other@example.com"


def test_an_oversized_body_is_a_json_413(auth_client, settings):
    body = '{"language": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'
    response = auth_client.patch("/api/v1/settings/", body, content_type="application/json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
