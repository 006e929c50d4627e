# shellcheck shell=bash
# The dev stack's environment, sourced by every script in scripts/, by the commands in
# process-compose.yaml (through scripts/with-env) and by the Nix dev shell.
#
# Django, Celery, psql and redis-cli all find the stack through these variables, so one
# checkout's stack never meets another's or a system database. A variable that is already
# set is kept (override ports, DATABASE_URL, ... from your shell); only values this file
# derived for ANOTHER checkout are recomputed (a shell opened in checkout A must not point
# checkout B's scripts at A's database).
#
# No `set -e` or `exit` here: this file is sourced into interactive shells.

REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
export REPO_ROOT

if [[ -n "${STACK_ENV_ROOT:-}" && "$STACK_ENV_ROOT" != "$REPO_ROOT" ]]; then
  for _stack_var in ${STACK_ENV_DERIVED:-}; do unset "$_stack_var"; done
  unset STACK_ENV_DERIVED
fi
export STACK_ENV_ROOT=$REPO_ROOT

# Sets $1 to $2 unless it is already set; remembers what it derived (see above).
_stack_default() {
  if [[ -z "${!1+x}" ]]; then
    export "$1=$2"
    STACK_ENV_DERIVED="${STACK_ENV_DERIVED:-} $1"
  fi
}

_stack_sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi
}

# The project name lives in pyproject.toml only ([project] name).
PROJECT_NAME=$(awk -F'"' '
  /^\[/ { in_project = ($0 == "[project]") }
  in_project && /^name[[:space:]]*=/ { print $2; exit }
' "$REPO_ROOT/pyproject.toml")
export PROJECT_NAME

export STATE_DIR="$REPO_ROOT/.state"
export STACK_LOG_DIR="$STATE_DIR/logs"

# Unix socket paths must stay under 107 bytes (sun_path), and the checkout path may be long
# or contain spaces: sockets go to a short directory named after a hash of the checkout path,
# so two checkouts never share one.
_stack_hash=$(printf '%s' "$REPO_ROOT" | _stack_sha256 | cut -c1-8)
export RUN_DIR="/tmp/${PROJECT_NAME}-${_stack_hash}"

# PostgreSQL refuses to run as root (CI runs as root): it then runs as this user, which must
# be able to reach the data directory.
if [[ "$(id -u)" == 0 ]]; then
  _stack_default PG_RUN_AS postgres
fi

# Every parent of the state directory must be traversable by PG_RUN_AS (a checkout under
# root's 0700 home is not); then the data goes to a per-checkout directory outside it.
_stack_others_can_reach() {
  local dir=$1
  while [[ "$dir" != / ]]; do
    [[ -n "$(find "$dir" -maxdepth 0 -perm -0001 2>/dev/null)" ]] || return 1
    dir=$(dirname -- "$dir")
  done
}
if [[ -n "${PG_RUN_AS:-}" ]] && ! _stack_others_can_reach "$REPO_ROOT"; then
  _stack_default PGDATA "/var/tmp/${PROJECT_NAME}-${_stack_hash}/postgres"
else
  _stack_default PGDATA "$STATE_DIR/postgres"
fi

# PostgreSQL: libpq clients (psql, psycopg) read PG*; Django gets the same through DATABASE_URL.
_stack_default PGHOST "$RUN_DIR"
_stack_default PGUSER "$PROJECT_NAME"
_stack_default PGDATABASE "$PROJECT_NAME"
_stack_default DATABASE_URL "postgres://${PGUSER}@/${PGDATABASE}?host=${PGHOST}"

# Redis, for the cache and (the settings derive CELERY_BROKER_URL from it, kombu spelling the
# same socket redis+socket://...?virtual_host=N) for Celery.
export REDIS_SOCKET="$RUN_DIR/redis.sock"
_stack_default REDIS_URL "unix://${REDIS_SOCKET}?db=0"

# TCP ports (a second checkout running the full stack at the same time needs other values).
_stack_default DJANGO_PORT 8000
_stack_default VITE_PORT 3000
_stack_default FLOWER_PORT 5555
_stack_default MAILPIT_SMTP_PORT 1025
_stack_default MAILPIT_UI_PORT 8025
_stack_default EMAIL_HOST 127.0.0.1
_stack_default EMAIL_PORT "$MAILPIT_SMTP_PORT"
_stack_default DJANGO_VITE_DEV_SERVER_PORT "$VITE_PORT"

# process-compose: API on a unix socket (never :8080), its own log in the state directory,
# no user-level config lookups (their debug noise would land in every command's output).
_stack_default PC_SOCKET_PATH "$RUN_DIR/process-compose.sock"
_stack_default PC_LOG_FILE "$STACK_LOG_DIR/process-compose.log"
_stack_default PC_DISABLE_DOTENV 1
_stack_default PC_LOG_NO_COLOR 1
if [[ ! -d "${XDG_CONFIG_HOME:-$HOME/.config}/process-compose" ]]; then
  _stack_default PROC_COMP_CONFIG "$STATE_DIR/process-compose"
fi

# Tools by name: Debian keeps the server binaries of PostgreSQL off PATH.
if ! command -v postgres >/dev/null 2>&1; then
  _stack_pgbin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [[ -d "$_stack_pgbin" ]] && export PATH="$_stack_pgbin:$PATH"
fi
# Without Nix the project venv provides manage, celery, ruff, pytest, pre-commit, ...; with
# Nix (nix develop, nix run) its own venv does, and a .venv left in the checkout must not win.
if [[ -z "${IN_NIX_SHELL:-}" && -x "$REPO_ROOT/.venv/bin/python" ]] \
  && [[ -z "${VIRTUAL_ENV:-}" || "$VIRTUAL_ENV" == "$REPO_ROOT/.venv" ]] \
  && [[ "$(command -v manage 2>/dev/null)" != /nix/store/* ]] \
  && [[ ":$PATH:" != *":$REPO_ROOT/.venv/bin:"* ]]; then
  export PATH="$REPO_ROOT/.venv/bin:$PATH"
fi

export STACK_ENV_DERIVED
unset _stack_var _stack_hash _stack_pgbin
