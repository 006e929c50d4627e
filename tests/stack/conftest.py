"""Fixtures for the stack's own tests (tests/stack): see checkout.py."""

import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
from checkout import REPO_ROOT, Checkout, clean_environment, source_files


@pytest.fixture
def make_checkout():
    """Copies this checkout to a new directory (optionally with a space in its path); stops
    each copy's stack afterwards and fails the test if a process of it is left running."""
    # Not under pytest's basetemp (0700): as root, PostgreSQL runs as an unprivileged user that
    # must reach the copy's .state/ (scripts/env.sh otherwise moves the data out of it).
    base = Path(tempfile.mkdtemp(prefix="stack-test-"))
    base.chmod(0o755)
    created: list[Checkout] = []

    def make(dir_name: str = "checkout", *, explicit_ports: bool = True) -> Checkout:
        root = base / f"{len(created)}" / dir_name
        for name in source_files():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, target, follow_symlinks=False)
        for directory in [base, *root.relative_to(base).parents, root.relative_to(base)]:
            (base / directory).chmod(0o755)
        checkout = Checkout(root=root, env=clean_environment(explicit_ports=explicit_ports))
        created.append(checkout)
        return checkout

    yield make

    leftovers = []
    for checkout in created:
        stack_env = checkout.stack_env()
        checkout.run("scripts/down", timeout=90, check=False)
        left = checkout.wait_until_no_processes(timeout=30)
        for line in left:
            os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
        leftovers += left
        shutil.rmtree(stack_env["RUN_DIR"], ignore_errors=True)
        if not stack_env["PGDATA"].startswith(str(checkout.root)):
            shutil.rmtree(Path(stack_env["PGDATA"]).parent, ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
    assert not leftovers, "processes left running:\n" + "\n".join(leftovers)
