"""The project's name, read from the installed package metadata.

pyproject.toml is the one place the name is written; the installed distribution carries it (in the
checkout and in the image alike), found through the `manage` entry point that only this package has.
"""

from functools import cache
from importlib.metadata import distributions

MANAGE_ENTRY_POINT = "backend.manage:main"


@cache
def project_name() -> str:
    for dist in distributions():
        if any(ep.value == MANAGE_ENTRY_POINT for ep in dist.entry_points):
            return dist.metadata["Name"]
    return "backend"
