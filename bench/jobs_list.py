#!/usr/bin/env python3
"""(c) The list endpoint with 100 000 jobs in the table: latency and SQL queries per request.

All 100 000 jobs belong to the user who lists (the worst case for the count and the page),
each with a 2 KB input text that the list must not load. For page sizes 10, 50 and 100:
- SQL queries per request, counted in this process with Django's test client;
- p50/p99 latency over HTTP to gunicorn on 127.0.0.1, for the first page, for random pages
  (deep OFFSETs included) and for the first page of ?status=failed.
Rows are made once (bulk_create) and reused by later runs.

Usage: python bench/jobs_list.py [--rows 100000] [--requests 200]
"""

import argparse
import random
import time
import uuid
from datetime import timedelta

from jobs_common import Client, bench_user, percentile, running_stack, setup_django

PAGE_SIZES = (10, 50, 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    env = setup_django()
    user, token = bench_user("bench-list@example.com")
    _fill(user, args.rows)
    _count_queries(user, token)
    _explain(user)

    rng = random.Random(3)  # noqa: S311 (sampling, not secrets)
    with running_stack(env, worker_concurrency=1) as base_url:
        client = Client(base_url, token)
        for _ in range(20):
            client.request("GET", "/api/v1/jobs/list/")
        print(f"HTTP latency, {args.requests} requests each (ms):")
        print(f"  {'page_size':>9}  {'first page p50/p99':>20}  {'random page p50/p99':>20}"
              f"  {'?status=failed p50/p99':>22}")  # fmt: skip
        for size in PAGE_SIZES:
            pages = args.rows // size
            first = _time(client, [f"?page_size={size}"] * args.requests)
            spread = _time(
                client,
                [f"?page_size={size}&page={rng.randint(1, pages)}" for _ in range(args.requests)],
            )
            failed = _time(client, [f"?page_size={size}&status=failed"] * args.requests)
            print(f"  {size:>9}  {_p(first):>20}  {_p(spread):>20}  {_p(failed):>22}")


def _fill(user, rows: int) -> None:
    from django.utils import timezone

    from backend.jobs.models import Job

    existing = Job.objects.filter(owner=user).count()
    if existing == rows:
        print(f"{rows} jobs already in the table")
        return
    Job.objects.filter(owner=user).delete()
    start = time.perf_counter()
    now = timezone.now()
    text = "word " * 400
    statuses = ["completed"] * 7 + ["failed"] * 2 + ["pending"]
    batch = []
    for n in range(rows):
        created = now - timedelta(seconds=n)
        batch.append(
            Job(
                owner=user,
                title=f"Job {n}",
                input_text=text,
                options={"language": "en", "top_n": 10},
                status=statuses[n % 10],
                celery_task_id=str(uuid.uuid4()),
                created_at=created,
                queued_at=created,
            )
        )
        if len(batch) == 5000:
            Job.objects.bulk_create(batch)
            batch = []
    Job.objects.bulk_create(batch)
    print(f"{rows} jobs created in {time.perf_counter() - start:.1f} s")
    from django.db import connection

    # What autovacuum would have done by now: statistics, and the visibility map that lets
    # the count read the index alone.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE jobs_job")


def _count_queries(user, token: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    print("SQL queries per list request (Django test client, this process):")
    for size in PAGE_SIZES:
        for query in (f"?page_size={size}", f"?page_size={size}&page=500"):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/api/v1/jobs/list/{query}")
            assert response.status_code == 200, response.content
            kinds = [_kind(q["sql"]) for q in queries]
            print(f"  {query:<24} {len(queries)} queries: {', '.join(kinds)}")


def _kind(sql: str) -> str:
    if " FROM " not in sql:
        return sql.split()[0]
    table = sql.split(" FROM ")[1].split()[0].strip('"')
    return f"{'count' if 'COUNT(' in sql else 'select'} {table}"


def _explain(user) -> None:
    from django.db import connection

    from backend.jobs.selectors import job_list
    from backend.jobs.serializers import LIST_COLUMNS

    jobs = job_list(owner=user, columns=LIST_COLUMNS)
    print("Plans (EXPLAIN ANALYZE, first line and execution time):")
    for label, queryset in (
        ("count", None),
        ("page 1 of 100", jobs[:100]),
        ("page 900 of 100", jobs[89_900:90_000]),
    ):
        with connection.cursor() as cursor:
            if queryset is None:
                sql, params = (
                    "SELECT COUNT(*) FROM jobs_job WHERE owner_id = %s",
                    [user.pk],
                )
            else:
                sql, params = queryset.query.sql_with_params()
            cursor.execute("EXPLAIN ANALYZE " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        scan = next((line.strip() for line in plan if "Scan" in line), plan[0].strip())
        print(f"  {label:<16} {scan[:90]}  | {plan[-1].strip()}")


def _time(client, queries: list[str]) -> list[float]:
    times = []
    for query in queries:
        start = time.perf_counter()
        code, payload = client.request("GET", f"/api/v1/jobs/list/{query}")
        times.append(time.perf_counter() - start)
        assert code == 200, payload[:200]
    return times


def _p(times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return f"{percentile(ms, 50):.1f} / {percentile(ms, 99):.1f}"


if __name__ == "__main__":
    main()
