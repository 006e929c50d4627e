# The Vite build of frontend/ and its node_modules. importNpmLock reads the integrity hashes
# already in package-lock.json, so there is no npmDepsHash to keep in sync
# (nixpkgs doc/languages-frameworks/javascript.section.md, "importNpmLock").
{ pkgs, appName }:
let
  # The output is plain files, the same on every architecture: build it with build-platform
  # packages, so an image for another host never builds JavaScript under emulation.
  inherit (pkgs.buildPackages) buildNpmPackage importNpmLock nodejs_22;
  npmRoot = ../frontend;
  package = pkgs.lib.importJSON (npmRoot + "/package.json");
in
{
  nodejs = nodejs_22;
  inherit (importNpmLock.hooks) linkNodeModulesHook;

  # buildNpmPackage runs `npm run build` (vite build); keep only what Vite wrote: manifest.json
  # at the top and assets/.
  dist = buildNpmPackage {
    pname = "${appName}-frontend";
    version = package.version or "0.0.0";
    src = npmRoot;
    nodejs = nodejs_22;
    npmDeps = importNpmLock { inherit npmRoot; };
    npmConfigHook = importNpmLock.npmConfigHook;
    installPhase = ''
      runHook preInstall
      cp -r dist "$out"
      runHook postInstall
    '';
    # The files are served exactly as Vite wrote them (their hashes are in the manifest).
    dontFixup = true;
  };

  # node_modules for eslint/vitest in the checks and for the dev shell, linked in by
  # linkNodeModulesHook (same doc, "importNpmLock.buildNodeModules").
  nodeModules = importNpmLock.buildNodeModules {
    inherit npmRoot;
    nodejs = nodejs_22;
  };
}
