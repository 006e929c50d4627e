#!/usr/bin/env python3
"""A worker killed mid-job: how long until every job it had is completed again.

20 jobs (2 of them big enough to be mid-run when the kill lands) go to one worker; the whole
worker (main process and pool) is SIGKILLed while the big ones run, and a new worker starts.
The dead worker's running jobs fall silent (no heartbeat) and its maintenance loop, or the new
worker's, requeues them. Prints kill -> all completed and new worker ready -> all completed.

Usage: python bench/worker_kill.py [--jobs 20]
"""

import argparse
import json
import time

from jobs_common import Client, bench_user, sample_text, setup_django, stack_processes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    args = parser.parse_args()

    env = setup_django()
    from backend.jobs.models import Job, JobResult

    user, token = bench_user("bench-worker-kill@example.com")
    user.jobs.all().delete()
    jobs = Job.objects.filter(owner=user)

    with stack_processes(env, worker_concurrency=2) as stack:
        client = Client(stack.base_url, token)
        big = sample_text(1000 * 1024)  # pasted text is capped at 1 MiB
        for n in range(args.jobs):
            text = big if n < 2 else sample_text(2048, seed=n)
            body = json.dumps({"title": f"kill {n}", "text": text}).encode()
            code, payload = client.request("POST", "/api/v1/jobs/create/", body)
            assert code == 202, payload
        while jobs.filter(status="processing").count() < 1:
            time.sleep(0.01)
        running = jobs.filter(status="processing").count()
        killed_at = time.perf_counter()
        stack.kill("worker-0")
        stack.start_worker(0)
        ready_at = time.perf_counter()
        while jobs.exclude(status__in=["completed", "failed"]).exists():
            time.sleep(0.05)
        done_at = time.perf_counter()

    completed = jobs.filter(status="completed").count()
    rerun = jobs.filter(attempts__gt=1).count()
    results = JobResult.objects.filter(job__owner=user).count()
    print(f"jobs {args.jobs}, running when killed {running}, run again {rerun}")
    print(f"kill -> all completed        {done_at - killed_at:6.1f} s")
    print(f"new worker ready -> all done {done_at - ready_at:6.1f} s   (goal: rerun within 30 s)")
    print(f"completed {completed}/{args.jobs}, result rows {results} (one per job)")


if __name__ == "__main__":
    main()
