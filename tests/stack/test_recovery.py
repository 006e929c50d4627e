"""A dependency that stops must not take the others down for good: PostgreSQL comes back by
itself when it dies, and what depends on it keeps retrying until it is back."""

import os
import signal
import time
from datetime import UTC, datetime

from app_client import run_job

# What process-compose.yaml allowed before: beat gave up after this many restarts.
OLD_RESTART_LIMIT = 5


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"not after {timeout} s: {what}"
        time.sleep(0.5)
    return value


def test_postgres_killed_or_held_down_comes_back_and_its_dependents_recover(make_checkout):
    checkout = make_checkout()
    checkout.sync()
    checkout.up("django", "worker", "beat", timeout=600)
    port = int(checkout.env["DJANGO_PORT"])
    crashed = checkout.process_list()["postgres"]

    # A crash of the server: nobody restarts anything by hand.
    os.kill(crashed["pid"], signal.SIGKILL)

    wait_for(
        lambda: checkout.process_list()["postgres"]["pid"] not in (0, crashed["pid"]),
        120, "postgres restarted by process-compose",
    )  # fmt: skip
    checkout.up(timeout=600)  # all ready again: scripts/status --wait
    assert run_job(port, "after the crash")["status"] == "completed"

    # Held down while beat starts again (beat exits when it cannot reach the database): it
    # keeps trying past the old limit instead of staying dead.
    checkout.run("process-compose", "--use-uds", "process", "stop", "postgres")
    stopped_at = datetime.now(UTC).isoformat()
    beat = checkout.process_list()["beat"]
    os.kill(beat["pid"], signal.SIGKILL)
    wait_for(
        lambda: checkout.process_list()["beat"]["restarts"] > beat["restarts"] + OLD_RESTART_LIMIT,
        900, "beat restarted again and again while postgres is down",
    )  # fmt: skip
    checkout.run("process-compose", "--use-uds", "process", "start", "postgres")

    checkout.up(timeout=600)
    processes = checkout.process_list()
    for name in ("beat", "worker", "django"):
        assert processes[name]["status"] == "Running", processes[name]
    # beat reached the database after the outage: each start stores its schedule there.
    wait_for(
        lambda: checkout.psql(
            f"SELECT last_update > '{stopped_at}' FROM django_celery_beat_periodictasks"  # noqa: S608
        ) == "t",
        300, "beat started with the database back",
    )  # fmt: skip
    assert run_job(port, "after the outage")["status"] == "completed"
