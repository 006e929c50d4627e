"""What gunicorn serves with the production settings: probes, the SPA page, static files,
security headers, CORS and the auth throttle. Requests come "through the proxy" (the
X-Forwarded-Proto and X-Forwarded-For headers it sets) unless a test says otherwise."""

import json
import re

import pytest

from backend.tests_production.conftest import (
    ALLOWED_ORIGIN,
    AUTH_THROTTLE_RATE,
    SECOND_PASSWORD,
    login,
)
from backend.tests_production.harness import request

FAR_FUTURE = "max-age=315360000, public, immutable"
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def get(deployment, path, **kwargs):
    return request(deployment.port, "GET", path, **kwargs)


# PROBES AND REDIRECTS
# ------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/readyz", "/healthz", "/readyz/"])
def test_probes_answer_over_plain_http(deployment, path):
    response = get(deployment, path, https=False)
    assert response.status == 200, response.body
    assert response.json() == {"status": "ok"}


def test_plain_http_is_redirected_to_https(deployment):
    response = get(deployment, "/", https=False)
    assert response.status == 301
    assert response.headers["location"] == f"https://127.0.0.1:{deployment.port}/"


def test_an_unknown_host_is_refused(deployment):
    response = get(deployment, "/readyz", headers={"Host": "attacker.example"})
    assert response.status == 400


# THE SPA PAGE
# ------------------------------------------------------------------------------
def test_spa_page_carries_the_runtime_config_and_the_hashed_assets(deployment, manifest):
    response = get(deployment, "/")
    assert response.status == 200, response.text[:500]
    page = response.text
    config = re.search(r'<script id="app-config" type="application/json">(.*?)</script>', page)
    assert config, "no json_script block with id app-config"
    values = json.loads(config.group(1))
    assert values["environment"] == "production"
    assert values["apiRoot"] == "/api/v1/"
    assert values["staticRoot"] == "/static/"

    entry = next(chunk for chunk in manifest.values() if chunk.get("isEntry"))
    assert re.search(r"-[\w-]{8}\.js$", entry["file"]), entry["file"]
    assert f'src="/static/{entry["file"]}"' in page
    for css in entry.get("css", []):
        assert f'href="/static/{css}"' in page


def test_spa_page_has_the_security_headers(deployment):
    response = get(deployment, "/")
    assert response.status == 200
    headers = response.headers
    assert headers["content-security-policy"] == EXPECTED_CSP
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"


# STATIC FILES
# ------------------------------------------------------------------------------
def test_hashed_assets_are_cached_forever(deployment, manifest):
    entry = next(chunk for chunk in manifest.values() if chunk.get("isEntry"))
    for file in [entry["file"], *entry.get("css", [])]:
        response = get(deployment, f"/static/{file}")
        assert response.status == 200, file
        assert response.headers["cache-control"] == FAR_FUTURE, file


def test_hashed_assets_are_served_compressed(deployment, manifest):
    entry = next(chunk for chunk in manifest.values() if chunk.get("isEntry"))
    response = get(deployment, f"/static/{entry['file']}", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("content-encoding") == "gzip"
    assert response.headers["cache-control"] == FAR_FUTURE


@pytest.mark.parametrize("path", ["/static/manifest.json", "/static/admin/css/base.css"])
def test_unhashed_static_files_are_cached_briefly(deployment, path):
    response = get(deployment, path)
    assert response.status == 200
    assert response.headers["cache-control"] == "max-age=60, public"


# CORS
# ------------------------------------------------------------------------------
def test_cors_answers_the_configured_origin(deployment):
    response = get(deployment, "/api/v1/version-info/", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN

    preflight = request(
        deployment.port, "OPTIONS", "/api/v1/auth/login/",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )  # fmt: skip
    assert preflight.status == 200
    assert preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_cors_ignores_other_origins(deployment):
    response = get(deployment, "/api/v1/version-info/", headers={"Origin": "https://other.example"})
    assert response.status == 200
    assert "access-control-allow-origin" not in response.headers


# AUTH THROTTLE
# ------------------------------------------------------------------------------
THROTTLED = {
    "login": ("/api/v1/auth/login/", {"email": "nobody@example.com", "password": "wrong"}),
    "registration": ("/api/v1/auth/registration/", {}),
    "password reset": ("/api/v1/auth/password/reset/", {}),
    "password reset confirm": ("/api/v1/auth/password/reset/confirm/", {}),
    "logout": ("/api/v1/auth/logout/", {}),
}


@pytest.mark.parametrize("endpoint", sorted(THROTTLED))
def test_auth_endpoints_are_throttled_per_client(deployment, endpoint):
    path, body = THROTTLED[endpoint]
    client = f"203.0.113.{sorted(THROTTLED).index(endpoint) + 10}"
    statuses = [
        request(deployment.port, "POST", path, json_body=body, client_ip=client).status
        for _ in range(AUTH_THROTTLE_RATE + 1)
    ]
    assert 429 not in statuses[:-1], statuses
    assert statuses[-1] == 429
    other_client = request(deployment.port, "POST", path, json_body=body, client_ip="192.0.2.99")
    assert other_client.status != 429


def test_the_admin_login_is_throttled_per_client_like_the_api(deployment):
    path = "/admin/login/"  # DJANGO_ADMIN_URL is left at its default there
    statuses = [
        request(deployment.port, "POST", path, json_body={}, client_ip="203.0.113.70").status
        for _ in range(AUTH_THROTTLE_RATE + 1)
    ]
    assert 429 not in statuses[:-1], statuses
    assert statuses[-1] == 429
    other_client = request(deployment.port, "POST", path, json_body={}, client_ip="192.0.2.98")
    assert other_client.status != 429


def test_password_change_is_throttled(deployment):
    token = login(deployment.port, SECOND_PASSWORD, "203.0.113.50").json()["key"]
    statuses = [
        request(
            deployment.port, "POST", "/api/v1/auth/password/change/", json_body={},
            headers={"Authorization": f"Token {token}"}, client_ip="203.0.113.51",
        ).status
        for _ in range(AUTH_THROTTLE_RATE + 1)
    ]  # fmt: skip
    assert statuses[:-1] == [400] * AUTH_THROTTLE_RATE
    assert statuses[-1] == 429


def test_a_client_cannot_dodge_the_throttle_with_its_own_forwarded_for(deployment):
    # Only the address the proxy appended counts; whatever the client put before it is ignored.
    path, body = THROTTLED["login"]
    statuses = [
        request(
            deployment.port, "POST", path, json_body=body, client_ip="203.0.113.60",
            headers={"X-Forwarded-For": f"10.0.0.{attempt}"},
        ).status
        for attempt in range(AUTH_THROTTLE_RATE + 1)
    ]  # fmt: skip
    assert statuses[-1] == 429
