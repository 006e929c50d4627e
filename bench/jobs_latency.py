#!/usr/bin/env python3
"""(a) End-to-end latency of a job: submit a 10 KB text, poll its status until completed.

One client, one job at a time, one worker process (concurrency 1), against gunicorn on
127.0.0.1 (see jobs_common.py). Prints the client-side latency (POST sent -> a status poll
says completed; the poll interval bounds its resolution) and the server-side part
(created_at -> finished_at, from the job's own timestamps).

Usage: python bench/jobs_latency.py [-n 200] [--size 10240] [--poll-ms 5]
"""

import argparse
import json
import time
from datetime import datetime

from jobs_common import Client, bench_user, describe_ms, running_stack, sample_text, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--size", type=int, default=10 * 1024)
    parser.add_argument("--poll-ms", type=float, default=5)
    args = parser.parse_args()

    env = setup_django()
    user, token = bench_user("bench-latency@example.com")
    user.jobs.all().delete()
    body = json.dumps({"title": "latency", "text": sample_text(args.size)}).encode()

    end_to_end, server_side, queue_wait = [], [], []
    with running_stack(env, worker_concurrency=1) as base_url:
        client = Client(base_url, token)
        for _ in range(3):  # warm up connections and the worker's imports
            _run_one(client, body, args.poll_ms)
        for _ in range(args.n):
            elapsed, status = _run_one(client, body, args.poll_ms)
            end_to_end.append(elapsed)
            created, started, finished = (
                datetime.fromisoformat(status[key].replace("Z", "+00:00"))
                for key in ("created_at", "started_at", "finished_at")
            )
            server_side.append((finished - created).total_seconds())
            queue_wait.append((started - created).total_seconds())

    print(f"jobs_latency: {args.n} jobs of {args.size} bytes, one worker (-c 1), one client")
    print(f"  submit -> completed seen by client   {describe_ms(end_to_end)}")
    print(f"  created_at -> finished_at (server)   {describe_ms(server_side)}")
    print(f"  created_at -> started_at (queue)     {describe_ms(queue_wait)}")
    print(f"  poll interval {args.poll_ms} ms")


def _run_one(client: Client, body: bytes, poll_ms: float) -> tuple[float, dict]:
    start = time.perf_counter()
    code, payload = client.request("POST", "/api/v1/jobs/create/", body)
    assert code == 202, payload
    job_id = json.loads(payload)["id"]
    while True:
        code, payload = client.request("GET", f"/api/v1/jobs/status/{job_id}/")
        status = json.loads(payload)
        if status["status"] == "completed":
            return time.perf_counter() - start, status
        if status["status"] == "failed":
            raise RuntimeError(status["error_message"])
        time.sleep(poll_ms / 1000)


if __name__ == "__main__":
    main()
