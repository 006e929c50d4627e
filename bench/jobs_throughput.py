#!/usr/bin/env python3
"""(b) Throughput: 1000 jobs submitted by 10 concurrent clients, jobs/s until all complete.

Each client thread has its own keep-alive connection to gunicorn on 127.0.0.1 and submits its
share of 10 KB texts as fast as the server takes them; meanwhile this process watches the
database until every job is completed. One worker process with a pool of --concurrency
(default 2, the cores of the reference machine).

Usage: python bench/jobs_throughput.py [--jobs 1000] [--clients 10] [--concurrency 2]
"""

import argparse
import json
import threading
import time

from jobs_common import (
    Client,
    bench_user,
    describe_ms,
    running_stack,
    sample_text,
    setup_django,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--size", type=int, default=10 * 1024)
    args = parser.parse_args()

    env = setup_django()
    from backend.jobs.models import Job

    user, token = bench_user("bench-throughput@example.com")
    user.jobs.all().delete()
    per_client = args.jobs // args.clients
    bodies = [
        json.dumps({"title": f"t{n}", "text": sample_text(args.size, seed=n)}).encode()
        for n in range(args.clients)
    ]
    submit_times: list[float] = []
    errors: list[str] = []

    with running_stack(env, worker_concurrency=args.concurrency) as base_url:
        ready = threading.Barrier(args.clients + 1)

        def submit(index: int) -> None:
            client = Client(base_url, token)
            client.request("GET", "/api/v1/jobs/list/?page_size=1")  # connect, warm up
            ready.wait()
            for _ in range(per_client):
                start = time.perf_counter()
                code, payload = client.request("POST", "/api/v1/jobs/create/", bodies[index])
                submit_times.append(time.perf_counter() - start)
                if code != 202:
                    errors.append(f"{code} {payload[:200]!r}")

        threads = [threading.Thread(target=submit, args=(i,)) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        ready.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        submitted = time.perf_counter() - started

        jobs = Job.objects.filter(owner=user)
        total = per_client * args.clients
        while True:
            done = jobs.filter(status__in=["completed", "failed"]).count()
            if done >= total:
                break
            time.sleep(0.05)
        finished = time.perf_counter() - started
        failed = jobs.filter(status="failed").count()

    print(
        f"jobs_throughput: {total} jobs of {args.size} bytes from {args.clients} clients, "
        f"worker -c {args.concurrency}"
    )
    print(f"  all submitted after {submitted:6.2f} s  ({total / submitted:7.1f} submits/s)")
    print(f"  all finished after  {finished:6.2f} s  ({total / finished:7.1f} jobs/s)")
    print(f"  submit request      {describe_ms(submit_times)}")
    print(f"  failed jobs {failed}, refused submits {len(errors)}")
    for error in errors[:5]:
        print("   ", error)


if __name__ == "__main__":
    main()
