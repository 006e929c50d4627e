"""e2e smoke test: real Chromium loads the pages under the production CSP and reports no
violation. Playwright comes from the frontend's node_modules (@playwright/test)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from backend.tests_production.harness import REPO_DIR

# Needs Chromium and the frontend's node_modules: nix/checks.nix leaves these tests out.
pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).with_name("csp_smoke.mjs")
PAGES = {
    # The SPA page signed out: the login form of the Vue app.
    "login": ("/", 'input[type="password"]'),
    "admin login": ("/admin/login/", "#id_username"),
    "api docs": ("/api/v1/docs/", ".swagger-ui .info"),
}


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    assert path, "no Chromium: install it or set CHROMIUM_PATH"
    return path


@pytest.fixture(scope="session")
def browser_results(deployment) -> dict:
    base = f"http://127.0.0.1:{deployment.port}"
    pages = [
        {"url": base + path, "waitFor": selector, "headers": {"X-Forwarded-Proto": "https"}}
        for path, selector in PAGES.values()
    ]
    done = subprocess.run(  # noqa: S603
        [shutil.which("node") or "node", str(SCRIPT), str(REPO_DIR / "frontend"),
         chromium_path(), json.dumps(pages)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    return dict(zip(PAGES, results, strict=True))


def csp_problems(result: dict) -> list:
    return (
        result["violations"]
        + [text for text in result["consoleErrors"] if "Content Security Policy" in text]
        + [failed for failed in result["failedRequests"] if failed.endswith(" csp")]
    )


def assert_renders_without_csp_violations(result: dict) -> None:
    assert result["status"] == 200, result
    assert result["found"], result
    assert csp_problems(result) == []
    assert result["pageErrors"] == []


def test_login_page_renders_with_no_csp_violations(browser_results):
    assert_renders_without_csp_violations(browser_results["login"])


def test_admin_login_renders_with_no_csp_violations(browser_results):
    assert_renders_without_csp_violations(browser_results["admin login"])


def test_api_docs_render_with_no_csp_violations(browser_results):
    assert_renders_without_csp_violations(browser_results["api docs"])
