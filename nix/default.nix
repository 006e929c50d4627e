# One system's outputs, assembled from the files beside this one (one concern each).
{
  pkgs,
  pyproject-nix,
  uv2nix,
  pyproject-build-systems,
  projectName,
  build,
}:
let
  inherit (pkgs) lib;

  python = import ./python.nix {
    inherit
      pkgs
      pyproject-nix
      uv2nix
      pyproject-build-systems
      projectName
      ;
  };
  frontend = import ./frontend.nix {
    inherit pkgs;
    inherit (python) appName;
  };
  static = import ./static.nix { inherit pkgs python frontend; };
  tools = import ./tools.nix { inherit pkgs python; };
in
{
  packages = {
    default = python.venv;
    inherit (python) venv;
    inherit static;
    frontend = frontend.dist;
    node-modules = frontend.nodeModules;
    # CI pushes images with the skopeo pinned here (`nix run .#skopeo -- copy ...`).
    inherit (pkgs) skopeo;
  }
  // lib.optionalAttrs (python ? release) {
    inherit (python) release;
  }
  // lib.optionalAttrs pkgs.stdenv.hostPlatform.isLinux {
    image = import ./image.nix {
      inherit
        pkgs
        python
        static
        build
        ;
    };
  };

  devShell = import ./devshell.nix {
    inherit
      pkgs
      python
      frontend
      tools
      ;
  };

  apps = import ./apps.nix {
    inherit
      pkgs
      python
      frontend
      tools
      ;
  };

  checks = import ./checks.nix { inherit pkgs python frontend; };
}
