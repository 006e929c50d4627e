# shellcheck shell=bash
# Where this checkout keeps its dev stack. Every path derives from the checkout's own location,
# never from the caller's environment: a shell opened in another checkout, or one set up for a
# system PostgreSQL, must not lead these scripts to state that is not theirs.
#
# No `set -e` or `exit` in scripts/lib: these files are also sourced into interactive shells.

REPO_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
export REPO_ROOT

# The project name lives in pyproject.toml only ([project] name).
PROJECT_NAME=$(awk -F'"' '
  /^\[/ { in_project = ($0 == "[project]") }
  in_project && /^name[[:space:]]*=/ { print $2; exit }
' "$REPO_ROOT/pyproject.toml")
export PROJECT_NAME

export STATE_DIR="$REPO_ROOT/.state"
export STACK_LOG_DIR="$STATE_DIR/logs"

# A short, stable name for this checkout (its path may be long or contain spaces).
CHECKOUT_ID=$(printf '%s' "$REPO_ROOT" | { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-8)

# Unix socket paths must stay under 104 bytes (sun_path on macOS; 108 on Linux): the sockets go
# to a short directory named after the checkout, so two checkouts never share one, however deep
# the checkout lies (.state/ would overflow in a deep one). /tmp, not TMPDIR: macOS's TMPDIR is
# /var/folders/<..>/<..>/T/, about 50 bytes already. At most 5 + 40 (scripts/rename's longest
# name) + 9 bytes, plus the longest socket name (process-compose.sock): 75.
export RUN_DIR="/tmp/${PROJECT_NAME}-${CHECKOUT_ID}"

# DEV_HTTPS as django-environ's env.bool reads it, so the shell and Django never disagree
# (scripts/lib/ports.sh, scripts/https-proxy, scripts/setup).
stack_https_enabled() {
  case "$(printf '%s' "${DEV_HTTPS:-}" | tr '[:upper:]' '[:lower:]')" in
    true | on | ok | y | yes | 1) return 0 ;;
    *) return 1 ;;
  esac
}

# RUN_DIR sits in /tmp under a predictable name: refuse one that someone else created.
stack_prepare_run_dir() {
  # postgres and redis start in parallel: either may create it.
  mkdir -m 0700 "$RUN_DIR" 2>/dev/null || [[ -d "$RUN_DIR" ]]
  local owner
  owner=$(stat -c %U "$RUN_DIR" 2>/dev/null || stat -f %Su "$RUN_DIR")
  if [[ "$owner" != "$(id -un)" && "$owner" != "${PG_RUN_AS:-}" ]]; then
    echo "error: $RUN_DIR belongs to $owner, not to us; remove it" >&2
    return 1
  fi
  if [[ -n "${PG_RUN_AS:-}" ]] && id -u "$PG_RUN_AS" >/dev/null 2>&1; then
    chown "$PG_RUN_AS:" "$RUN_DIR"
  fi
}
