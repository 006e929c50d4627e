{
  description = "Django + Vue web application: dev stack, checks and OCI images with Nix";

  # Inputs and follows as in uv2nix's templates/hello-world/flake.nix; flake.lock pins them.
  inputs = {
    nixpkgs.url = "github:nixos/nixpkgs/nixos-unstable";

    pyproject-nix = {
      url = "github:pyproject-nix/pyproject.nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };

    uv2nix = {
      url = "github:pyproject-nix/uv2nix";
      inputs.pyproject-nix.follows = "pyproject-nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };

    pyproject-build-systems = {
      url = "github:pyproject-nix/build-system-pkgs";
      inputs.pyproject-nix.follows = "pyproject-nix";
      inputs.uv2nix.follows = "uv2nix";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      pyproject-nix,
      uv2nix,
      pyproject-build-systems,
      ...
    }:
    let
      inherit (nixpkgs) lib;
      forAllSystems = lib.genAttrs [
        "x86_64-linux"
        "aarch64-linux"
        "aarch64-darwin"
      ];

      # pyproject.toml is the one place the project's name lives.
      pyproject = lib.importTOML ./pyproject.toml;
      # As the Python package set spells it: the NixOS option path, units, user and database.
      appName = pyproject-nix.lib.pypa.normalizePackageName pyproject.project.name;

      # What the image says about itself. With --impure, CI may pass its release tag as
      # APP_VERSION and its CI_PROJECT_URL (GitLab sets it); pure evaluation reads "" for both
      # and falls back to the commit (or a dirty marker) and to [project.urls] Repository.
      fromEnv =
        name: fallback:
        let
          value = builtins.getEnv name;
        in
        if value != "" then value else fallback;
      build = {
        version = fromEnv "APP_VERSION" (self.shortRev or self.dirtyShortRev or "dev");
        revision = self.rev or self.dirtyRev or "unknown";
        lastModifiedDate = self.lastModifiedDate or "19700101000001";
        source = fromEnv "CI_PROJECT_URL" (pyproject.project.urls.Repository or "");
      };

      # One system's pieces, assembled by nix/default.nix from one file per concern.
      partsFor =
        system:
        import ./nix {
          pkgs = nixpkgs.legacyPackages.${system};
          projectName = pyproject.project.name;
          inherit
            pyproject-nix
            uv2nix
            pyproject-build-systems
            build
            ;
        };
      parts = forAllSystems partsFor;

      # 32-bit ARM builds the image only (nixpkgs' flake exposes armv7l-linux: lib/systems/
      # flake-systems.nix). It stays out of forAllSystems, which would give it a dev shell,
      # checks, apps and a formatter whose Chromium, Playwright and GHC-built nixfmt nixpkgs
      # does not provide there, breaking `nix flake show` and `check --all-systems`. Lazily,
      # only the image is ever evaluated from these parts.
      armv7Parts = partsFor "armv7l-linux";
    in
    {
      packages = forAllSystems (
        system:
        parts.${system}.packages
        // lib.optionalAttrs (lib.hasSuffix "-linux" system) {
          # `nix build .#image-arm64` looks the name up under the builder's own system, so all
          # three names exist on both Linux systems, each the natively built image (no pkgsCross).
          image-amd64 = self.packages.x86_64-linux.image;
          image-arm64 = self.packages.aarch64-linux.image;
          # Its Python packages without an armv7l wheel are compiled from their sdists
          # (nix/python-armv7.nix); `nix flake check` evaluates it like every package.
          image-armv7 = armv7Parts.packages.image;
        }
      );

      devShells = forAllSystems (system: {
        default = parts.${system}.devShell;
      });

      apps = forAllSystems (system: parts.${system}.apps);

      checks = forAllSystems (
        system:
        parts.${system}.checks
        // lib.optionalAttrs (system == "x86_64-linux") {
          nixos-deploy = import ./nix/nixos/test.nix {
            pkgs = nixpkgs.legacyPackages.${system};
            module = self.nixosModules.default;
            name = appName;
          };
        }
      );

      # `services.<project name>` for NixOS hosts, and a whole host that uses it. The location
      # names the file in the module system's errors.
      nixosModules.default = lib.setDefaultModuleLocation ./nix/nixos/module.nix (
        import ./nix/nixos/module.nix {
          name = appName;
          inherit (self) packages;
        }
      );
      nixosConfigurations.example = lib.nixosSystem {
        modules = [
          self.nixosModules.default
          (import ./nix/nixos/example.nix { name = appName; })
        ];
      };

      # The official (RFC 166) formatter; at this pin it is `nixfmt`, and `nixfmt-rfc-style` is a
      # dropped alias. It takes files: `nix fmt -- $(git ls-files '*.nix')` (add --check in CI).
      formatter = forAllSystems (system: nixpkgs.legacyPackages.${system}.nixfmt);

      # `nix flake new -t <this repo> myapp`, then `rename` gives the copy its own name.
      templates.default = {
        path = ./.;
        description = "Django + Vue web application with a Nix dev stack, checks and OCI images";
      };
    };
}
