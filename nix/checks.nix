# `nix flake check`: the project's gates, each a sandboxed derivation that succeeds when its
# commands do. Each gets only the files it reads, so unrelated edits keep its cached result.
{
  pkgs,
  python,
  frontend,
}:
let
  inherit (pkgs) lib stdenv;
  fs = lib.fileset;

  source =
    fileset:
    fs.toSource {
      root = ../.;
      inherit fileset;
    };

  nixFiles = source (fs.fileFilter (file: file.hasExt "nix") ../.);
  pythonFiles = source (fs.fileFilter (file: file.hasExt "py" || file.name == "pyproject.toml") ../.);

  # eslint and vitest through the package.json scripts, with node_modules from
  # importNpmLock.buildNodeModules linked in by linkNodeModulesHook during configure
  # (nixpkgs doc/languages-frameworks/javascript.section.md).
  npmCheck =
    name: script:
    stdenv.mkDerivation {
      name = "${python.appName}-${name}";
      src = ../frontend;
      nativeBuildInputs = [
        frontend.nodejs
        frontend.linkNodeModulesHook
      ];
      npmDeps = frontend.nodeModules;
      buildPhase = ''
        runHook preBuild
        export HOME="$TMPDIR"
        npm run ${script}
        runHook postBuild
      '';
      installPhase = "touch $out";
    };
in
{
  ruff = pkgs.runCommand "${python.appName}-ruff" { nativeBuildInputs = [ python.testVenv ]; } ''
    cd ${pythonFiles}
    ruff check --no-cache .
    ruff format --check --no-cache .
    touch $out
  '';

  eslint = npmCheck "eslint" "lint";
  vitest = npmCheck "vitest" "test:unit";

  nixfmt = pkgs.runCommand "${python.appName}-nixfmt" { nativeBuildInputs = [ pkgs.nixfmt ]; } ''
    find ${nixFiles} -name '*.nix' -exec nixfmt --check {} +
    touch $out
  '';
}
// lib.optionalAttrs stdenv.hostPlatform.isLinux {
  # pytest against a real PostgreSQL and Redis, started in the check phase by postgresqlTestHook
  # and redisTestHook (nixpkgs doc/hooks/postgresql-test-hook.section.md and
  # redis-test-hook.section.md; the PostgreSQL hook is broken on Darwin).
  pytest = stdenv.mkDerivation {
    name = "${python.appName}-pytest";
    src = source (
      fs.unions [
        ../pyproject.toml
        ../backend
        (fs.maybeMissing ../conftest.py)
      ]
    );
    dontConfigure = true;
    dontBuild = true;
    doCheck = true;
    nativeCheckInputs = [
      python.testVenv
      pkgs.postgresql_17
      pkgs.postgresqlTestHook
      pkgs.redisTestHook
    ];
    # The hook's variables (pkgs/build-support/setup-hooks/postgresql-test-hook/
    # postgresql-test-hook.sh): our own setup SQL replaces its CREATE ROLE/DATABASE pair.
    postgresqlTestSetupSQL = builtins.readFile ./pytest-check.sql;
    FRONTEND_DIST_DIR = frontend.dist;

    # The hooks start the servers in preCheck and stop them in postCheck; their variables
    # (PGHOST, PGUSER, PGDATABASE, REDIS_SOCKET) exist only after `runHook preCheck`.
    # scripts/check-sandbox runs the same file the same way, outside Nix.
    checkPhase = ''
      runHook preCheck
      source ${./pytest-check.sh}
      runHook postCheck
    '';
    installPhase = "touch $out";
  };
}
