# Tools shared by the dev shell and the apps, so `nix develop` and `nix run .#up` see one PATH.
{ pkgs, python }:
{
  # What scripts/ and process-compose.yaml call by name. The dev venv comes first: it carries
  # python, manage, celery, pytest, and ruff, pre-commit and check-jsonschema as uv.lock pins them.
  stack = [
    python.devVenv
    pkgs.git
    # The scripts' `#!/usr/bin/env bash` then finds bash 5, not macOS's /bin/bash 3.2 (which
    # lacks mapfile and `mapfile -d`): the apps keep the caller's PATH behind runtimeInputs.
    pkgs.bash
    # GNU coreutils ahead of macOS's BSD ones, as on Linux.
    pkgs.coreutils
    pkgs.nodejs_22
    pkgs.postgresql_17
    pkgs.redis
    pkgs.process-compose
    pkgs.mailpit
    pkgs.uv
    # DEV_HTTPS=true: the TLS proxy (scripts/https-proxy) and its local CA and certificate.
    pkgs.caddy
    pkgs.mkcert
  ]
  # As root (a CI container), PostgreSQL runs as an unprivileged user: scripts/lib/postgres.sh
  # creates it with useradd and drops to it with setpriv.
  ++ pkgs.lib.optionals pkgs.stdenv.hostPlatform.isLinux [
    pkgs.shadow
    pkgs.util-linux
  ];

  # For developers and CI beyond the stack; regclient provides regctl. umoci and distribution
  # (the registry server) are what the release tests build and push their test images with.
  dev = [
    python.python
    pkgs.shellcheck
    pkgs.nixfmt
    pkgs.skopeo
    pkgs.regclient
    pkgs.umoci
    pkgs.distribution
    # The Helm chart's tests (tests/helm): helm, and a real API server without nodes; the
    # kubernetes package holds kube-apiserver and kubectl
    # (pkgs/applications/networking/cluster/{helm,kubernetes}/default.nix in nixpkgs).
    pkgs.kubernetes-helm
    pkgs.kubernetes
    pkgs.etcd
    # bench/http_compare's load generator.
    pkgs.wrk
  ];
}
