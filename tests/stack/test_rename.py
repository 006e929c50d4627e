"""scripts/rename: a project made from the template gets its own name, and still works."""

import json
import tomllib


def test_renamed_copy_passes_the_backend_tests(make_checkout):
    checkout = make_checkout()

    renamed = checkout.run("scripts/rename", "shopfront", timeout=300)

    assert "pyproject.toml: [project] name webapp -> shopfront" in renamed.stdout
    pyproject = tomllib.loads((checkout.root / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "shopfront"
    assert 'name = "shopfront"' in (checkout.root / "uv.lock").read_text()
    lock = json.loads((checkout.root / "frontend" / "package-lock.json").read_text())
    assert lock["name"] == "shopfront-frontend"
    chart = checkout.root / "deploy" / "helm" / "shopfront"
    assert "name: shopfront\n" in (chart / "Chart.yaml").read_text()
    assert "  repository: shopfront-django\n" in (chart / "values.yaml").read_text()
    assert not (checkout.root / "deploy" / "helm" / "webapp").exists()
    # Everything derived from the name follows it.
    stack_env = checkout.stack_env()
    assert stack_env["PGDATABASE"] == "shopfront"
    assert "/shopfront-" in stack_env["RUN_DIR"]

    # The frontend as a new project would have it installed and built: Django's checks read
    # the Vite manifest, the production browser tests drive Playwright from node_modules.
    # (scripts/test installs and builds it before these tests run; sync links them.)
    checkout.sync()
    checkout.up("postgres", "redis")
    result = checkout.pytest("backend", "-q")

    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
