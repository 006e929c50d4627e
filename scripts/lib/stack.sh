# shellcheck shell=bash
# Helpers shared by the stack's scripts (needs env.sh first).

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

# process-compose as a client of this checkout's stack (its API is on a unix socket).
pc() {
  process-compose --use-uds --unix-socket "$PC_SOCKET_PATH" "$@"
}

stack_is_running() {
  [[ -S "$PC_SOCKET_PATH" ]] && pc project state >/dev/null 2>&1
}
