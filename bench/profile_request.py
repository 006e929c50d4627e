#!/usr/bin/env python3
"""Where a request's time goes: cProfile over a loop of requests through the whole WSGI stack.

Requests go through Django's WSGI handler in this process (every middleware, DRF's
authentication, the serializer and the renderer; no network and no gunicorn), with the
production settings against the bench database, so the profile shows the Django-side cost the
HTTP benchmark pays per request. Prints the wall and CPU time per request (their difference is
mostly waiting for PostgreSQL), then the top entries by own and by cumulative CPU time: the
profiler counts this process's CPU time, so the figures hold still when other processes load
the machine.

Usage: python bench/profile_request.py [--path /api/v1/auth/user/] [--jobs 0] [--requests 2000]
       [--top 25]   (--jobs: how many jobs the user owns, for /api/v1/jobs/list/)
"""

import argparse
import cProfile
import io
import pstats
import time

from jobs_common import bench_user, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/api/v1/auth/user/")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--jobs", type=int, default=0)
    args = parser.parse_args()

    setup_django()
    from django.test import Client

    user, token = bench_user("bench-profile@example.com")
    from backend.jobs.models import Job

    user.jobs.all().delete()
    Job.objects.bulk_create(
        Job(owner=user, title=f"job {n}", input_text="bench text") for n in range(args.jobs)
    )
    # HTTP_HOST and the forwarded scheme as the proxy sends them in production.
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="localhost")

    def loop(count: int) -> None:
        for _ in range(count):
            response = client.get(args.path)
            if response.status_code != 200:
                raise SystemExit(f"{args.path}: HTTP {response.status_code}: {response.content!r}")

    loop(50)  # imports, URL resolver caches, the database connection
    started, started_cpu = time.perf_counter(), time.process_time()
    loop(args.requests)
    wall = (time.perf_counter() - started) / args.requests
    cpu = (time.process_time() - started_cpu) / args.requests

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    loop(args.requests)
    profiler.disable()

    print(f"GET {args.path}, {args.requests} requests in-process: {wall * 1000:.2f} ms wall, "
          f"{cpu * 1000:.2f} ms CPU a request")  # fmt: skip
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(args.top)
        print(f"\n--- top {args.top} by {order} ---")
        print(out.getvalue().split("\n", 6)[-1].rstrip())


if __name__ == "__main__":
    main()
