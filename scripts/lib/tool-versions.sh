# shellcheck shell=bash disable=SC2034  # (the scripts that source this file read them)
# Pinned versions of the tools installed outside Nix (scripts/install-deps, .ci/run). The Nix
# dev shell takes its own from nixpkgs.

# >= v1.116 for success_exit_codes. v1.120.0 is the newest whose source every module proxy
# we use serves (scripts/install-process-compose explains the one dependency it swaps).
PROCESS_COMPOSE_VERSION=v1.120.0
MAILPIT_VERSION=v1.33.1
UV_VERSION=0.13.9
# nixfmt-rs: byte-identical output to nixfmt 1.2.0, on crates.io (Debian has no nixfmt).
NIXFMT_RS_VERSION=0.5.3
# The Helm chart's tests (tests/helm): helm from its module; kube-apiserver and kubectl of one
# Kubernetes release (scripts/install-kubernetes). etcd is Debian's etcd-server.
HELM_VERSION=v4.3.2
KUBERNETES_VERSION=v1.33.13
# The TLS proxy of deploy/compose.yaml (its image tag is the same version) and of tests/deploy.
CADDY_VERSION=v2.11.9
# DEV_HTTPS=true: the local CA and localhost certificate of the dev stack's TLS proxy.
MKCERT_VERSION=v1.4.4
