# shellcheck shell=bash
# Shared by backup, list-backups, restore and backup-schedule. They run in the `backup` container
# (the postgres image: pg_dump, pg_restore, psql, tar) and reach the database through libpq's own
# variables (PGHOST, PGUSER, PGPASSWORD, PGDATABASE), so the tests run the same files on a host.
#
# A backup is one directory, BACKUP_DIR/<UTC time>/, holding database.dump (pg_dump's custom
# format) and media.tar.gz (MEDIA_DIR). It is written under a dot-name and renamed into place
# when complete, so every directory list-backups shows is whole.
set -euo pipefail

: "${BACKUP_DIR:?BACKUP_DIR must name the backups directory}"
: "${MEDIA_DIR:?MEDIA_DIR must name the media directory}"
: "${PGDATABASE:?PGDATABASE must name the database}"
# Every client call gives up instead of hanging on a host that drops packets.
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10}
# shellcheck disable=SC2034  # (the scripts that source this file read it)
readonly DUMP_TIMEOUT=${BACKUP_TIMEOUT_SECONDS:-3600}
readonly BACKUP_NAME_PATTERN='^[0-9]{8}T[0-9]{6}Z$'

fail() {
  echo "$(basename -- "$0"): $*" >&2
  exit 1
}

say() { echo "$(basename -- "$0"): $*"; }

# psql against the maintenance database, SQL on stdin (only there does psql fill in the
# -v variables, quoted as :'literal' and :"identifier"), stopping at the first error.
admin_sql() {
  timeout 60 psql --no-psqlrc --quiet --tuples-only --no-align -v ON_ERROR_STOP=1 \
    --dbname postgres "$@"
}

backup_names() {
  [[ -d "$BACKUP_DIR" ]] || return 0
  find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
    grep -E "$BACKUP_NAME_PATTERN" | sort
}
