# shellcheck shell=bash
# The dev stack's whole environment, for shells (the Nix dev shell, direnv) and for the
# processes of process-compose.yaml (through scripts/with-env). Scripts source only the parts
# in scripts/lib they need:
#   checkout.sh        paths of this checkout's state, logs and sockets
#   services.sh        PostgreSQL and Redis for every client (PG*, DATABASE_URL, REDIS_URL)
#   ports.sh           TCP ports (one block per checkout) and the URLs built from them
#   process-compose.sh the supervisor's socket and client
#   tools.sh           PostgreSQL's binaries and the project venv on PATH
#
# No `set -e` or `exit` here: this file is sourced into interactive shells.

_stack_lib="$(dirname -- "${BASH_SOURCE[0]}")/lib"
# shellcheck source=scripts/lib/checkout.sh
source "$_stack_lib/checkout.sh"
# shellcheck source=scripts/lib/services.sh
source "$_stack_lib/services.sh"
# shellcheck source=scripts/lib/ports.sh
source "$_stack_lib/ports.sh"
# shellcheck source=scripts/lib/process-compose.sh
source "$_stack_lib/process-compose.sh"
# shellcheck source=scripts/lib/tools.sh
source "$_stack_lib/tools.sh"
unset _stack_lib
