# shellcheck shell=bash
# The sandboxed pytest check: its environment and command, sourced by nix/checks.nix's
# checkPhase and by its offline imitation, scripts/check-sandbox, once postgresqlTestHook and
# redisTestHook have started the servers and exported PGDATABASE and REDIS_SOCKET.
export HOME="$TMPDIR"
export DATABASE_URL="postgres:///$PGDATABASE"
export REDIS_URL="unix://$REDIS_SOCKET"
# Browser tests (marked e2e) need Chromium, which the sandbox lacks; `make test` runs them.
# `python -m` puts the source tree first on sys.path, ahead of the installed copy.
python -m pytest -p no:cacheprovider -m "not e2e" backend
