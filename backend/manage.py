"""Django's manage.py as the `manage` console script, so it works in any venv and in the image."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings.local")
    if _is_autoreloader_parent(sys.argv):
        # runserver serves from a child process, which the parent starts again whenever the code
        # changed. Django sets itself up in that parent too (a second or more of imports on
        # every start of the dev stack) though the parent only waits: start the child at once.
        from django.utils import autoreload

        autoreload.run_with_reloader(lambda: None)  # the parent's branch: it never calls this
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def _is_autoreloader_parent(argv: list[str]) -> bool:
    return (
        argv[1:2] == ["runserver"]
        and "--noreload" not in argv
        and os.environ.get("RUN_MAIN") != "true"  # django.utils.autoreload.DJANGO_AUTORELOAD_ENV
    )


if __name__ == "__main__":
    main()
