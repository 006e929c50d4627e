# shellcheck shell=bash
# What `make up` and `make test` set up on their own (scripts/setup), so that a fresh clone
# needs no other command (needs checkout.sh and tools.sh first):
#   - a system tool the stack needs is missing: say which and run scripts/install-deps (it
#     needs root: asked first on a terminal, done without asking under CI=true);
#   - uv.lock or frontend/package-lock.json changed since the last sync (or the venv or
#     node_modules is missing): sync them (uv sync --locked, npm ci).
# Inside Nix (nix develop, nix run) the flake provides all of this: nothing to do.

STACK_SETUP_DIR="$STATE_DIR/setup"
STACK_TOOLS=(process-compose postgres initdb redis-server mailpit uv npm python3)

_stack_file_digest() {
  { sha256sum 2>/dev/null || shasum -a 256; } <"$1" | cut -d' ' -f1
}

# Whether $1 (a lock file) changed since _stack_record_sync saw it.
_stack_lock_changed() {
  local record
  record="$STACK_SETUP_DIR/$(basename -- "$1").sha256"
  [[ ! -f "$record" || "$(cat "$record")" != "$(_stack_file_digest "$1")" ]]
}

_stack_record_sync() {
  mkdir -p "$STACK_SETUP_DIR"
  _stack_file_digest "$1" >"$STACK_SETUP_DIR/$(basename -- "$1").sha256"
}

stack_install_missing_tools() {
  local missing=() tool answer
  local tools=("${STACK_TOOLS[@]}")
  stack_https_enabled && tools+=(caddy mkcert)
  for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  ((${#missing[@]})) || return 0
  echo "missing on this machine: ${missing[*]}"
  if [[ "${CI:-}" != true ]]; then
    if [[ ! -t 0 ]]; then
      echo "error: run scripts/install-deps (as root, or with sudo), then try again" >&2
      return 1
    fi
    read -r -p "Run scripts/install-deps now (apt and go install, as root or with sudo)? [y/N] " answer
    [[ "$answer" == [yY]* ]] || { echo "nothing installed" >&2; return 1; }
  fi
  "$REPO_ROOT/scripts/install-deps" || return
  # What install-deps put outside the default PATH.
  local gopath
  gopath=$(go env GOPATH 2>/dev/null || echo "$HOME/go")
  export PATH="/usr/local/bin:$PATH:$gopath/bin"
  # shellcheck source=scripts/lib/tools.sh
  source "$REPO_ROOT/scripts/lib/tools.sh"
}

# Syncs the locked dependencies that changed; all of them with --force.
stack_sync_dependencies() {
  local force=${1:-}
  if [[ -n "${IN_NIX_SHELL:-}" ]]; then
    echo "nix develop provides the Python environment (from uv.lock); skipping uv sync"
  elif [[ "$force" == --force || ! -x "$REPO_ROOT/.venv/bin/python" ]] ||
    _stack_lock_changed "$REPO_ROOT/uv.lock"; then
    echo "syncing the Python dependencies (uv.lock)"
    # Bytecode now (unless UV_COMPILE_BYTECODE=0): else the first start compiles it, on the clock.
    (cd "$REPO_ROOT" && UV_PYTHON_DOWNLOADS=${UV_PYTHON_DOWNLOADS:-never} \
      UV_COMPILE_BYTECODE=${UV_COMPILE_BYTECODE:-1} uv sync --locked) || return
    _stack_record_sync "$REPO_ROOT/uv.lock"
  fi
  local lock="$REPO_ROOT/frontend/package-lock.json" modules="$REPO_ROOT/frontend/node_modules"
  [[ -f "$lock" ]] || return 0
  # The dev shell and `nix run` link node_modules from the store; a test copy links ours.
  [[ -L "$modules/.bin" || -L "$modules" ]] && return 0
  if [[ "$force" == --force || ! -d "$modules" ]] || _stack_lock_changed "$lock"; then
    echo "installing the frontend's dependencies (frontend/package-lock.json)"
    npm ci --prefix "$REPO_ROOT/frontend" --no-audit --no-fund || return
    _stack_record_sync "$lock"
  fi
}

stack_setup() {
  [[ -n "${IN_NIX_SHELL:-}" ]] && return 0
  stack_install_missing_tools && stack_sync_dependencies "$@"
}
