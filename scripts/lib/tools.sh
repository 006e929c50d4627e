# shellcheck shell=bash
# The tools the stack runs, by name on PATH (needs checkout.sh first).

# Debian keeps the server binaries of PostgreSQL off PATH. (Only there: sort -V is missing
# from older macOS sorts.)
if ! command -v postgres >/dev/null 2>&1 && [[ -d /usr/lib/postgresql ]]; then
  _stack_pgbin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [[ -d "$_stack_pgbin" ]] && export PATH="$_stack_pgbin:$PATH"
  unset _stack_pgbin
fi

# Without Nix the project venv provides manage, celery, ruff, pytest, pre-commit, ...; with
# Nix (nix develop, nix run) its own venv does, and a .venv left in the checkout must not win.
if [[ -z "${IN_NIX_SHELL:-}" && -x "$REPO_ROOT/.venv/bin/python" ]] \
  && [[ -z "${VIRTUAL_ENV:-}" || "$VIRTUAL_ENV" == "$REPO_ROOT/.venv" ]] \
  && [[ "$(command -v manage 2>/dev/null)" != /nix/store/* ]] \
  && [[ ":$PATH:" != *":$REPO_ROOT/.venv/bin:"* ]]; then
  export PATH="$REPO_ROOT/.venv/bin:$PATH"
fi
