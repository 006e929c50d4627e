# shellcheck shell=bash
# The sandboxed pytest check: its environment and command, sourced by nix/checks.nix's
# checkPhase and by its offline imitation, scripts/check-sandbox, once postgresqlTestHook and
# redisTestHook have started the servers and exported PGDATABASE and REDIS_SOCKET.
export HOME="$TMPDIR"
export DATABASE_URL="postgres:///$PGDATABASE"
export REDIS_URL="unix://$REDIS_SOCKET"
# Browser tests (marked e2e) need Chromium, which the sandbox lacks; `make test` runs them.
# `python -m` puts the source tree first on sys.path, ahead of the installed copy. One
# pytest-xdist worker per build core (stdenv's setup has made NIX_BUILD_CORES a number), at
# most 4 (each runs its own Celery worker and production starts), each with its own test
# database (pytest-django names it after the worker).
python -m pytest -p no:cacheprovider -n "$((NIX_BUILD_CORES < 4 ? NIX_BUILD_CORES : 4))" \
  -m "not e2e" backend
