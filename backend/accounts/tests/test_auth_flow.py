"""Registration, verification over real SMTP, login, token use and logout, through the API."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings

from backend.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

API = "/api/v1/auth"


def link_params(mail_body: str) -> dict[str, str]:
    url = re.search(r"https?://\S+", mail_body).group(0)
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_register_verify_login_use_token_and_logout(api_client, smtp_sink):
    email = "new.person@example.com"
    response = api_client.post(
        f"{API}/registration/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
        format="json",
    )
    assert response.status_code == 201, response.data

    mail = smtp_sink.wait_for(email)
    key = link_params(mail.get_content())["verify-email"]
    assert mail.get_content().startswith(f"Hello from {settings.APP_NAME}!")
    assert mail["Subject"].startswith(f"[{settings.APP_NAME}] ")

    response = api_client.post(f"{API}/login/", {"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert "not verified" in str(response.data["non_field_errors"])

    response = api_client.post(f"{API}/registration/verify-email/", {"key": key})
    assert response.status_code == 200, response.data

    response = api_client.post(f"{API}/login/", {"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.data
    token = response.data["key"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.get(f"{API}/user/")
    assert response.status_code == 200
    assert response.data["email"] == email

    assert api_client.post(f"{API}/logout/").status_code == 200
    assert api_client.get(f"{API}/user/").status_code == 401


def test_password_reset_mail_links_to_the_app_and_confirm_sets_the_password(
    api_client, user, smtp_sink
):
    response = api_client.post(f"{API}/password/reset/", {"email": user.email}, format="json")
    assert response.status_code == 200, response.data

    params = link_params(smtp_sink.wait_for(user.email).get_content())
    new_password = "a different long passphrase"
    response = api_client.post(
        f"{API}/password/reset/confirm/",
        {
            "uid": params["reset-uid"],
            "token": params["reset-token"],
            "new_password1": new_password,
            "new_password2": new_password,
        },
        format="json",
    )
    assert response.status_code == 200, response.data
    response = api_client.post(f"{API}/login/", {"email": user.email, "password": new_password})
    assert response.status_code == 200


def test_mails_greet_and_sign_with_the_project_name_not_the_site_row(api_client, user, smtp_sink):
    assert settings.APP_NAME != "localhost"  # the Site row's name, which the mails used to show
    response = api_client.post(f"{API}/password/reset/", {"email": user.email}, format="json")
    assert response.status_code == 200, response.data
    body = smtp_sink.wait_for(user.email).get_content()
    assert body.startswith(f"Hello from {settings.APP_NAME}!")
    assert f"Thank you for using {settings.APP_NAME}!" in body
    assert "localhost!" not in body


def test_password_change_needs_the_old_password(auth_client, user):
    new_password = "another long passphrase"
    response = auth_client.post(
        f"{API}/password/change/",
        {"old_password": "wrong", "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 400
    assert "old_password" in response.data

    response = auth_client.post(
        f"{API}/password/change/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 200, response.data
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_routes_answer_with_or_without_the_trailing_slash(api_client, user):
    for path in (f"{API}/login", f"{API}/login/"):
        response = api_client.post(path, {"email": user.email, "password": PASSWORD})
        assert response.status_code == 200, path
