"""psycopg runs on its compiled implementation, of its own version.

pyproject.toml names psycopg's C package directly (psycopg-binary, or psycopg-c on 32-bit ARM)
rather than through psycopg's extras, which pin it to psycopg's version: this test does instead.
"""

from importlib import import_module

import psycopg
from psycopg import pq


def test_psycopg_uses_a_compiled_implementation_of_its_own_version():
    # "python" would mean the C package is missing or failed to load (pq falls back silently).
    assert pq.__impl__ in {"c", "binary"}
    assert import_module(f"psycopg_{pq.__impl__}").__version__ == psycopg.__version__
