# shellcheck shell=bash
# How everything reaches this checkout's PostgreSQL and Redis (needs checkout.sh first).
#
# Django, Celery, psql and redis-cli all find the stack through these variables. They are set
# here whatever the caller exports: a PGDATA, PGHOST or DATABASE_URL meant for a Homebrew,
# Postgres.app or system cluster must never lead the stack (or reset-db) to that cluster.
# The one override is the stack's own STACK_PGDATA (where the data directory goes).

# PostgreSQL refuses to run as root (CI runs as root): it then runs as this user, which must
# be able to reach the data directory.
if [[ "$(id -u)" == 0 ]]; then
  export PG_RUN_AS=${PG_RUN_AS:-postgres}
fi

# libpq reads every PG* variable (PGHOSTADDR, PGSERVICE, PGPASSFILE, ... as well as PGHOST),
# and any of them could point a client at another server: start from none.
for _stack_var in $(compgen -e); do
  [[ "$_stack_var" =~ ^PG[A-Z]+$ ]] && unset "$_stack_var"
done
unset _stack_var

# Every parent of the state directory must be traversable by PG_RUN_AS (a checkout under
# root's 0700 home is not); then the data goes to a per-checkout directory outside it.
_stack_others_can_reach() {
  local dir=$1
  while [[ "$dir" != / ]]; do
    [[ -n "$(find "$dir" -maxdepth 0 -perm -0001 2>/dev/null)" ]] || return 1
    dir=$(dirname -- "$dir")
  done
}
if [[ -n "${STACK_PGDATA:-}" ]]; then
  export PGDATA=$STACK_PGDATA
elif [[ -n "${PG_RUN_AS:-}" ]] && ! _stack_others_can_reach "$REPO_ROOT"; then
  export PGDATA="/var/tmp/${PROJECT_NAME}-${CHECKOUT_ID}/postgres"
else
  export PGDATA="$STATE_DIR/postgres"
fi

# The server listens on a unix socket in RUN_DIR only; the port only names the socket file.
export PGHOST=$RUN_DIR
export PGPORT=5432
export PGUSER=$PROJECT_NAME
export PGDATABASE=$PROJECT_NAME
export DATABASE_URL="postgres://${PGUSER}@/${PGDATABASE}?host=${PGHOST}"

# Redis, for the cache and (the settings derive CELERY_BROKER_URL from it, kombu spelling the
# same socket redis+socket://...?virtual_host=N) for Celery: a broker URL from outside would
# send this stack's jobs to someone else's workers.
export REDIS_SOCKET="$RUN_DIR/redis.sock"
export REDIS_URL="unix://${REDIS_SOCKET}?db=0"
unset CELERY_BROKER_URL

# Uploads and results: a MEDIA_ROOT from outside would have job deletion remove files there.
export MEDIA_ROOT="$STATE_DIR/media"
