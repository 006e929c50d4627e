"""Caddy (deploy/Caddyfile) in front of the two web instances: HTTPS with the test CA, the redirect
from HTTP, HSTS, the forwarded headers Django acts on, static files cached for good, and a rolling
restart of both instances under a steady load with no failed request."""

import http.client
import json
import re
import threading
import time
from dataclasses import dataclass, field

import pytest
from topology import DOMAIN, START_TIMEOUT

from backend.tests_production.conftest import AUTH_THROTTLE_RATE
from backend.tests_production.harness import request, wait_until

FAR_FUTURE = "max-age=315360000, public, immutable"
LOGIN = "/api/v1/auth/login/"
WRONG_LOGIN = {"email": "nobody@example.com", "password": "wrong"}


def test_https_serves_the_spa_page_with_a_certificate_of_the_test_ca(proxy):
    response = proxy.request("GET", "/")
    assert response.status == 200, response.text[:300]
    assert '<script id="app-config" type="application/json">' in response.text


def test_plain_http_is_redirected_to_https(proxy):
    connection = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=30)
    try:
        connection.request("GET", "/api/v1/version-info/?x=1", headers={"Host": DOMAIN})
        response = connection.getresponse()
        assert response.status in (301, 308)
        # To the site's own address: port 443 in production, whatever HTTPS_PORT the test gave.
        assert response.getheader("Location") == f"https://{DOMAIN}/api/v1/version-info/?x=1"
    finally:
        connection.close()


def test_hsts_is_set(proxy):
    response = proxy.request("GET", "/")
    assert response.headers["strict-transport-security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


def test_django_sees_https_through_the_forwarded_proto(proxy, web_pair):
    # Django redirects what it takes for plain HTTP to https (SECURE_SSL_REDIRECT): asked
    # directly it does, through Caddy (X-Forwarded-Proto: https) it serves the page.
    direct = request(web_pair[0].port, "GET", "/", https=False)
    assert direct.status == 301
    assert proxy.request("GET", "/").status == 200


def test_throttling_keys_on_the_client_address_the_proxy_saw(proxy):
    statuses = [
        proxy.request("POST", LOGIN, json_body=WRONG_LOGIN, source="127.0.0.2").status
        for _ in range(AUTH_THROTTLE_RATE + 1)
    ]
    assert 429 not in statuses[:-1], statuses
    assert statuses[-1] == 429
    # Another client address is not throttled, and the throttled one cannot get out of it by
    # sending an X-Forwarded-For of its own: Caddy replaces it.
    assert proxy.request("POST", LOGIN, json_body=WRONG_LOGIN, source="127.0.0.3").status != 429
    spoofed = {"X-Forwarded-For": "192.0.2.1"}
    dodge = proxy.request("POST", LOGIN, json_body=WRONG_LOGIN, source="127.0.0.2", headers=spoofed)
    assert dodge.status == 429


def test_hashed_static_files_are_cached_for_good(proxy, manifest):
    entry = next(chunk for chunk in manifest.values() if chunk.get("isEntry"))
    response = proxy.request("GET", f"/static/{entry['file']}", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["cache-control"] == FAR_FUTURE
    assert response.headers.get("content-encoding") == "gzip"


@pytest.fixture(scope="session")
def manifest(frontend_dist):
    return json.loads((frontend_dist / "manifest.json").read_text())


# ROLLING RESTART
# ------------------------------------------------------------------------------
@dataclass
class Load:
    """Requests one after another from a few threads, until stopped; every outcome counted."""

    proxy: object
    threads: int = 3
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _run(self):
        while not self._stop.is_set():
            try:
                response = self.proxy.request("GET", "/api/v1/version-info/")
                outcome = None if response.status == 200 else f"HTTP {response.status}"
            except OSError as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            with self._lock:
                if outcome is None:
                    self.ok += 1
                else:
                    self.failures.append(outcome)
            time.sleep(0.01)

    def __enter__(self):
        self._workers = [
            threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for worker in self._workers:
            worker.join(60)


def served_by_proxy(instance):
    """The load reaches this instance: its access log has a request that came through Caddy."""
    return lambda: re.search(r'"GET /api/v1/version-info/ HTTP/1\.1" 200', instance.output())


def test_a_rolling_restart_under_load_fails_no_request(proxy, web_pair, capsys):
    with Load(proxy) as load:
        for instance in web_pair:
            wait_until(served_by_proxy(instance), timeout=30, what=f"load reaches {instance.name}")
        began = time.monotonic()
        for instance in web_pair:
            assert instance.stop() == 0
            instance.start()
            # As the deploy waits for the container's health before the next one.
            wait_until(served_by_proxy(instance), timeout=START_TIMEOUT,
                       what=f"load reaches the new {instance.name}")  # fmt: skip
        took = time.monotonic() - began
    total = load.ok + len(load.failures)
    with capsys.disabled():
        print(
            f"\nrolling restart of web-1 then web-2 under load: {total} requests in {took:.0f}s "
            f"of restarts, {len(load.failures)} failed"
        )
    assert load.ok > 50, "the load was not steady"
    assert load.failures == []
