# collectstatic into the store: Django's own static files, the built Vite assets and the Vite
# manifest. As in the Django template uv2nix shipped until dcd1786 (templates/django-webapp/
# flake.nix): a plain derivation runs collectstatic with STATIC_ROOT pointing at $out.
{
  pkgs,
  python,
  frontend,
}:
pkgs.stdenv.mkDerivation {
  name = "${python.appName}-static";
  dontUnpack = true;
  dontConfigure = true;
  dontBuild = true;
  # Built files are served as collected; fixup must not touch them.
  dontFixup = true;

  nativeBuildInputs = [ python.venv ];

  env = {
    DJANGO_SETTINGS_MODULE = "backend.config.settings.production";
    FRONTEND_DIST_DIR = "${frontend.dist}";
    # The production settings refuse to load without these; the values exist only in this build.
    DJANGO_SECRET_KEY = "build-only-not-secret";
    DATABASE_URL = "postgres:///build";
    DJANGO_ALLOWED_HOSTS = "localhost";
    MEDIA_ROOT = "/build-only-no-media";
  };

  installPhase = ''
    runHook preInstall
    export HOME="$TMPDIR"
    STATIC_ROOT="$out" manage collectstatic --noinput
    runHook postInstall
  '';
}
