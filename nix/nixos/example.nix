# `nixosConfigurations.example`: a whole host running the app. Copy it into your own host's
# configuration, replace the hardware, domain and secret lines, then
# `nixos-rebuild switch --flake .#example --target-host root@<host>`.
{ name }:
{ ... }:
{
  nixpkgs.hostPlatform = "x86_64-linux";
  # The NixOS release the host was installed with; it picks PostgreSQL's major version (17 from
  # 25.11 on) and must not change after the first deploy (nixos/modules/misc/version.nix).
  system.stateVersion = "25.11";

  # Placeholders: take these from `nixos-generate-config` on the real machine
  # (nixos/modules/system/boot/loader/grub/grub.nix, nixos/modules/tasks/filesystems.nix).
  boot.loader.grub.device = "/dev/sda";
  fileSystems."/" = {
    device = "/dev/disk/by-label/nixos";
    fsType = "ext4";
  };

  networking.hostName = "app";
  # Only SSH keys reach the host, on port 22 which the module opens
  # (nixos/modules/services/networking/ssh/sshd.nix); add yours to
  # users.users.root.openssh.authorizedKeys.keys (nixos/modules/config/users-groups.nix).
  services.openssh = {
    enable = true;
    settings.PasswordAuthentication = false;
  };

  services.${name} = {
    enable = true;
    domain = "app.example.com";
    # Written once on the host, never in the store:
    #   install -D -m 600 /dev/null /var/lib/secrets/app.env, then add
    #   DJANGO_SECRET_KEY=..., DJANGO_SUPERUSER_EMAIL=..., DJANGO_SUPERUSER_PASSWORD="...",
    #   EMAIL_HOST_PASSWORD=... (or point this at an agenix / sops-nix secret).
    environmentFile = "/var/lib/secrets/app.env";
    settings = {
      EMAIL_HOST = "smtp.example.com";
      EMAIL_PORT = 587;
      EMAIL_USE_TLS = true;
      EMAIL_HOST_USER = "noreply@app.example.com";
      DJANGO_DEFAULT_FROM_EMAIL = "App <noreply@app.example.com>";
      # A new domain starts with a short HSTS lifetime; raise it once HTTPS is proven.
      DJANGO_SECURE_HSTS_SECONDS = 300;
    };
    web.workers = 4;
    worker.concurrency = 2;
    backup.keep = 14;
  };

  # The ACME account's contact (nixos/modules/services/web-servers/caddy/default.nix).
  services.caddy.email = "ops@example.com";
}
