# The production image (nixpkgs doc/build-helpers/images/dockertools.section.md). buildLayeredImage
# puts store paths in their own layers, so a new release ships only the layers that changed.
{
  pkgs,
  python,
  static,
  build,
}:
let
  inherit (pkgs) dockerTools lib;
  uid = "10000";
  gid = "10001";

  # Libraries that look up the current user (getpass, libpq) need a passwd entry; fakeNss is the
  # documented helper for images without a distribution (same doc, "fakeNss").
  nss = dockerTools.fakeNss.override {
    extraPasswdLines = [ "app:x:${uid}:${gid}:app:/tmp:/sbin/nologin" ];
    extraGroupLines = [ "app:x:${gid}:" ];
  };

  zoneinfo = "${pkgs.tzdata}/share/zoneinfo";

  # The commit time in ISO 8601: reproducible, unlike "now", yet meaningful in `created`.
  date = start: length: lib.substring start length build.lastModifiedDate;
  created = "${date 0 4}-${date 4 2}-${date 6 2}T${date 8 2}:${date 10 2}:${date 12 2}Z";

  labels = {
    "org.opencontainers.image.version" = build.version;
    "org.opencontainers.image.revision" = build.revision;
    "org.opencontainers.image.source" = build.source;
    "org.opencontainers.image.created" = created;
  };
in
dockerTools.buildLayeredImage {
  name = "${python.appName}-django";
  tag = build.version;
  inherit created;

  # Only what must sit at fixed paths; the venv, static root and tzdata enter the image because
  # `config` refers to them.
  contents = [
    dockerTools.caCertificates
    nss
  ];

  # Python, gunicorn and celery need a writable, sticky /tmp; the rest of the image is read-only.
  extraCommands = "mkdir -m 1777 tmp";

  config = {
    User = "${uid}:${gid}";
    # The start program (web by default; worker, beat, flower, manage ...).
    Entrypoint = [ "${python.venv}/bin/app-start" ];
    Cmd = [ "web" ];
    WorkingDir = "/tmp";
    ExposedPorts."5000/tcp" = { };
    Env = [
      "PATH=${python.venv}/bin"
      "HOME=/tmp"
      "PYTHONUNBUFFERED=1"
      "DJANGO_SETTINGS_MODULE=backend.config.settings.production"
      "STATIC_ROOT=${static}"
      "DJANGO_VITE_MANIFEST_PATH=${static}/manifest.json"
      "TZDIR=${zoneinfo}"
      "PYTHONTZPATH=${zoneinfo}"
      "SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt"
      "APP_VERSION=${build.version}"
      "GIT_REVISION=${build.revision}"
    ];
    # Without CI_PROJECT_URL or [project.urls] Repository, the source label is left out, not "".
    Labels = lib.filterAttrs (_: value: value != "") labels;
  };
}
