"""DEV_HTTPS=true: the whole stack behind its TLS proxy (scripts/https-proxy, Caddy with mkcert's
certificate), seen by Chromium that trusts the generated CA and nothing else; and the default
stack, unchanged plain http."""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from app_client import DEV_EMAIL, DEV_PASSWORD, request
from checkout import REPO_ROOT

BROWSER_SCRIPT = Path(__file__).with_name("dev_https_browser.mjs")


def nss_home(ca_file: Path | None) -> Path:
    """A throwaway HOME whose NSS database (Chromium's trust store on Linux) holds ca_file
    alone, or nothing."""
    home = Path(tempfile.mkdtemp(prefix="nss-home-"))
    database = home / ".pki" / "nssdb"
    database.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{database}", "-N", "--empty-password"], check=True)
    if ca_file:
        subprocess.run(
            ["certutil", "-d", f"sql:{database}", "-A", "-t", "C,,", "-n", "dev-ca", "-i", ca_file],
            check=True,
        )
    return home


def chromium(env: dict, home: Path, url: str) -> dict:
    result = subprocess.run(
        ["node", BROWSER_SCRIPT, REPO_ROOT / "frontend", url, DEV_EMAIL, DEV_PASSWORD],
        env={**env, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


def test_dev_https_serves_the_app_hmr_and_secure_cookies_to_a_browser_trusting_its_ca(
    make_checkout,
):
    checkout = make_checkout("https", explicit_ports=False)
    caroot = Path(tempfile.mkdtemp(prefix="caroot-"))  # never the developer's own CA
    checkout.env.update(DEV_HTTPS="true", CAROOT=str(caroot))
    homes = []
    try:
        checkout.sync()
        checkout.up(timeout=600)
        env = checkout.stack_env()
        app, vite = env["DJANGO_PORT"], env["VITE_PORT"]
        assert env["DJANGO_BIND_PORT"] == str(int(app) + 1)
        assert env["FRONTEND_URL"] == f"https://localhost:{app}"
        assert f"https://localhost:{app}" in checkout.run("scripts/status").stdout
        # The proxy holds the app's port: plain http there gets Caddy's refusal, not the app.
        code, body = request(int(app), "GET", "/healthz")
        assert code == 400 and "HTTPS server" in body, (code, body)

        ca_file = caroot / "rootCA.pem"
        homes = [nss_home(ca_file), nss_home(None)]
        seen = chromium(env, homes[0], f"https://localhost:{app}/")
        assert "error" not in seen, seen
        assert seen["appMounted"], seen
        # Vite's HMR client, through the proxy, over TLS.
        assert seen["hmrConnected"], seen
        assert any(url.startswith(f"wss://localhost:{vite}/") for url in seen["websockets"]), seen
        # The admin's session login passed Django's CSRF origin check behind the proxy.
        assert seen["loginStatus"] == 302, seen
        assert seen["adminUrl"] == f"https://localhost:{app}/admin/", seen
        cookies = {cookie["name"]: cookie for cookie in seen["cookies"]}
        assert cookies["sessionid"]["secure"] and cookies["csrftoken"]["secure"], cookies

        # The same browser without the CA in its trust store refuses the page.
        untrusted = chromium(env, homes[1], f"https://localhost:{app}/")
        assert "ERR_CERT_AUTHORITY_INVALID" in untrusted.get("error", ""), untrusted
    finally:
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)
        checkout.down()
        shutil.rmtree(caroot, ignore_errors=True)

    # Without DEV_HTTPS the same checkout is plain http again, Django on the app's own port.
    del checkout.env["DEV_HTTPS"]
    checkout.up("django")
    env = checkout.stack_env()
    assert env["DJANGO_BIND_PORT"] == env["DJANGO_PORT"]
    assert env["FRONTEND_URL"] == f"http://localhost:{env['DJANGO_PORT']}"
    assert checkout.process_list()["https"]["status"] == "Disabled"
    code, _ = request(int(env["DJANGO_PORT"]), "GET", "/healthz")
    assert code == 200
    code, _ = request(int(env["DJANGO_PORT"]), "GET", "/admin/login/")
    assert code == 200
