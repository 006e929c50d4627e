"""django-vite's asset loader, made to follow its settings.

django-vite builds one loader when Django starts (DjangoViteAssetLoader.instance()) and keeps it:
dev mode, the dev server's address and the parsed manifest are fixed from then on. Resetting the
singleton lets a settings change (override_settings in tests) and a build made after start-up
(`npm run build` while runserver runs) take effect without a restart.
"""

from django_vite.core.asset_loader import DjangoViteAssetLoader
from django_vite.core.exceptions import DjangoViteAssetNotFoundError

ENTRY = "src/main.js"
SETTINGS_READ_BY_LOADER = {"DJANGO_VITE", "STATIC_URL", "STATIC_ROOT", "STORAGES"}


def reset_loader() -> None:
    # instance() builds a new loader from the current settings when none is kept.
    DjangoViteAssetLoader._instance = None


def reset_loader_on_setting_change(*, setting, **kwargs) -> None:
    if setting in SETTINGS_READ_BY_LOADER or setting.startswith("DJANGO_VITE_"):
        reset_loader()


def entry_is_available() -> bool:
    """Whether the page can name its script: always in dev mode, else once the build exists.

    A manifest missing or without the entry is read again once, so a build that appeared after
    start-up is found.
    """
    for attempt in range(2):
        try:
            DjangoViteAssetLoader.instance().generate_vite_asset(ENTRY)
            return True
        except DjangoViteAssetNotFoundError:
            if attempt == 0:
                reset_loader()
    return False
