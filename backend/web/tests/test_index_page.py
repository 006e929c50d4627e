"""The page that mounts the Vue app, in both django-vite modes, switched while the process runs.

No django_db mark: pytest-django makes any query raise, which shows the page needs no database.
"""

import json
import re

import pytest
from django.conf import settings
from django.test import override_settings
from django.test.utils import override_script_prefix

MANIFEST = {
    "src/main.js": {
        "file": "assets/main-Ab12Cd34.js",
        "name": "main",
        "src": "src/main.js",
        "isEntry": True,
        "imports": ["_vendor-Ef56Gh78.js"],
        "dynamicImports": ["src/components/FormView.vue"],
        "css": ["assets/main-Ij90Kl12.css"],
    },
    "_vendor-Ef56Gh78.js": {"file": "assets/vendor-Ef56Gh78.js", "name": "vendor"},
    "src/components/FormView.vue": {
        "file": "assets/FormView-Mn34Op56.js",
        "src": "src/components/FormView.vue",
        "isDynamicEntry": True,
    },
}


def vite_settings(*, dev_mode, manifest_path, port=3000):
    return {
        "default": {
            "dev_mode": dev_mode,
            "dev_server_host": "localhost",
            "dev_server_port": port,
            "manifest_path": manifest_path,
        }
    }


@pytest.fixture
def manifest(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(MANIFEST))
    return path


def app_config(response) -> dict:
    match = re.search(
        r'<script id="app-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "no app-config json_script in the page"
    return json.loads(match.group(1))


def test_manifest_mode_links_the_built_files(client, manifest):
    with override_settings(DJANGO_VITE=vite_settings(dev_mode=False, manifest_path=manifest)):
        response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<script type="module" crossorigin="" src="/static/assets/main-Ab12Cd34.js">' in html
    assert 'href="/static/assets/main-Ij90Kl12.css"' in html
    assert 'rel="modulepreload"' in html and "/static/assets/vendor-Ef56Gh78.js" in html
    # Views loaded on demand are not named in the page.
    assert "FormView" not in html
    assert "@vite/client" not in html
    assert '<div id="vue-app">' in html


def test_dev_mode_points_at_the_vite_server_with_hmr(client, tmp_path):
    missing = tmp_path / "not-built" / "manifest.json"
    with override_settings(
        DJANGO_VITE=vite_settings(dev_mode=True, manifest_path=missing, port=3123)
    ):
        response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'src="http://localhost:3123/static/@vite/client"' in html
    assert 'src="http://localhost:3123/static/src/main.js"' in html
    assert "assets/main-" not in html


def test_switching_modes_while_running_takes_effect_at_once(client, manifest):
    """django-vite keeps one loader from start-up; each settings change must replace it."""
    for dev_mode in (True, False, True, False):
        with override_settings(
            DJANGO_VITE=vite_settings(dev_mode=dev_mode, manifest_path=manifest)
        ):
            html = client.get("/").content.decode()
        assert ("@vite/client" in html) is dev_mode
        assert ("/static/assets/main-Ab12Cd34.js" in html) is not dev_mode


def test_missing_build_answers_503_saying_what_to_do(client, tmp_path):
    missing = tmp_path / "manifest.json"
    with override_settings(DJANGO_VITE=vite_settings(dev_mode=False, manifest_path=missing)):
        response = client.get("/")
    assert response.status_code == 503
    assert b"npm --prefix frontend run build" in response.content
    assert b"DJANGO_VITE_DEV_MODE=true" in response.content


def test_a_build_made_after_start_up_is_found_without_restart(client, tmp_path):
    path = tmp_path / "manifest.json"
    with override_settings(DJANGO_VITE=vite_settings(dev_mode=False, manifest_path=path)):
        assert client.get("/").status_code == 503
        path.write_text(json.dumps(MANIFEST))
        response = client.get("/")
    assert response.status_code == 200
    assert b"/static/assets/main-Ab12Cd34.js" in response.content


@override_settings(APP_VERSION="2.4.1", APP_ENVIRONMENT="staging")
def test_runtime_config_reaches_the_app(client, manifest):
    with override_settings(DJANGO_VITE=vite_settings(dev_mode=False, manifest_path=manifest)):
        response = client.get("/")
    assert app_config(response) == {
        "apiRoot": "/api/v1/",
        "staticRoot": "/static/",
        "appName": settings.APP_NAME,
        "version": "2.4.1",
        "environment": "staging",
    }


def test_runtime_config_follows_the_script_prefix(client, manifest):
    """Mounted under a path (WSGI SCRIPT_NAME, which Django's handler turns into the script
    prefix; the test client does not), the API root moves with it."""
    with (
        override_settings(DJANGO_VITE=vite_settings(dev_mode=False, manifest_path=manifest)),
        override_script_prefix("/tools/"),
    ):
        response = client.get("/")
    assert app_config(response)["apiRoot"] == "/tools/api/v1/"


def test_config_values_cannot_break_out_of_the_script_block(client, manifest):
    hostile = "</script><script>alert(1)</script>"
    with override_settings(
        APP_NAME=hostile,
        DJANGO_VITE=vite_settings(dev_mode=False, manifest_path=manifest),
    ):
        response = client.get("/")
    assert hostile.encode() not in response.content
    assert app_config(response)["appName"] == hostile


def test_page_is_never_cached_and_only_read(client, manifest):
    with override_settings(DJANGO_VITE=vite_settings(dev_mode=False, manifest_path=manifest)):
        response = client.get("/")
        post = client.post("/")
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]
    assert post.status_code == 405
