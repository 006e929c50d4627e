# `services.<project>`: the app on a NixOS host. Shaped after nixpkgs' own Django + Celery
# module (nixos/modules/services/misc/paperless.nix): typed options, one `let` of derived
# environment, a oneshot setup unit the servers wait for, one hardening block for every unit.
# The README's "On NixOS" table names the nixpkgs file behind each option set here.
{
  # The project's name (pyproject.toml): the option path, the units, the user and the database.
  name,
  # This flake's `packages`, by system: the defaults for `package` and `staticFiles`.
  packages,
}:
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib) mkOption types;
  cfg = config.services.${name};
  flakePackages = packages.${pkgs.stdenv.hostPlatform.system};

  stateDir = "/var/lib/${name}";
  mediaDir = "${stateDir}/media";
  backupDir = "${stateDir}/backups";
  unitName = part: "${name}-${part}";
  appUnits = map unitName [
    "web"
    "worker"
    "beat"
  ];

  # services.redis.servers.<name> (nixos/modules/services/databases/redis.nix): a named server
  # listens on its socket only (port 0), readable by the group named after its user.
  redisServer = config.services.redis.servers.${name};
  # PostgreSQL's unit and its setup unit (ensureDatabases, ensureUsers) together
  # (nixos/modules/services/databases/postgresql.nix, systemd.targets.postgresql).
  postgresqlUnits = lib.optional cfg.database.createLocally "postgresql.target";
  databaseUnits = postgresqlUnits ++ lib.optional cfg.redis.createLocally "redis-${name}.service";

  # What the production settings read (backend/config/settings/production.py), each a default
  # that `settings` can override; secrets come from `environmentFile` instead.
  derivedSettings = {
    DJANGO_SETTINGS_MODULE = "backend.config.settings.production";
    DJANGO_ALLOWED_HOSTS = cfg.domain;
    DJANGO_CSRF_TRUSTED_ORIGINS = "https://${cfg.domain}";
    FRONTEND_URL = "https://${cfg.domain}";
    STATIC_ROOT = "${cfg.staticFiles}";
    DJANGO_VITE_MANIFEST_PATH = "${cfg.staticFiles}/manifest.json";
    MEDIA_ROOT = mediaDir;
    # Only the proxy on this host reaches gunicorn; Django trusts its X-Forwarded-Proto.
    BIND_ADDRESS = "127.0.0.1";
    PORT = cfg.web.port;
    PYTHONUNBUFFERED = "1";
  }
  // lib.optionalAttrs cfg.database.createLocally {
    # Peer authentication over the socket: the unit's user is the database role.
    DATABASE_URL = "postgres:///${name}?host=/run/postgresql";
  }
  // lib.optionalAttrs cfg.redis.createLocally {
    REDIS_URL = "unix://${redisServer.unixSocket}?db=0";
  }
  // lib.optionalAttrs (cfg.web.workers != null) {
    GUNICORN_WORKERS = cfg.web.workers;
  };

  environment = lib.mapAttrs (
    _: value: if lib.isBool value then lib.boolToString value else toString value
  ) cfg.settings;

  start = "${cfg.package}/bin/app-start";

  # Applied to every unit; `systemd-analyze security <name>-web` rates what is left. As in
  # paperless.nix's defaultServiceConfig (directives: systemd.exec(5), systemd.resource-control(5)).
  hardening = {
    User = name;
    Group = name;
    Slice = "system-${name}.slice";
    StateDirectory = [
      name
      "${name}/media"
      "${name}/backups"
    ];
    StateDirectoryMode = "0750";
    WorkingDirectory = stateDir;
    EnvironmentFile = lib.optional (cfg.environmentFile != null) cfg.environmentFile;
    SupplementaryGroups = lib.optional cfg.redis.createLocally redisServer.user;
    UMask = "0077";

    CapabilityBoundingSet = "";
    AmbientCapabilities = "";
    NoNewPrivileges = true;
    LockPersonality = true;
    MemoryDenyWriteExecute = true;
    RemoveIPC = true;
    RestrictNamespaces = true;
    RestrictRealtime = true;
    RestrictSUIDSGID = true;
    # ProtectClock would add DeviceAllow=char-rtc; nothing here needs a device.
    DeviceAllow = "";
    DevicePolicy = "closed";
    PrivateDevices = true;
    PrivateMounts = true;
    PrivateTmp = true;
    PrivateUsers = true;
    ProtectClock = true;
    ProtectControlGroups = true;
    ProtectHome = true;
    ProtectHostname = true;
    ProtectKernelLogs = true;
    ProtectKernelModules = true;
    ProtectKernelTunables = true;
    ProtectProc = "invisible";
    ProcSubset = "pid";
    ProtectSystem = "strict";
    # Sockets to PostgreSQL and Redis, TCP to the proxy, SMTP and an external database.
    RestrictAddressFamilies = [
      "AF_UNIX"
      "AF_INET"
      "AF_INET6"
    ];
    SystemCallArchitectures = "native";
    SystemCallFilter = [
      "@system-service"
      "~@privileged @setuid @keyring"
    ];
  };

  # A unit of the app: ordered after the databases it uses and hardened like every other.
  appService =
    unit:
    unit
    // {
      after = databaseUnits ++ unit.after or [ ];
      requires = databaseUnits ++ unit.requires or [ ];
      inherit environment;
      serviceConfig = hardening // unit.serviceConfig;
    };

  # Each server starts only once setup succeeded, and restarts when setup is run again
  # (a new package restarts setup, then them).
  afterSetup = {
    after = [ "${unitName "migrate"}.service" ];
    requires = [ "${unitName "migrate"}.service" ];
    wantedBy = [ "multi-user.target" ];
  };

  # pg_dump's major version must be at least the server's.
  postgresql =
    if cfg.database.createLocally then config.services.postgresql.package else pkgs.postgresql_17;

  backupScript = pkgs.writeShellApplication {
    name = "${name}-backup";
    runtimeInputs = [
      postgresql
      pkgs.coreutils
      pkgs.gnutar
    ];
    text = ''
      # One directory per run: the database (custom format) and the media beside it. It appears
      # under its final name only when complete, so a failed run leaves no half backup.
      stamp="$(date -u +%Y%m%dT%H%M%SZ)"
      if [ -e "${backupDir}/$stamp" ]; then
        echo "${name}-backup: a backup named $stamp exists already; try again in a second" >&2
        exit 1
      fi
      partial="${backupDir}/.$stamp.partial"
      trap 'rm -rf "$partial"' EXIT
      mkdir "$partial"
      pg_dump --format=custom --file="$partial/database.dump" "$DATABASE_URL"
      tar --create --file="$partial/media.tar" --directory="${mediaDir}" .
      mv "$partial" "${backupDir}/$stamp"
      echo "${name}-backup: ${backupDir}/$stamp"

      # Keep the newest ${toString cfg.backup.keep}; names sort by time.
      find "${backupDir}" -mindepth 1 -maxdepth 1 -type d \
        -regextype posix-extended -regex '.*/[0-9]{8}T[0-9]{6}Z' -printf '%f\n' |
        sort -r | tail -n +${toString (cfg.backup.keep + 1)} |
        while read -r old; do
          rm -rf "${backupDir}/$old"
          echo "${name}-backup: removed $old (keeping ${toString cfg.backup.keep})"
        done
    '';
  };

  restoreScript = pkgs.writeShellApplication {
    name = "${name}-restore";
    runtimeInputs = [
      postgresql
      pkgs.coreutils
      pkgs.gnutar
      pkgs.util-linux
      config.systemd.package
    ];
    text = ''
      fail() {
        echo "${name}-restore: $*" >&2
        exit 1
      }
      [ "$#" -eq 1 ] || fail "usage: ${name}-restore <backup> (one of: ls ${backupDir})"
      backup="${backupDir}/$1"
      case "$1" in */* | .*) fail "'$1' is not a backup name (ls ${backupDir})" ;; esac
      if [ ! -f "$backup/database.dump" ] || [ ! -f "$backup/media.tar" ]; then
        fail "no backup named '$1' in ${backupDir}"
      fi
      # Setup too: starting the app again then reruns it, migrating an older backup forward.
      for unit in ${lib.escapeShellArgs ([ (unitName "migrate") ] ++ appUnits)}; do
        if systemctl is-active --quiet "$unit.service"; then
          fail "$unit is running; first: systemctl stop ${unitName "migrate"} (${lib.concatStringsSep ", " appUnits} stop with it)"
        fi
      done

      # Everything is restored beside the live data, which stays untouched until the restore
      # is complete; the old database and media are then kept under a dated name.
      stamp="$(date -u +%Y%m%dT%H%M%SZ)"
      staging="${name}_restoring"
      as_postgres() { runuser -u postgres -- "$@"; }
      as_app() { runuser -u ${name} -- "$@"; }
      cd /

      as_postgres dropdb --if-exists "$staging"
      as_postgres createdb --owner=${name} "$staging"
      as_app pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
        --dbname="postgres:///$staging?host=/run/postgresql" "$backup/database.dump" ||
        fail "pg_restore failed; the live database is untouched ($staging holds the attempt)"

      media_staging="${stateDir}/media.restoring"
      rm -rf "$media_staging"
      as_app mkdir "$media_staging"
      as_app tar --extract --file="$backup/media.tar" --directory="$media_staging"

      # Both renames in one transaction; PostgreSQL refuses while anyone is connected.
      as_postgres psql --quiet --no-psqlrc --set=ON_ERROR_STOP=1 --single-transaction \
        --dbname=postgres \
        --command="ALTER DATABASE \"${name}\" RENAME TO \"${name}_before_$stamp\"" \
        --command="ALTER DATABASE \"$staging\" RENAME TO \"${name}\"" ||
        fail "could not swap the databases (is a client still connected to ${name}?)"
      mv "${mediaDir}" "${stateDir}/media.before-$stamp"
      mv "$media_staging" "${mediaDir}"
      echo "${name}-restore: restored $1; the previous data is ${name}_before_$stamp and media.before-$stamp"
      echo "${name}-restore: now: systemctl start ${lib.concatStringsSep " " appUnits}"
    '';
  };

  # Django's manage.py for an administrator: the units' environment, as the app's user.
  manageScript = pkgs.writeShellApplication {
    name = "${name}-manage";
    runtimeInputs = [ pkgs.util-linux ];
    text = ''
      ${lib.concatLines (
        lib.mapAttrsToList (var: value: "export ${var}=${lib.escapeShellArg value}") environment
      )}
      ${lib.optionalString (cfg.environmentFile != null) ''
        set -o allexport
        # shellcheck source=/dev/null
        source ${cfg.environmentFile}
        set +o allexport
      ''}
      cd ${stateDir}
      exec runuser -u ${name} -- ${start} manage "$@"
    '';
  };
in
{
  options.services.${name} = {
    enable = lib.mkEnableOption "the ${name} web application (gunicorn, Celery worker and beat)";

    domain = mkOption {
      type = types.str;
      example = "app.example.com";
      description = ''
        The public host name. Caddy obtains its certificate (ACME) and Django answers to it only.
      '';
    };

    package = mkOption {
      type = types.package;
      default = flakePackages.venv;
      defaultText = lib.literalExpression "${name}.packages.\${system}.venv";
      description = "The production virtualenv, with the `app-start` program.";
    };

    staticFiles = mkOption {
      type = types.package;
      default = flakePackages.static;
      defaultText = lib.literalExpression "${name}.packages.\${system}.static";
      description = ''
        The collected static files (with the Vite build and its manifest), served by Caddy.
        Build them from the same source as `package`.
      '';
    };

    settings = mkOption {
      type =
        with types;
        attrsOf (oneOf [
          bool
          int
          str
          path
        ]);
      default = { };
      example = {
        DJANGO_SECURE_HSTS_SECONDS = 300;
        EMAIL_HOST = "smtp.example.com";
        EMAIL_PORT = 587;
        EMAIL_USE_TLS = true;
      };
      description = ''
        Environment of every unit (the README lists the variables). The module sets the
        database, Redis, host name, static and media paths here as defaults; set
        `DATABASE_URL` or `REDIS_URL` to use external servers. Never put secrets here: they
        would land in the world-readable Nix store. Use `environmentFile`.
      '';
    };

    environmentFile = mkOption {
      # A string, never a Nix path: `./app.env` would be copied into the world-readable store.
      type = types.nullOr types.externalPath;
      default = null;
      example = "/run/secrets/${name}.env";
      description = ''
        A file in systemd's `EnvironmentFile` format, kept outside the Nix store, with at least
        `DJANGO_SECRET_KEY`; optionally `DJANGO_SUPERUSER_EMAIL` and `DJANGO_SUPERUSER_PASSWORD`
        (applied by each setup run), `EMAIL_HOST_PASSWORD`, or a `DATABASE_URL` with a password.
      '';
    };

    web = {
      workers = mkOption {
        type = types.nullOr types.ints.positive;
        default = null;
        description = "Gunicorn worker processes; `null`: 2 per core + 1, at most 8.";
      };
      port = mkOption {
        type = types.port;
        default = 8000;
        description = "The loopback port gunicorn listens on, behind Caddy.";
      };
    };

    worker.concurrency = mkOption {
      type = types.nullOr types.ints.positive;
      default = null;
      description = "Celery worker processes; `null`: one per core.";
    };

    database.createLocally = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Run PostgreSQL on this host, with a database and a role named `${name}` that the app's
        user reaches by peer authentication. Otherwise set `DATABASE_URL`.
      '';
    };

    redis.createLocally = mkOption {
      type = types.bool;
      default = true;
      description = "Run a Redis server for the app on a unix socket. Otherwise set `REDIS_URL`.";
    };

    proxy.enable = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Caddy in front: HTTPS with an ACME certificate for `domain` (set `services.caddy.email`),
        HTTP redirected to HTTPS, `/static/` served from `staticFiles`, the rest proxied to gunicorn.
      '';
    };

    backup = {
      enable = mkOption {
        type = types.bool;
        default = true;
        description = "Dump the database and copy the media into ${backupDir} on a timer.";
      };
      startAt = mkOption {
        type = with types; either str (listOf str);
        default = "daily";
        description = "When to back up ({manpage}`systemd.time(7)`).";
      };
      keep = mkOption {
        type = types.ints.positive;
        default = 7;
        description = "How many backups to keep; older ones are removed after each run.";
      };
    };
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        assertions = [
          {
            assertion = cfg.environmentFile != null;
            message = "services.${name}.environmentFile must name a file with DJANGO_SECRET_KEY (kept out of the Nix store).";
          }
          {
            assertion = !(cfg.settings ? DJANGO_SECRET_KEY);
            message = "services.${name}.settings.DJANGO_SECRET_KEY would be world-readable in the Nix store; put it in environmentFile.";
          }
        ];

        services.${name}.settings = lib.mapAttrs (_: lib.mkDefault) derivedSettings;

        users.users.${name} = {
          isSystemUser = true;
          group = name;
          home = stateDir;
          description = "${name} web application";
        };
        users.groups.${name} = { };

        systemd.slices."system-${name}".description = "${name} web application";

        systemd.services.${unitName "migrate"} = appService {
          description = "${name}: migrate, load the fixtures once, ensure the superuser";
          wantedBy = [ "multi-user.target" ];
          serviceConfig = {
            Type = "oneshot";
            RemainAfterExit = true;
            ExecStart = "${start} setup";
            TimeoutStartSec = "15min";
          };
        };

        systemd.services.${unitName "web"} = appService (
          afterSetup
          // {
            description = "${name}: gunicorn";
            serviceConfig = {
              ExecStart = "${start} serve";
              Restart = "on-failure";
              # Gunicorn's workers call setgid/setuid (to themselves) when they start.
              SystemCallFilter = hardening.SystemCallFilter ++ [ "@setuid" ];
            };
          }
        );

        systemd.services.${unitName "worker"} = appService (
          afterSetup
          // {
            description = "${name}: Celery worker";
            serviceConfig = {
              ExecStart = lib.concatStringsSep " " (
                [ "${start} worker" ]
                ++ lib.optional (cfg.worker.concurrency != null) "--concurrency ${toString cfg.worker.concurrency}"
              );
              Restart = "on-failure";
              # A warm shutdown lets running tasks finish; late acknowledgement requeues the rest.
              TimeoutStopSec = "5min";
            };
          }
        );

        systemd.services.${unitName "beat"} = appService (
          afterSetup
          // {
            description = "${name}: Celery beat (exactly one per database)";
            serviceConfig = {
              ExecStart = "${start} beat";
              Restart = "on-failure";
            };
          }
        );

        environment.systemPackages = [ manageScript ];
      }

      (lib.mkIf cfg.database.createLocally {
        services.postgresql = {
          enable = true;
          ensureDatabases = [ name ];
          ensureUsers = [
            {
              inherit name;
              ensureDBOwnership = true;
            }
          ];
        };
        environment.systemPackages = [ restoreScript ];
      })

      (lib.mkIf cfg.redis.createLocally {
        services.redis.servers.${name}.enable = true;
      })

      (lib.mkIf cfg.backup.enable {
        systemd.services.${unitName "backup"} =
          appService {
            description = "${name}: back up the database and the media";
            inherit (cfg.backup) startAt;
            serviceConfig = {
              Type = "oneshot";
              ExecStart = lib.getExe backupScript;
            };
          }
          # A backup needs the database only: it still runs while Redis is down.
          // {
            after = postgresqlUnits;
            requires = postgresqlUnits;
          };
        # A run missed while the host was off happens at the next boot.
        systemd.timers.${unitName "backup"}.timerConfig.Persistent = true;
      })

      (lib.mkIf cfg.proxy.enable {
        services.caddy = {
          enable = true;
          virtualHosts.${cfg.domain}.extraConfig = ''
            # The collected files straight from the store. Vite writes only content-hashed
            # names under assets/, so those are cached for good; collectstatic's .gz siblings
            # are served as they are. Dynamic responses stay uncompressed: they carry tokens
            # next to reflected input, which compression would leak (BREACH).
            handle_path /static/* {
              root * ${cfg.staticFiles}
              header /assets/* Cache-Control "public, max-age=31536000, immutable"
              header Strict-Transport-Security "max-age=31536000; includeSubDomains; preload"
              file_server {
                precompressed gzip
              }
            }

            # Caddy sets X-Forwarded-Proto and replaces any X-Forwarded-For a client sent
            # with the client's address, which DJANGO_NUM_PROXIES=1 reads.
            handle {
              reverse_proxy 127.0.0.1:${toString cfg.web.port}
            }
          '';
        };
        networking.firewall.allowedTCPPorts = [
          80
          443
        ];
        # HTTP/3.
        networking.firewall.allowedUDPPorts = [ 443 ];
      })
    ]
  );
}
