"""The app of a running stack, driven over HTTP as a user's browser or script would."""

import json
import time
import urllib.error
import urllib.request

# The dev user that `load_fixtures --dev` (the stack's migrate step) creates.
DEV_EMAIL = "dev@example.com"
DEV_PASSWORD = "dev-password-123"


def request(port: int, method: str, path: str, body=None, token: str | None = None):
    """(status, parsed JSON or text) of one request to 127.0.0.1:port."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Token {token}"
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data, headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    text = raw.decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def run_job(port: int, title: str, timeout: float = 120) -> dict:
    """Logs in as the dev user, submits a text job and waits until the worker has finished
    it; returns its last status."""
    status, login = request(
        port, "POST", "/api/v1/auth/login/", {"email": DEV_EMAIL, "password": DEV_PASSWORD}
    )
    assert status == 200, login
    token = login["key"]
    status, created = request(
        port, "POST", "/api/v1/jobs/create/", {"title": title, "text": "one two two three"}, token
    )
    assert status == 202, created
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job = request(port, "GET", f"/api/v1/jobs/status/{created['id']}/", token=token)
        assert status == 200, job
        if job["status"] in ("completed", "failed"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {created['id']} not finished after {timeout} s: {job}")
