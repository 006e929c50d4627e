# 32-bit ARM (armv7l-linux): these packages publish no armv7l wheel, so uv2nix builds them from
# their sdists, and uv.lock records no build system for an sdist (uv2nix doc/src/overriding). Each
# override adds the build system named in that sdist's pyproject.toml [build-system] (resolved from
# build-system-pkgs, whose pyproject.toml lists what it provides) and the C libraries it links, as
# nixpkgs' own python-modules/<name>/default.nix does. python.nix applies this only on armv7l;
# amd64 and arm64 install wheels for all of them.
{ pkgs }:
final: prev:
let
  # prev.${name} with `attrs` added: `buildSystem` resolved (pyproject.nix build/packages.nix
  # resolveBuildSystem) and `nativeBuildInputs`, `buildInputs` appended to the package's own.
  fromSdist =
    name:
    {
      buildSystem,
      nativeBuildInputs ? [ ],
      buildInputs ? [ ],
      ...
    }@attrs:
    prev.${name}.overrideAttrs (
      old:
      removeAttrs attrs [ "buildSystem" ]
      // {
        nativeBuildInputs =
          old.nativeBuildInputs ++ final.resolveBuildSystem buildSystem ++ nativeBuildInputs;
        buildInputs = (old.buildInputs or [ ]) ++ buildInputs;
      }
    );
in
{
  # setuptools; setup.py asks pkg-config for libffi (nixpkgs python-modules/cffi).
  cffi = fromSdist "cffi" {
    buildSystem.setuptools = [ ];
    nativeBuildInputs = [ pkgs.pkg-config ];
    buildInputs = [ pkgs.libffi ];
  };

  # setuptools and Cython for the LibYAML binding (nixpkgs python-modules/pyyaml). Without libyaml
  # setup.py silently installs the slow pure-Python loader; PYYAML_FORCE_LIBYAML makes it fail.
  pyyaml = fromSdist "pyyaml" {
    buildSystem = {
      setuptools = [ ];
      cython = [ ];
    };
    buildInputs = [ pkgs.libyaml ];
    PYYAML_FORCE_LIBYAML = "1";
  };

  # setuptools only; TORNADO_EXTENSION=1 makes the C speedups module required rather than
  # silently skipped when it fails to compile (tornado's setup.py).
  tornado = fromSdist "tornado" {
    buildSystem.setuptools = [ ];
    TORNADO_EXTENSION = "1";
  };

  # scikit-build-core with setuptools-scm, compiling the libargon2 copy inside the sdist (plain C,
  # its portable ref.c on ARM). build-system-pkgs' cmake and ninja are nixpkgs' stubs carrying
  # those tools' setup hooks, which would take over the configure/build/install phases from
  # pyproject.nix's hooks: nixpkgs' cmake and ninja setup-hook.sh honour these dontUse* flags.
  argon2-cffi-bindings = fromSdist "argon2-cffi-bindings" {
    buildSystem = {
      scikit-build-core = [ ];
      setuptools-scm = [ ];
      cmake = [ ];
      ninja = [ ];
    };
    dontUseCmakeConfigure = true;
    dontUseNinjaBuild = true;
    dontUseNinjaInstall = true;
    dontUseNinjaCheck = true;
  };

  # psycopg-c instead of psycopg-binary here (pyproject.toml): published only as an sdist, whose
  # generated C needs no Cython, built against libpq found through pg_config (nixpkgs
  # python-modules/psycopg; nixpkgs ships pg_config as libpq.pg_config since 25.05).
  psycopg-c = fromSdist "psycopg-c" {
    buildSystem = {
      setuptools = [ ];
      wheel = [ ];
    };
    nativeBuildInputs = [ pkgs.libpq.pg_config ];
    buildInputs = [ pkgs.libpq ];
  };
}
