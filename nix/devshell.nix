# `nix develop` (or direnv's `use flake`): the editable backend venv and every tool the stack and
# the checks use. Environment and hook follow uv2nix's templates/hello-world/flake.nix.
{
  pkgs,
  python,
  frontend,
  tools,
}:
let
  inherit (pkgs) lib;
  # Playwright cannot download its own browser; the e2e tests take this one (CHROMIUM_PATH).
  hasChromium = pkgs.stdenv.hostPlatform.isLinux;
in
pkgs.mkShell {
  packages =
    tools.stack
    ++ tools.dev
    ++ [ frontend.linkNodeModulesHook ]
    # certutil (nss.tools): the DEV_HTTPS test gives that Chromium an NSS database holding only
    # the stack's CA (tests/stack/test_dev_https.py).
    ++ lib.optionals hasChromium [
      pkgs.chromium
      pkgs.nss.tools
    ];

  env = lib.optionalAttrs hasChromium { CHROMIUM_PATH = lib.getExe pkgs.chromium; } // {
    # Nix builds the venv from uv.lock; uv only edits pyproject.toml and uv.lock here, so it must
    # neither sync a venv of its own nor download an interpreter.
    UV_NO_SYNC = "1";
    UV_PYTHON = python.python.interpreter;
    UV_PYTHON_DOWNLOADS = "never";
  };

  # Read by linkNodeModulesHook (nixpkgs javascript.section.md, "importNpmLock.buildNodeModules").
  npmDeps = frontend.nodeModules;

  shellHook = ''
    # A PYTHONPATH from outside would shadow the venv's packages.
    unset PYTHONPATH
    REPO_ROOT="$(git rev-parse --show-toplevel 2>/dev/null || pwd)"
    export REPO_ROOT

    # Link frontend/node_modules to the store's copy, unless npm manages it there (an npm install
    # has a real .bin directory). After `npm install --package-lock-only`, re-enter the shell.
    modules="$REPO_ROOT/frontend/node_modules"
    if [ -f "$REPO_ROOT/frontend/package-lock.json" ] && { [ ! -e "$modules" ] || [ -L "$modules/.bin" ]; }; then
      npmRoot="$REPO_ROOT/frontend" linkNodeModulesHook >/dev/null
    fi
    unset modules

    # The stack's environment (ports, sockets, database and broker URLs).
    if [ -f "$REPO_ROOT/scripts/env.sh" ]; then
      source "$REPO_ROOT/scripts/env.sh"
    fi

    cat <<'EOF'
    ${python.appName} dev shell. Each command is also scripts/<name> and `make <name>`:
      nix run .#up                   start the stack (process-compose)
      nix run .#status               per-process state and readiness
      nix run .#down                 stop the stack
      nix run .#reset-db             wipe, re-create, migrate and load the dev fixtures
      nix run .#manage -- <command>  run a Django management command
      nix run .#createsuperuser      create an admin user
      nix run .#rename -- <name>     rename the project and re-lock
      nix flake check                ruff, pytest, eslint, vitest, nixfmt
    EOF
  '';
}
