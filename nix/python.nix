# The Python side: uv2nix turns uv.lock into one derivation per package, and pyproject.nix
# assembles virtualenvs from them. Follows uv2nix's templates/hello-world/flake.nix and the
# Django template it shipped until commit dcd1786 (templates/django-webapp/flake.nix).
{
  pkgs,
  pyproject-nix,
  uv2nix,
  pyproject-build-systems,
  projectName,
}:
let
  inherit (pkgs) lib;
  inherit (pyproject-nix.lib.pypa) normalizePackageName;

  # Load from the repository root itself: filtering the workspace root makes uv2nix import from
  # derivations ("path is not valid", uv2nix PR #290). Sources are filtered per package below.
  workspace = uv2nix.lib.workspace.loadWorkspace { workspaceRoot = ../.; };

  # The package set is keyed by normalized project names (PEP 503).
  appName = normalizePackageName projectName;

  # The second workspace member, release/, holds the release CLI; its name is read, not assumed.
  releaseToml = ../release/pyproject.toml;
  releaseName =
    if builtins.pathExists releaseToml then
      normalizePackageName (lib.importTOML releaseToml).project.name
    else
      null;
  hasRelease = releaseName != null && workspace.deps.all ? ${releaseName};

  # Use the wheels uv.lock lists: nothing to compile, and manylinux wheels get patched for Nix by
  # autoPatchelf (uv2nix doc/src/overriding).
  overlay = workspace.mkPyprojectOverlay { sourcePreference = "wheel"; };

  # What uv.lock cannot express.
  overrides = final: prev: {
    # dj-rest-auth is published only as an sdist, and uv.lock records no build system for it
    # ("No module named setuptools": uv2nix issues #117, #201, #340).
    dj-rest-auth = prev.dj-rest-auth.overrideAttrs (old: {
      nativeBuildInputs = old.nativeBuildInputs ++ final.resolveBuildSystem { setuptools = [ ]; };
    });

    # The app's wheel needs only the backend, so frontend or CI edits do not rebuild it.
    ${appName} = appWithSources prev [ ../backend ];
  };

  # The app built from pyproject.toml, the README its metadata names, and `files`.
  appWithSources =
    set: files:
    set.${appName}.overrideAttrs (_: {
      src = lib.fileset.toSource {
        root = ../.;
        fileset = lib.fileset.unions (
          [
            ../pyproject.toml
            ../README.md
          ]
          ++ files
        );
      };
    });

  # On 32-bit ARM several packages have no wheel and are built from their sdists. The test is the
  # one pyproject.toml's platform_machine markers make: on Linux that marker is this cpu name
  # (pyproject.nix lib/pep508.nix mkEnviron, lib/pep599.nix).
  isArmv7 = pkgs.stdenv.hostPlatform.parsed.cpu.name == "armv7l";

  baseSet = pkgs.callPackage pyproject-nix.build.packages { python = pkgs.python313; };
  pythonSet = baseSet.overrideScope (
    lib.composeManyExtensions (
      [
        pyproject-build-systems.overlays.wheel
        overlay
        overrides
      ]
      ++ lib.optional isArmv7 (import ./python-armv7.nix { inherit pkgs; })
    )
  );

  # Workspace members installed in editable mode, pointing at $REPO_ROOT (set by the dev shell and
  # the apps), so code edits need no rebuild. The editable build reads only the metadata and the
  # package marker (uv2nix issue #184); uv_build needs no `editables` build dependency.
  editableSet = pythonSet.overrideScope (
    lib.composeManyExtensions [
      (workspace.mkEditablePyprojectOverlay { root = "$REPO_ROOT"; })
      (_final: prev: {
        ${appName} = appWithSources prev [ ../backend/__init__.py ];
      })
    ]
  );

  util = pkgs.callPackages pyproject-nix.build.util { };
in
{
  inherit appName;
  inherit (pythonSet) python;

  # Production: the app and its runtime dependencies only (no dev group, no release tooling).
  venv = pythonSet.mkVirtualEnv "${appName}-env" { ${appName} = [ ]; };

  # Checks: every member with every group, installed from the store like production.
  testVenv = pythonSet.mkVirtualEnv "${appName}-test-env" workspace.deps.all;

  # Dev shell and apps: the same packages, with the workspace members editable.
  devVenv = editableSet.mkVirtualEnv "${appName}-dev-env" workspace.deps.all;
}
// lib.optionalAttrs hasRelease {
  # The release CLI without the venv's interpreter and activation scripts
  # (uv2nix doc/src/patterns/applications.md, pyproject.nix build/util mkApplication).
  release = util.mkApplication {
    venv = pythonSet.mkVirtualEnv "${releaseName}-env" { ${releaseName} = [ ]; };
    package = pythonSet.${releaseName};
  };
}
