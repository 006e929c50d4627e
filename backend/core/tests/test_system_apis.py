import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_version_info_prefers_app_version(api_client, settings):
    settings.APP_VERSION = "1.2.3"
    settings.GIT_REVISION = "abc1234"
    response = api_client.get("/api/v1/version-info/")
    assert response.status_code == 200
    assert response.data == {
        "name": settings.APP_NAME,
        "version": "1.2.3",
        "environment": "test",
        "git_revision": "abc1234",
    }


def test_version_info_reads_the_version_file_then_falls_back(api_client, settings, tmp_path):
    settings.APP_VERSION = ""
    settings.APP_VERSION_FILE = tmp_path / "VERSION"
    assert api_client.get("/api/v1/version-info").data["version"] == "development"
    settings.APP_VERSION_FILE.write_text("2.0.0\n")
    assert api_client.get("/api/v1/version-info").data["version"] == "2.0.0"


def test_openapi_schema_and_docs_are_served(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/auth/login/" in schema["paths"]
    assert "/api/v1/version-info/" in schema["paths"]
    assert api_client.get("/api/v1/docs/").status_code == 200


def test_admin_login_page_is_served(client):
    assert client.get("/admin/login/").status_code == 200


def test_system_check_is_clean():
    call_command("check", fail_level="WARNING")


@pytest.mark.parametrize("path", ["/api/v1/nowhere/", "/api/v1/jobs/status/not-a-uuid/"])
def test_unknown_api_routes_answer_json_404(auth_client, path):
    response = auth_client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_docs_page_refuses_other_methods_cleanly(api_client):
    assert api_client.options("/api/v1/docs/").status_code == 405
