# shellcheck shell=bash
# The dev stack's TCP ports and the URLs built from them (needs checkout.sh first).
#
# Each checkout has its own block of five ports, chosen once and recorded in .state/ports, so
# two checkouts' stacks run side by side and each keeps its URLs (bookmarks, logins). Block 0
# is the familiar 8000 (Django), 3000 (Vite), 5555 (Flower), 1025 (SMTP), 8025 (mailpit); block
# N adds 10*N to each (N <= 99), so no two blocks share a port. A clone's main working tree
# asks for block 0 first; any other checkout (a `git worktree`, a copy) starts from a block
# derived from its path and never takes block 0, whatever runs at the time. A block is taken
# only when all five ports are free; when `scripts/up` finds a recorded port taken by
# something else, it chooses and records a new block (and says so).
#
# DJANGO_PORT, VITE_PORT, FLOWER_PORT, MAILPIT_SMTP_PORT and MAILPIT_UI_PORT exported by the
# caller win over the block, one by one; so do the URL variables below.
#
# DEV_HTTPS=true: the app and Vite keep their ports and URLs, now https: the stack's TLS proxy
# (scripts/https-proxy) listens there, and Django and Vite move to the next port up
# (DJANGO_BIND_PORT, VITE_BIND_PORT), which no block uses (every base port ends in 0 or 5).

STACK_PORT_FILE="$STATE_DIR/ports"
STACK_PORT_NAMES=(DJANGO_PORT VITE_PORT FLOWER_PORT MAILPIT_SMTP_PORT MAILPIT_UI_PORT)
STACK_PORT_BASES=(8000 3000 5555 1025 8025)
STACK_PORT_BLOCKS=100

# Prints the ports among $@ that something listens on (or holds) on loopback.
_stack_ports_taken() {
  python3 - "$@" <<'PY'
import socket, sys

for port in map(int, sys.argv[1:]):
    with socket.socket() as probe:
        # A port in TIME_WAIT is free for a server (they all set SO_REUSEADDR too).
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            print(port)
PY
}

_stack_block_ports() {
  local base
  for base in "${STACK_PORT_BASES[@]}"; do printf '%s ' $((base + 10 * $1)); done
}

# With DEV_HTTPS, the ports Django and Vite bind behind the proxy (ports $1 and $2 plus one).
_stack_bind_ports() {
  stack_https_enabled && printf '%s %s ' $(($1 + 1)) $(($2 + 1))
  return 0
}

# Chooses the first block whose five ports are all free and records it in .state/ports.
stack_ports_choose() {
  local first block candidate ports
  if [[ -d "$REPO_ROOT/.git" ]]; then
    first=0
  else
    first=$((1 + 16#${CHECKOUT_ID:0:6} % (STACK_PORT_BLOCKS - 1)))
  fi
  local found=
  for ((candidate = 0; candidate < STACK_PORT_BLOCKS; candidate++)); do
    block=$(((first + candidate) % STACK_PORT_BLOCKS))
    [[ "$block" == 0 && "$first" != 0 ]] && continue
    ports=$(_stack_block_ports "$block")
    # shellcheck disable=SC2086,SC2046  # one word per port
    if [[ -z "$(_stack_ports_taken $ports $(_stack_bind_ports $ports))" ]]; then
      found=$block
      break
    fi
  done
  if [[ -z "$found" ]]; then
    echo "error: no block of free ports for the dev stack; set DJANGO_PORT, VITE_PORT, ... yourself" >&2
    return 1
  fi
  mkdir -p "$STATE_DIR"
  local temp="$STACK_PORT_FILE.$$" i=0 port
  {
    echo "# This checkout's dev stack ports (block $block), chosen on first use and reused."
    echo "# Delete this file to choose again; export DJANGO_PORT=... (etc.) to override one."
    for port in $ports; do
      echo "${STACK_PORT_NAMES[i]}=$port"
      i=$((i + 1))
    done
  } >"$temp"
  mv -f -- "$temp" "$STACK_PORT_FILE"
}

# Reads .state/ports into STACK_RECORDED_<NAME>; fails when the file is missing or damaged.
_stack_ports_read() {
  local line name value count=0
  [[ -f "$STACK_PORT_FILE" ]] || return 1
  while IFS= read -r line; do
    [[ "$line" =~ ^([A-Z_]+)=([0-9]+)$ ]] || continue
    name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    [[ " ${STACK_PORT_NAMES[*]} " == *" $name "* ]] || continue
    printf -v "STACK_RECORDED_$name" '%s' "$value"
    count=$((count + 1))
  done <"$STACK_PORT_FILE"
  ((count == ${#STACK_PORT_NAMES[@]}))
}

# Sets $1 to $2 unless the caller set it to a value of their own. What this file derived is
# remembered (name=value) in STACK_DERIVED_VALUES, so a value derived for another checkout
# (a shell opened there) or from an older .state/ports is derived again, not taken as a choice.
_stack_derive() {
  if [[ -n "${!1+x}" && $'\n'"${STACK_DERIVED_VALUES:-}"$'\n' != *$'\n'"$1=${!1}"$'\n'* ]]; then
    return 0
  fi
  export "$1=$2"
  _stack_derived_now+="$1=$2"$'\n'
}

# Exports the ports and the URLs that follow them.
stack_ports_export() {
  if ! _stack_ports_read; then
    stack_ports_choose && _stack_ports_read || return 1
  fi
  _stack_derived_now=
  local name recorded
  for name in "${STACK_PORT_NAMES[@]}"; do
    recorded="STACK_RECORDED_$name"
    _stack_derive "$name" "${!recorded}"
  done
  local scheme=http
  if stack_https_enabled; then
    scheme=https
    _stack_derive DJANGO_BIND_PORT $((DJANGO_PORT + 1))
    _stack_derive VITE_BIND_PORT $((VITE_PORT + 1))
    # process-compose.yaml's `disabled:` of the https process.
    _stack_derive STACK_HTTPS_DISABLED false
  else
    _stack_derive DJANGO_BIND_PORT "$DJANGO_PORT"
    _stack_derive VITE_BIND_PORT "$VITE_PORT"
    _stack_derive STACK_HTTPS_DISABLED true
  fi
  # Links in mails (verification, password reset) point at this checkout's app.
  _stack_derive FRONTEND_URL "$scheme://localhost:$DJANGO_PORT"
  # Django loads the page's assets and HMR client from Vite, which fetches the API back.
  _stack_derive DJANGO_VITE_DEV_SERVER_PORT "$VITE_PORT"
  _stack_derive DJANGO_VITE_DEV_SERVER_PROTOCOL "$scheme"
  _stack_derive DJANGO_CORS_ALLOWED_ORIGINS "$scheme://localhost:$VITE_PORT,$scheme://127.0.0.1:$VITE_PORT"
  _stack_derive EMAIL_HOST 127.0.0.1
  _stack_derive EMAIL_PORT "$MAILPIT_SMTP_PORT"
  # What the Playwright tests talk to. The certificate names localhost, 127.0.0.1 and ::1.
  _stack_derive E2E_BASE_URL "$scheme://127.0.0.1:$DJANGO_PORT"
  _stack_derive MAILPIT_URL "http://127.0.0.1:$MAILPIT_UI_PORT"
  export STACK_DERIVED_VALUES=$_stack_derived_now
  unset _stack_derived_now
}

# Before a start: a recorded port that something else now holds moves this checkout to a new
# block. Ports the caller chose are theirs to fix. Run only while the stack is stopped.
stack_ports_check_free() {
  local name recorded taken=()
  for name in "${STACK_PORT_NAMES[@]}"; do
    recorded="STACK_RECORDED_$name"
    [[ "${!name}" == "${!recorded}" ]] && taken+=("${!name}")
  done
  if stack_https_enabled && [[ "$DJANGO_PORT" == "$STACK_RECORDED_DJANGO_PORT" ]]; then
    # shellcheck disable=SC2207  # two numbers
    taken+=($(_stack_bind_ports "$DJANGO_PORT" "$VITE_PORT"))
  fi
  ((${#taken[@]})) || return 0
  # Not mapfile: macOS's /bin/bash is 3.2, and `nix run .#up` runs these scripts with it.
  local busy
  busy=$(_stack_ports_taken "${taken[@]}")
  [[ -n "$busy" ]] || return 0
  # shellcheck disable=SC2206  # one number a line
  taken=($busy)
  echo "ports ${taken[*]} of this checkout are taken by something else: choosing new ones"
  stack_ports_choose && stack_ports_export
}

# The stack's addresses, one a line.
stack_urls() {
  local scheme=http
  stack_https_enabled && scheme=https
  cat <<URLS
app      $scheme://localhost:$DJANGO_PORT  (admin /admin/, API docs /api/v1/docs/)
vite     $scheme://localhost:$VITE_PORT
flower   http://localhost:$FLOWER_PORT
mailpit  http://localhost:$MAILPIT_UI_PORT  (SMTP 127.0.0.1:$MAILPIT_SMTP_PORT)
URLS
}

stack_ports_export
