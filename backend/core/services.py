from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.db import transaction

from backend.core.models import SetupFlag

DEV_PREFIX = "dev_"


def fixture_files(*, include_dev: bool) -> list[Path]:
    """Every fixtures/*.json of the project's own apps, in app order, then by name.

    Files named dev_* are development data and are left out unless asked for.
    """
    files = []
    for config in apps.get_app_configs():
        if not config.name.startswith("backend."):
            continue
        for path in sorted((Path(config.path) / "fixtures").glob("*.json")):
            if include_dev or not path.name.startswith(DEV_PREFIX):
                files.append(path)
    return files


def fixtures_load(*, include_dev: bool) -> list[str]:
    """Load the fixtures; each non-dev file only once per database (guarded by a SetupFlag).

    Dev files are loaded on every call: loaddata updates rows by primary key, so reloading is safe.
    Returns the names of the files loaded.
    """
    loaded = []
    for path in fixture_files(include_dev=include_dev):
        is_dev = path.name.startswith(DEV_PREFIX)
        flag = f"fixture:{path.parent.parent.name}/{path.name}"
        with transaction.atomic():
            if not is_dev:
                _, created = SetupFlag.objects.select_for_update().get_or_create(name=flag)
                if not created:
                    continue
            call_command("loaddata", str(path), verbosity=0)
        loaded.append(path.name)
    return loaded
