# `nix run .#<name>`. Each developer command runs the plain script scripts/<name> of the user's own
# checkout, never a store copy: the app, `make <name>` and CI run the same code against the same
# .state/ directory, and Nix only supplies the tools on PATH (writeShellApplication's runtimeInputs).
{
  pkgs,
  python,
  frontend,
  tools,
}:
let
  inherit (pkgs) lib;

  app = program: description: {
    type = "app";
    inherit program;
    meta.description = description;
  };

  scriptApp =
    name: description:
    let
      wrapper = pkgs.writeShellApplication {
        inherit name;
        runtimeInputs = tools.stack;
        text = ''
          if ! REPO_ROOT="$(git rev-parse --show-toplevel 2>/dev/null)"; then
            echo "${name}: run this inside a checkout of the project" >&2
            exit 1
          fi
          # The dev venv's editable install finds the code through REPO_ROOT.
          export REPO_ROOT
          # A fresh clone has no frontend/node_modules (vite needs it): link each entry of the
          # one built from package-lock.json, as the dev shell's linkNodeModulesHook does, so the
          # directory itself stays writable (vite keeps its cache there).
          modules="$REPO_ROOT/frontend/node_modules"
          if [ ! -e "$modules" ] && [ -f "$REPO_ROOT/frontend/package-lock.json" ]; then
            mkdir "$modules"
            for entry in ${frontend.nodeModules}/node_modules/* ${frontend.nodeModules}/node_modules/.bin; do
              ln -s "$entry" "$modules/"
            done
          fi
          exec "$REPO_ROOT/scripts/${name}" "$@"
        '';
      };
    in
    app (lib.getExe wrapper) description;

  # The release CLI reaches registries only through skopeo and regctl, reads tags with git, and
  # waits for the E2C builder with ssh (and the caller's own nix).
  releaseWrapper = pkgs.writeShellApplication {
    name = "release";
    runtimeInputs = [
      pkgs.skopeo
      pkgs.regclient
      pkgs.git
      pkgs.openssh
    ];
    text = ''exec ${lib.getExe' python.release "release"} "$@"'';
  };

  # deploy/deploy of the user's checkout (its compose file, its env file), with ssh, tar and the
  # coreutils it calls from nixpkgs; the container engine is the far host's.
  deployWrapper = pkgs.writeShellApplication {
    name = "deploy";
    runtimeInputs = [
      pkgs.openssh
      pkgs.gnutar
      pkgs.gawk
      pkgs.gnugrep
      pkgs.gnused
      pkgs.coreutils
      pkgs.git
    ];
    text = ''
      if ! REPO_ROOT="$(git rev-parse --show-toplevel 2>/dev/null)"; then
        echo "deploy: run this inside a checkout of the project" >&2
        exit 1
      fi
      exec "$REPO_ROOT/deploy/deploy" "$@"
    '';
  };
in
{
  up = scriptApp "up" "Start the dev stack (process-compose -f process-compose.yaml up)";
  down = scriptApp "down" "Stop the dev stack";
  status = scriptApp "status" "Show each process's state and readiness";
  reset-db = scriptApp "reset-db" "Stop, wipe, re-initialise, migrate and load the dev fixtures";
  manage = scriptApp "manage" "Run a Django management command against the stack";
  createsuperuser = scriptApp "createsuperuser" "Create a Django superuser";
  rename = scriptApp "rename" "Rename the project in its one place and re-lock";
  regctl = app (lib.getExe' pkgs.regclient "regctl") "regctl, pinned by this flake";
  deploy = app (lib.getExe deployWrapper) "Roll a release out to a host over SSH (deploy/deploy)";
}
// lib.optionalAttrs (python ? release) {
  release = app (lib.getExe releaseWrapper) "Release tooling: should-update-latest, merge-manifests, promote";
}
