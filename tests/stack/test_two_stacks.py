"""Two checkouts' full stacks at once: each chooses its own ports (scripts/lib/ports.sh) and
everything that names a port follows (Django, Vite, django-vite, CORS, mail links, Flower,
mailpit)."""

import re
import urllib.request

from app_client import request, run_job

PORT_NAMES = ("DJANGO_PORT", "VITE_PORT", "FLOWER_PORT", "MAILPIT_SMTP_PORT", "MAILPIT_UI_PORT")
DEFAULT_BLOCK = {"8000", "3000", "5555", "1025", "8025"}


def cors_origin_allowed(django_port: str, origin: str) -> str | None:
    preflight = urllib.request.Request(
        f"http://127.0.0.1:{django_port}/api/v1/auth/login/", method="OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )  # fmt: skip
    with urllib.request.urlopen(preflight, timeout=30) as response:
        return response.headers.get("access-control-allow-origin")


def test_two_checkouts_full_stacks_run_at_once_each_on_its_own_ports(make_checkout):
    checkouts = [make_checkout(name, explicit_ports=False) for name in ("first", "second")]
    for checkout in checkouts:
        checkout.sync()
    for checkout in checkouts:
        checkout.up(timeout=600)  # all nine processes

    envs = [checkout.stack_env() for checkout in checkouts]
    ports = [{name: env[name] for name in PORT_NAMES} for env in envs]
    assert not set(ports[0].values()) & set(ports[1].values()), ports
    # Copies are not a clone's main working tree: never the familiar block, which the
    # developer's own stack may hold.
    assert not DEFAULT_BLOCK & (set(ports[0].values()) | set(ports[1].values()))

    for checkout, env, own in zip(checkouts, envs, ports, strict=True):
        recorded = (checkout.root / ".state" / "ports").read_text()
        assert all(f"{name}={port}\n" in recorded for name, port in own.items()), recorded
        status = checkout.run("scripts/status").stdout
        assert f"http://localhost:{own['DJANGO_PORT']}" in status
        assert f"http://localhost:{own['MAILPIT_UI_PORT']}" in status

        django, vite = own["DJANGO_PORT"], own["VITE_PORT"]
        code, page = request(int(django), "GET", "/")
        assert code == 200
        # django-vite points the page at this checkout's Vite, which serves it.
        assert re.search(rf"http://localhost:{vite}/static/@vite/client", page), page[:2000]
        with urllib.request.urlopen(f"http://127.0.0.1:{vite}/static/@vite/client", timeout=30):
            pass
        assert cors_origin_allowed(django, f"http://localhost:{vite}") == f"http://localhost:{vite}"
        assert env["FRONTEND_URL"] == f"http://localhost:{django}"  # links in mails
        assert env["EMAIL_PORT"] == own["MAILPIT_SMTP_PORT"]
        assert request(int(own["FLOWER_PORT"]), "GET", "/healthcheck")[0] == 200
        assert request(int(own["MAILPIT_UI_PORT"]), "GET", "/api/v1/info")[0] == 200

    for index, own in enumerate(ports):
        job = run_job(int(own["DJANGO_PORT"]), f"in checkout {index}")
        assert job["status"] == "completed", job
    # Each job went into its own checkout's database.
    titles = [checkout.psql("SELECT title FROM jobs_job") for checkout in checkouts]
    assert titles == ["in checkout 0", "in checkout 1"]
