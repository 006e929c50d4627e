# shellcheck shell=bash
# The stack's PostgreSQL cluster: its owner, its life cycle, its leftovers (needs checkout.sh
# and services.sh first).
#
# The stack deletes only what it made itself. A cluster it initialised carries the marker
# file below, written as the last step of the init; a directory at PGDATA without it belongs
# to someone else and is never touched. initdb runs in a fresh temporary directory beside
# PGDATA that is renamed into place once complete, so an interrupted init leaves only that
# directory, recognisable by its name and the tag file inside, which the next start removes.

PG_INIT_MARKER_NAME=.stack-init-complete
# Beside PGDATA, so that the rename stays on one file system.
PG_TEMP_PREFIX="$(dirname -- "$PGDATA")/.$(basename -- "$PGDATA").stack-tmp."
PG_TEMP_TAG=.stack-temporary

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
  # useradd and setpriv (above) are Linux's: as root elsewhere, say so instead.
  if [[ "$(uname -s)" != Linux ]]; then
    echo "error: as root, PostgreSQL runs as another user (setpriv), on Linux only;" \
      "on $(uname -s) start the stack as a normal user" >&2
    return 1
  fi
  id -u "$PG_RUN_AS" >/dev/null 2>&1 && return 0
  echo "creating system user $PG_RUN_AS to run PostgreSQL (it refuses to run as root)"
  useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$PG_RUN_AS"
}

pg_prepare_dirs() {
  pg_ensure_run_as_user
  stack_prepare_run_dir
  mkdir -p "$STATE_DIR" "$STACK_LOG_DIR" "$(dirname -- "$PGDATA")"
  if [[ -n "${PG_RUN_AS:-}" ]] && ! pg_as_owner test -x "$(dirname -- "$PGDATA")"; then
    echo "error: $PG_RUN_AS cannot reach $(dirname -- "$PGDATA"); set STACK_PGDATA to a directory it can reach" >&2
    return 1
  fi
}

# Whether $1 is a cluster this stack initialised.
pg_is_ours() {
  [[ -f "$1/$PG_INIT_MARKER_NAME" ]]
}

pg_refuse_foreign_data_dir() {
  echo "error: $PGDATA exists but the dev stack did not make it (it has no $PG_INIT_MARKER_NAME):" \
    "it is left as it is. Move it away yourself, or set STACK_PGDATA to another directory." >&2
  return 1
}

# A new empty directory beside PGDATA, tagged as the stack's own; prints its path.
_pg_new_temp_dir() {
  local temp
  temp=$(mktemp -d "${PG_TEMP_PREFIX}XXXXXX") || return
  : >"$temp/$PG_TEMP_TAG"
  printf '%s\n' "$temp"
}

# True when $1 is a PostgreSQL server running on data directory $2 (the PID of a crashed
# server may since belong to anything, another cluster's server included).
_pg_pid_serves() {
  local pid=$1 data_dir=$2
  [[ "$pid" =~ ^[0-9]+$ && "$pid" != "$$" ]] || return 1
  [[ "$(ps -p "$pid" -o comm= 2>/dev/null)" == *postgres* ]] || return 1
  [[ "$(ps -p "$pid" -o args= 2>/dev/null)" == *"$data_dir"* ]]
}

# Removes what interrupted inits (and resets) left: only directories with our name and tag.
# An init killed while its temporary server ran leaves that server behind: it is stopped first.
pg_remove_temp_dirs() {
  local temp pid
  for temp in "$PG_TEMP_PREFIX"*; do
    [[ -d "$temp" && -f "$temp/$PG_TEMP_TAG" ]] || continue
    if [[ -f "$temp/data/postmaster.pid" ]]; then
      pid=$(head -n 1 "$temp/data/postmaster.pid")
      if _pg_pid_serves "$pid" "$temp/data"; then
        kill -QUIT "$pid" 2>/dev/null
        for _ in $(seq 1 100); do
          kill -0 "$pid" 2>/dev/null || break
          sleep 0.1
        done
      fi
    fi
    echo "removing $temp (left by an interrupted init or reset)"
    rm -rf -- "$temp"
  done
}

# initdb, a superuser role named $PGUSER, the database $PGDATABASE, then the marker, all in a
# temporary directory; then the rename into place. A temporary server on a separate socket
# directory does the SQL part, so the readiness probe (pg_isready on $RUN_DIR) cannot report
# ready before the database exists.
pg_init_cluster() {
  echo "initialising PostgreSQL in $PGDATA"
  local temp data init_socket_dir="$RUN_DIR/init"
  temp=$(_pg_new_temp_dir) || return
  data="$temp/data"
  mkdir -m 0700 "$data"
  [[ -z "${PG_RUN_AS:-}" ]] || chown "$PG_RUN_AS:" "$temp" "$data"
  # initdb and the server look up their working directory: make it one PG_RUN_AS can enter.
  cd "$data" || return

  pg_as_owner initdb --pgdata="$data" --username="$PGUSER" --auth=trust \
    --encoding=UTF8 --no-locale --no-instructions >/dev/null || return

  rm -rf -- "$init_socket_dir"
  mkdir -m 0700 "$init_socket_dir"
  [[ -z "${PG_RUN_AS:-}" ]] || chown "$PG_RUN_AS:" "$init_socket_dir"
  # Without --log the temporary server logs to our output (the process log).
  pg_as_owner pg_ctl --pgdata="$data" --wait --silent \
    -o "-k $init_socket_dir -c listen_addresses=''" start || return
  createdb --host="$init_socket_dir" --username="$PGUSER" "$PGDATABASE" || return
  pg_as_owner pg_ctl --pgdata="$data" --wait --silent --mode=fast stop || return
  rmdir "$init_socket_dir"

  echo "initialised by the dev stack of $PROJECT_NAME (scripts/postgres-start) at $(date -u +%FT%TZ)" \
    >"$data/$PG_INIT_MARKER_NAME"
  if [[ -e "$PGDATA" ]]; then
    echo "error: $PGDATA appeared during the init; the new cluster stays in $data" >&2
    return 1
  fi
  mv -- "$data" "$PGDATA"
  rm -rf -- "$temp"
}

# Moves the stack's own cluster out of the way and deletes it (scripts/reset-db). An
# interrupted delete leaves a tagged temporary directory, never a damaged PGDATA.
pg_discard_cluster() {
  pg_is_ours "$PGDATA" || {
    pg_refuse_foreign_data_dir
    return 1
  }
  pg_refuse_running_server || return
  local temp
  temp=$(_pg_new_temp_dir) || return
  mv -- "$PGDATA" "$temp/data"
  rm -rf -- "$temp"
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

pg_refuse_running_server() {
  local pid_file="$PGDATA/postmaster.pid" pid
  [[ -f "$pid_file" ]] || return 0
  pid=$(head -n 1 "$pid_file")
  if _pg_pid_serves "$pid" "$PGDATA"; then
    echo "error: PostgreSQL (pid $pid) already runs on $PGDATA; stop it first (scripts/down)" >&2
    return 1
  fi
}

# A crash leaves postmaster.pid (and the socket's lock file) behind; when its PID has been
# reused by another process, PostgreSQL refuses to start. Remove them unless a server really
# runs on this data directory.
pg_remove_stale_pid_file() {
  local pid_file="$PGDATA/postmaster.pid" lock
  pg_refuse_running_server || return
  if [[ -f "$pid_file" ]]; then
    echo "removing stale $pid_file (pid $(head -n 1 "$pid_file") is not running PostgreSQL)"
    rm -f "$pid_file"
  fi
  for lock in "$RUN_DIR"/.s.PGSQL.*.lock; do
    [[ -f "$lock" ]] || continue
    _pg_pid_serves "$(head -n 1 "$lock")" "$PGDATA" && continue
    rm -f "$lock" "${lock%.lock}"
  done
}
