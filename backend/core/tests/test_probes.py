import json

import pytest

from backend.core.tests.throwaway import ThrowawayPostgres, WsgiServer


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: pytest-django makes any query here raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert client.get("/healthz/").status_code == 200


@pytest.mark.django_db
def test_readyz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok"}


@pytest.fixture
def throwaway_postgres():
    cluster = ThrowawayPostgres()
    cluster.start()
    yield cluster
    cluster.remove()


def wait_for_status(server, path, status, tries=50):
    for _ in range(tries):
        code, body = server.get(path)
        if code == status:
            return json.loads(body)
    raise AssertionError(f"{path} never answered {status}; last: {code} {body[:200]!r}")


def test_readyz_names_the_database_while_postgres_is_down_and_recovers(throwaway_postgres):
    """The acceptance case: stop PostgreSQL under a running server, then bring it back."""
    server = WsgiServer(
        {
            "DJANGO_SETTINGS_MODULE": "backend.config.settings.test",
            "DATABASE_URL": throwaway_postgres.url,
        }
    )
    try:
        assert wait_for_status(server, "/readyz", 200) == {"status": "ok"}

        throwaway_postgres.stop()
        body = wait_for_status(server, "/readyz", 503)
        assert list(body["failing"]) == ["database"]

        throwaway_postgres.start()
        assert wait_for_status(server, "/readyz", 200) == {"status": "ok"}
    finally:
        server.stop()


def test_api_routes_answer_a_json_503_while_postgres_is_down(throwaway_postgres):
    server = WsgiServer(
        {
            "DJANGO_SETTINGS_MODULE": "backend.config.settings.test",
            "DATABASE_URL": throwaway_postgres.url,
        }
    )
    try:
        throwaway_postgres.stop()
        # Routes that need the database (the token lookup does).
        for path in ("/api/v1/auth/user/", "/api/v1/jobs/list/"):
            status, headers, body = server.request(
                "GET", path, headers={"Authorization": "Token x"}
            )
            assert status == 503, (path, body)
            assert headers["Content-Type"] == "application/json", path
            assert json.loads(body)["unavailable"] == "database", (path, body)
            assert headers["Retry-After"].isdigit()
        # Requests open no transaction, so a route that needs no database keeps answering.
        assert server.get("/api/v1/version-info/")[0] == 200
        # A page outside the API that needs the database: a plain 503, not a 500 page.
        status, headers, _ = server.request("GET", "/admin/", headers={"Cookie": "sessionid=x"})
        assert (status, headers.get("Retry-After", "").isdigit()) == (503, True)

        throwaway_postgres.start()
        assert server.get("/api/v1/version-info/")[0] == 200
    finally:
        server.stop()


@pytest.mark.parametrize("settings_module", ["local", "test", "production"])
def test_unknown_api_routes_answer_json_404_in_every_settings_module(settings_module, tmp_path):
    server = WsgiServer(
        {
            "DJANGO_SETTINGS_MODULE": f"backend.config.settings.{settings_module}",
            "DJANGO_DEBUG": "true" if settings_module == "local" else "false",
            "DJANGO_SECRET_KEY": "not-secret-" * 5,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "MEDIA_ROOT": str(tmp_path),
            "DJANGO_SECURE_SSL_REDIRECT": "false",
        }
    )
    try:
        for path in ("/api/v1/no-such-route/", "/api/elsewhere"):
            status, headers, body = server.request("GET", path)
            assert (status, headers["Content-Type"]) == (404, "application/json"), body[:200]
            assert json.loads(body) == {"detail": "Not found."}
    finally:
        server.stop()


def test_readyz_names_the_broker_when_redis_is_unreachable(throwaway_postgres, tmp_path):
    server = WsgiServer(
        {
            "DJANGO_SETTINGS_MODULE": "backend.config.settings.test",
            "DATABASE_URL": throwaway_postgres.url,
            "REDIS_URL": f"unix://{tmp_path}/no-redis-here.sock?db=0",
        }
    )
    try:
        body = wait_for_status(server, "/readyz", 503)
        assert list(body["failing"]) == ["broker"]
    finally:
        server.stop()
