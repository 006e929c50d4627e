# `nix build .#checks.x86_64-linux.nixos-deploy`: boots a VM with the module and drives the app
# through Caddy as a user would, in the manner of nixpkgs' nixos/tests/paperless.nix.
# runNixOSTest: pkgs/build-support/testers/default.nix; `nodes`, `testScript`: nixos/lib/testing/
# nodes.nix and testScript.nix; the calls on `machine` (wait_for_unit, wait_for_open_port,
# succeed, fail, wait_until_succeeds, systemctl): nixos/lib/test-driver/src/test_driver/machine/
# __init__.py; start_all and subtest: nixos/lib/test-driver/src/test_driver/driver.py.
{
  pkgs,
  module,
  name,
}:
let
  domain = "${name}.test";
in
pkgs.testers.runNixOSTest {
  name = "${name}-nixos-deploy";

  nodes.machine =
    { pkgs, ... }:
    {
      imports = [ module ];

      services.${name} = {
        enable = true;
        inherit domain;
        environmentFile = "/etc/${name}-test.env";
        # Mails go to the web unit's journal, where the test reads the verification link: the
        # link as a user would receive it, from the real registration code path, with no mail
        # server in the VM.
        settings.DJANGO_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend";
        web.workers = 2;
        worker.concurrency = 1;
        backup.keep = 2;
      };

      # The VM cannot reach an ACME CA: Caddy issues the certificate from its own local CA
      # (Caddyfile global options local_certs, skip_install_trust), and curl trusts that root.
      services.caddy.globalConfig = ''
        local_certs
        skip_install_trust
      '';

      # A file on the host, as the option wants; through environment.etc it comes from the store,
      # readable by anyone, which only a throwaway VM can accept. Values with spaces are quoted,
      # which systemd and the manage wrapper's shell both strip (nixos/modules/system/etc/etc.nix).
      environment.etc."${name}-test.env".text = ''
        DJANGO_SECRET_KEY=nixos-test-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz
        DJANGO_SUPERUSER_EMAIL=admin@example.com
        DJANGO_SUPERUSER_PASSWORD="a long admin password for the test"
      '';

      environment.systemPackages = [
        pkgs.curl
        pkgs.jq
        pkgs.unzip
      ];
      # nixos/modules/virtualisation/qemu-vm.nix
      virtualisation.memorySize = 2048;
      virtualisation.cores = 2;
    };

  testScript = ''
    import json
    import re
    import shlex
    from urllib.parse import parse_qs, urlsplit

    NAME = "${name}"
    DOMAIN = "${domain}"
    APP_UNITS = [f"{NAME}-web.service", f"{NAME}-worker.service", f"{NAME}-beat.service"]
    PASSWORD = "a long user password 7"


    def curl(url, *options):
        return " ".join([
            "curl --silent --show-error --fail --max-time 30",
            f"--cacert {ca} --resolve {DOMAIN}:443:127.0.0.1 --resolve {DOMAIN}:80:127.0.0.1",
            *options,
            shlex.quote(url),
        ])


    def api(method, path, body=None, token=None):
        options = ["--request", method]
        if body is not None:
            options += ["--header 'Content-Type: application/json'", "--data", shlex.quote(json.dumps(body))]
        if token is not None:
            options += ["--header", shlex.quote(f"Authorization: Token {token}")]
        out = machine.succeed(curl(f"https://{DOMAIN}{path}", *options))
        return json.loads(out) if out.strip() else None


    def counts():
        sql = "SELECT (SELECT count(*) FROM accounts_user), (SELECT count(*) FROM jobs_job)"
        return machine.succeed(
            f"runuser -u {NAME} -- psql --dbname={NAME} --tuples-only --no-align --command {shlex.quote(sql)}"
        ).strip()


    def register(email):
        api("POST", "/api/v1/auth/registration/", {"email": email, "password1": PASSWORD, "password2": PASSWORD})
        # The console backend printed the mail; its link carries the verification key.
        journal = machine.succeed(f"journalctl --unit {NAME}-web.service --output cat")
        # Up to a quote or bracket: an HTML part may carry the same link in an href.
        links = [link for link in re.findall(r"https://[^\s\"'<>]+", journal) if "verify-email=" in link]
        assert links, "no verification link in the web unit's journal"
        key = parse_qs(urlsplit(links[-1]).query)["verify-email"][0]
        api("POST", "/api/v1/auth/registration/verify-email/", {"key": key})
        return api("POST", "/api/v1/auth/login/", {"email": email, "password": PASSWORD})["key"]


    start_all()

    with subtest("every unit comes up"):
        for unit in [
            "postgresql.target",
            f"redis-{NAME}.service",
            f"{NAME}-migrate.service",
            *APP_UNITS,
            "caddy.service",
            f"{NAME}-backup.timer",
        ]:
            machine.wait_for_unit(unit)
        machine.wait_for_open_port(8000, "127.0.0.1")
        machine.wait_for_open_port(443)
        machine.wait_until_succeeds("find /var/lib/caddy -path '*/pki/authorities/local/root.crt' | grep -q .")
        ca = machine.succeed("find /var/lib/caddy -path '*/pki/authorities/local/root.crt'").split()[0]
        machine.wait_until_succeeds(curl(f"https://{DOMAIN}/readyz"), timeout=120)

    with subtest("the settings pass Django's deployment checks"):
        machine.succeed(f"{NAME}-manage check --deploy --fail-level WARNING")

    with subtest("HTTP redirects to HTTPS, and HTTPS answers with HSTS"):
        redirect = machine.succeed(
            curl(f"http://{DOMAIN}/", "--output /dev/null", "--write-out '%{http_code} %{redirect_url}'")
        )
        assert redirect.split() == ["308", f"https://{DOMAIN}/"], redirect
        headers = machine.succeed(curl(f"https://{DOMAIN}/api/v1/version-info/", "--dump-header -", "--output /dev/null"))
        assert "strict-transport-security: max-age=31536000" in headers.lower(), headers

    with subtest("a user registers, verifies the address from the mail, and logs in"):
        token = register("first.user@example.com")
        assert api("GET", "/api/v1/auth/user/", token=token)["email"] == "first.user@example.com"

    with subtest("a job runs to completion and its archive downloads"):
        job = api("POST", "/api/v1/jobs/create/", {"title": "nixos", "text": "Rivers run. Rivers bend."}, token)
        job_id = job["id"]
        status = curl(f"https://{DOMAIN}/api/v1/jobs/status/{job_id}/", "--header", shlex.quote(f"Authorization: Token {token}"))
        machine.wait_until_succeeds(status + " | jq --exit-status '.status == \"completed\"'", timeout=120)
        archive_url = f"https://{DOMAIN}/api/v1/jobs/download-archive/{job_id}/"
        download = curl(archive_url, "--header", shlex.quote(f"Authorization: Token {token}"), "--output /tmp/archive.zip")
        machine.succeed(download)
        listing = machine.succeed("unzip -l /tmp/archive.zip")
        assert "report.md" in listing and "terms.csv" in listing, listing
        machine.succeed(f"find /var/lib/{NAME}/media -path '*/{job_id}/archive.zip' | grep -q .")

    with subtest("Caddy serves the static files itself, cached for good"):
        manifest = json.loads(machine.succeed(curl(f"https://{DOMAIN}/static/manifest.json")))
        asset = next(iter(manifest.values()))["file"]
        machine.succeed(f"systemctl stop {NAME}-web.service")
        headers = machine.succeed(curl(f"https://{DOMAIN}/static/{asset}", "--dump-header -", "--output /dev/null"))
        assert "cache-control: public, max-age=31536000, immutable" in headers.lower(), headers
        # With gunicorn stopped the API answers 502, which curl --fail turns into a failure.
        machine.fail(curl(f"https://{DOMAIN}/api/v1/version-info/"))
        machine.succeed(f"systemctl start {NAME}-web.service")

    with subtest("the web unit restarts and the session survives"):
        machine.succeed(f"systemctl restart {NAME}-web.service")
        machine.wait_for_unit(f"{NAME}-web.service")
        machine.wait_until_succeeds(curl(f"https://{DOMAIN}/readyz"), timeout=60)
        assert api("GET", "/api/v1/auth/user/", token=token)["email"] == "first.user@example.com"

    with subtest("every unit is hardened"):
        for unit in [f"{NAME}-migrate.service", *APP_UNITS, f"{NAME}-backup.service"]:
            report = machine.succeed(f"systemd-analyze security --no-pager {unit}")
            match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", report)
            assert match, report
            # systemd-analyze rates 1.0 to 4.9 "OK", from 5.0 "MEDIUM".
            assert float(match.group(1)) < 5.0, f"{unit}: exposure {match.group(1)}\n{report}"
            assert machine.succeed(f"systemctl show --property=User --value {unit}").strip() == NAME

    with subtest("a backup restores into a fresh database, bringing back exactly what was dumped"):
        machine.succeed(f"systemctl start {NAME}-backup.service")
        backups = machine.succeed(f"ls /var/lib/{NAME}/backups").split()
        assert len(backups) == 1, backups
        dumped = counts()
        register("after.backup@example.com")
        assert counts() != dumped

        error = machine.fail(f"{NAME}-restore no-such-backup 2>&1")
        assert "no backup named 'no-such-backup'" in error, error
        error = machine.fail(f"{NAME}-restore {backups[0]} 2>&1")
        assert f"is running; first: systemctl stop {NAME}-migrate" in error, error

        # Stopping setup stops the units that require it; starting them runs setup first.
        machine.succeed(f"systemctl stop {NAME}-migrate.service")
        for unit in APP_UNITS:
            machine.fail(f"systemctl is-active --quiet {unit}")
        machine.succeed(f"{NAME}-restore {backups[0]}")
        machine.succeed("systemctl start " + " ".join(APP_UNITS))
        for unit in [f"{NAME}-migrate.service", *APP_UNITS]:
            machine.wait_for_unit(unit)
        assert counts() == dumped, (counts(), dumped)
        previous = machine.succeed(
            "runuser -u postgres -- psql --tuples-only --no-align --command "
            + shlex.quote(f"SELECT datname FROM pg_database WHERE starts_with(datname, '{NAME}_before_')")
        ).split()
        assert len(previous) == 1, previous
        machine.wait_until_succeeds(curl(f"https://{DOMAIN}/readyz"), timeout=60)
        machine.succeed(download + " && unzip -l /tmp/archive.zip | grep -q report.md")

    with subtest("backups beyond the retention count are removed"):
        for _ in range(2):
            # Backups are named by the second: a second one within it is refused, so retry.
            machine.wait_until_succeeds(f"systemctl start {NAME}-backup.service", timeout=30)
        remaining = machine.succeed(f"ls /var/lib/{NAME}/backups").split()
        assert len(remaining) == 2 and backups[0] not in remaining, remaining
  '';
}
