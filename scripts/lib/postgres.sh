# shellcheck shell=bash
# PostgreSQL helpers shared by scripts/postgres-start and scripts/reset-db (needs env.sh first).

PG_INIT_MARKER="$PGDATA/.stack-init-complete"

# Runs a command as the cluster's owner: PG_RUN_AS when we are root (PostgreSQL refuses to
# run as root), else ourselves. setpriv execs directly, so signals reach the server itself.
pg_as_owner() {
  if [[ -n "${PG_RUN_AS:-}" ]]; then
    setpriv --reuid="$PG_RUN_AS" --regid="$(id -g "$PG_RUN_AS")" --init-groups -- "$@"
  else
    "$@"
  fi
}

pg_exec_as_owner() {
  if [[ -n "${PG_RUN_AS:-}" ]]; then
    exec setpriv --reuid="$PG_RUN_AS" --regid="$(id -g "$PG_RUN_AS")" --init-groups -- "$@"
  fi
  exec "$@"
}

pg_ensure_run_as_user() {
  [[ -n "${PG_RUN_AS:-}" ]] || return 0
  id -u "$PG_RUN_AS" >/dev/null 2>&1 && return 0
  echo "creating system user $PG_RUN_AS to run PostgreSQL (it refuses to run as root)"
  useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$PG_RUN_AS"
}

pg_prepare_dirs() {
  pg_ensure_run_as_user
  stack_prepare_run_dir
  mkdir -p "$STATE_DIR" "$STACK_LOG_DIR" "$(dirname -- "$PGDATA")"
  if [[ -n "${PG_RUN_AS:-}" ]] && ! pg_as_owner test -x "$(dirname -- "$PGDATA")"; then
    echo "error: $PG_RUN_AS cannot reach $(dirname -- "$PGDATA"); set PGDATA to a directory it can reach" >&2
    return 1
  fi
}

# initdb, a superuser role named $PGUSER, the database $PGDATABASE, then the marker. A
# temporary server on a separate socket directory does the SQL part, so the readiness probe
# (pg_isready on $RUN_DIR) cannot report ready before the database exists.
pg_init_cluster() {
  echo "initialising PostgreSQL in $PGDATA"
  rm -rf "$PGDATA"
  mkdir -m 0700 "$PGDATA"
  [[ -z "${PG_RUN_AS:-}" ]] || chown "$PG_RUN_AS:" "$PGDATA"
  # initdb and the server look up their working directory: make it one PG_RUN_AS can enter.
  cd "$PGDATA" || return

  pg_as_owner initdb --pgdata="$PGDATA" --username="$PGUSER" --auth=trust \
    --encoding=UTF8 --no-locale --no-instructions >/dev/null

  local init_socket_dir="$RUN_DIR/init"
  rm -rf "$init_socket_dir"
  mkdir -m 0700 "$init_socket_dir"
  [[ -z "${PG_RUN_AS:-}" ]] || chown "$PG_RUN_AS:" "$init_socket_dir"
  # Without --log the temporary server logs to our output (the process log).
  pg_as_owner pg_ctl --pgdata="$PGDATA" --wait --silent \
    -o "-k $init_socket_dir -c listen_addresses=''" start
  createdb --host="$init_socket_dir" --username="$PGUSER" "$PGDATABASE"
  pg_as_owner pg_ctl --pgdata="$PGDATA" --wait --silent --mode=fast stop
  rmdir "$init_socket_dir"

  date -u +%FT%TZ >"$PG_INIT_MARKER"
}

# A data directory from another major version (Debian's 15, Nix's 17, ...) cannot be opened.
pg_check_version() {
  local data_version server_version
  data_version=$(cat "$PGDATA/PG_VERSION")
  # "postgres (PostgreSQL) 17.2": the major version.
  server_version=$(postgres --version | awk '{ split($3, v, "."); print v[1] }')
  if [[ "$data_version" != "$server_version" ]]; then
    echo "error: $PGDATA was made by PostgreSQL $data_version, this is $server_version;" \
      "rebuild it with scripts/reset-db (or use PostgreSQL $data_version)" >&2
    return 1
  fi
}

# True when $1 is a PostgreSQL server running on this data directory (the PID of a crashed
# server may since belong to anything, another cluster's server included).
_pg_pid_is_our_server() {
  local pid=$1
  [[ "$pid" =~ ^[0-9]+$ && "$pid" != "$$" ]] || return 1
  [[ "$(ps -p "$pid" -o comm= 2>/dev/null)" == *postgres* ]] || return 1
  [[ "$(ps -p "$pid" -o args= 2>/dev/null)" == *"$PGDATA"* ]]
}

# A crash leaves postmaster.pid (and the socket's lock file) behind; when its PID has been
# reused by another process, PostgreSQL refuses to start. Remove them unless a server really
# runs on this data directory.
pg_remove_stale_pid_file() {
  local pid_file="$PGDATA/postmaster.pid" pid lock
  if [[ -f "$pid_file" ]]; then
    pid=$(head -n 1 "$pid_file")
    if _pg_pid_is_our_server "$pid"; then
      echo "error: PostgreSQL (pid $pid) already runs on $PGDATA; stop it first (scripts/down)" >&2
      return 1
    fi
    echo "removing stale $pid_file (pid $pid is not running PostgreSQL)"
    rm -f "$pid_file"
  fi
  for lock in "$RUN_DIR"/.s.PGSQL.*.lock; do
    [[ -f "$lock" ]] || continue
    _pg_pid_is_our_server "$(head -n 1 "$lock")" && continue
    rm -f "$lock" "${lock%.lock}"
  done
}
