#!/usr/bin/env python3
"""Load: 1000 jobs from 50 concurrent clients against gunicorn and two workers, then a steady
rate for 10 minutes, watching memory.

Phase 1 prints create latency (p50/p99), throughput until all are completed, and checks each
job ran exactly once (one attempt, one result row). Phase 2 submits --rate jobs/s for --soak
seconds and samples the resident memory of the web server and of the workers (with their
pools): the growth from the first to the last sample should stay under 10 %.

Usage: python bench/jobs_load.py [--jobs 1000] [--clients 50] [--soak 600] [--rate 10]
"""

import argparse
import json
import threading
import time

from jobs_common import (
    Client,
    bench_user,
    describe_ms,
    sample_text,
    setup_django,
    stack_processes,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--soak", type=float, default=600, help="seconds at a steady rate")
    parser.add_argument("--rate", type=float, default=10, help="jobs/s during the soak")
    args = parser.parse_args()

    env = setup_django()
    from backend.jobs.models import Job, JobResult

    user, token = bench_user("bench-load@example.com")
    user.jobs.all().delete()
    jobs = Job.objects.filter(owner=user)
    body = json.dumps({"title": "load", "text": sample_text(4096)}).encode()

    with stack_processes(env, worker_concurrency=2, workers=2) as stack:
        names = ["web", "worker-0", "worker-1"]
        Client(stack.base_url, token).request("GET", "/api/v1/jobs/list/?page_size=1")
        rss_before = {name: stack.rss_mib(name) for name in names}

        # Phase 1: a burst
        latencies, errors = [], []
        per_client = args.jobs // args.clients

        def submit() -> None:
            client = Client(stack.base_url, token)
            for _ in range(per_client):
                started = time.perf_counter()
                code, payload = client.request("POST", "/api/v1/jobs/create/", body)
                latencies.append(time.perf_counter() - started)
                if code != 202:
                    errors.append(f"{code} {payload[:120]!r}")

        started = time.perf_counter()
        threads = [threading.Thread(target=submit) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total = per_client * args.clients
        while jobs.filter(status__in=["completed", "failed"]).count() < total:
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        rss_after = {name: stack.rss_mib(name) for name in names}

        once = jobs.filter(status="completed", attempts=1).count()
        results = JobResult.objects.filter(job__owner=user).count()
        print(f"burst: {total} jobs from {args.clients} clients, 2 workers x 2")
        print(f"  create   {describe_ms(latencies)}   errors {len(errors)}")
        print(f"  {total / elapsed:.1f} jobs/s end to end ({elapsed:.1f} s)")
        print(f"  completed exactly once: {once}/{total}, result rows {results}")
        for name in names:
            print(f"  RSS {name:9} {rss_before[name]:7.1f} MiB -> {rss_after[name]:7.1f} MiB")

        # Phase 2: a steady rate
        if args.soak > 0:
            soak(stack, token, body, args.soak, args.rate, names)


def soak(stack, token: str, body: bytes, seconds: float, rate: float, names: list[str]) -> None:
    client = Client(stack.base_url, token)
    samples: list[dict[str, float]] = []
    started = time.perf_counter()
    sent = errors = 0
    next_sample = started
    while (now := time.perf_counter()) - started < seconds:
        if now >= next_sample:
            samples.append({name: stack.rss_mib(name) for name in names})
            next_sample += 30
        code, _ = client.request("POST", "/api/v1/jobs/create/", body)
        sent += 1
        errors += code != 202
        time.sleep(max(0.0, started + sent / rate - time.perf_counter()))
    samples.append({name: stack.rss_mib(name) for name in names})
    print(f"soak: {sent} jobs at {rate:g}/s for {seconds:.0f} s, errors {errors}")
    print("  resident memory, first and last sample (goal: growth under 10 %):")
    for name in names:
        first, last = samples[0][name], samples[-1][name]
        growth = (last - first) / first * 100 if first else float("nan")
        print(f"  RSS {name:9} {first:7.1f} -> {last:7.1f} MiB  growth {growth:+5.1f} %")


if __name__ == "__main__":
    main()
