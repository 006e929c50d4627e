#!/usr/bin/env python3
"""The many-replica drill: the Helm chart's topology with the real programs, no Kubernetes.

Three `app-start web` processes (gunicorn, production settings, DJANGO_SKIP_MIGRATE=true after
one `app-start setup`, as the chart's Job and Deployment run them) behind one Caddy with
active health checks on /readyz; two `app-start worker` and one `app-start beat` on the same
PostgreSQL and Redis. 20 clients submit 500 jobs through Caddy; meanwhile one web and one worker
are killed (SIGKILL to their whole process group, mid-load) and started again. It prints what
happened to every request and every job:

  - requests failed, split into before and after the proxy's health check had removed the dead
    web (bounded by health_interval + health_timeout after the kill, or Caddy's own log line);
  - jobs completed, results stored (one per job: a one-to-one table), jobs run twice because
    their worker died mid-run (attempts > 1, still one result).

Needs the dev stack's PostgreSQL and Redis (scripts/up --detached postgres redis) and Caddy on
PATH (Debian's caddy). Uses its own database (<project>_drill, dropped afterwards) and Redis
database 7. A drill, not a test: it exits 1 when a job is lost or duplicated, or a request fails
after the removal, and prints the figures either way.

Usage: python bench/replicas_drill.py [--jobs 500] [--clients 20]
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

from backend.core.tests.throwaway import free_port  # noqa: E402
from backend.tests_production.harness import (  # noqa: E402
    Started,
    redis_url_with_db,
    request,
    responds,
    run,
    start,
    wait_until,
)

WEBS, WORKERS = 3, 2
HEALTH_INTERVAL_S, HEALTH_TIMEOUT_S = 1, 1
REDIS_DB = 7
# Short limits, so a job cut off by the killed worker comes back within the drill: its message
# after the visibility timeout, or the job itself through beat's recover_stuck_jobs.
TASK_TIME_LIMIT_S = 20
VISIBILITY_TIMEOUT_S = 30
COMPLETION_TIMEOUT_S = 300

CADDYFILE = """\
{{
	admin off
	auto_https off
	persist_config off
}}
http://127.0.0.1:{port} {{
	reverse_proxy {upstreams} {{
		lb_policy round_robin
		# A connection refused by a dead upstream is retried on another one for this long.
		lb_try_duration 5s
		lb_try_interval 100ms
		health_uri /readyz
		health_interval {interval}s
		health_timeout {timeout}s
		health_status 200
		fail_duration 10s
	}}
}}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    caddy = shutil.which("caddy")
    if caddy is None:
        print("replicas_drill: caddy is not on PATH (apt-get install caddy)", file=sys.stderr)
        return 2

    env = _environment()
    work = Path(tempfile.mkdtemp(prefix="replicas-drill-"))
    processes: dict[str, Started] = {}
    try:
        _create_database(env)
        setup = run(["setup"], env, timeout=300)
        if setup.returncode != 0:
            raise SystemExit(f"setup failed:\n{setup.stdout}{setup.stderr}")
        token = _user_token(env)

        web_ports = [free_port() for _ in range(WEBS)]

        def start_web(index: int) -> Started:
            web_env = dict(env, PORT=str(web_ports[index]), DJANGO_SKIP_MIGRATE="true")
            process = start(["web"], web_env, work / f"web{index}-{time.monotonic_ns()}.log")
            wait_until(responds(web_ports[index], "/readyz"), timeout=120,
                       what=f"web {index}", process=process)  # fmt: skip
            return process

        def start_worker(index: int) -> Started:
            arguments = ["worker", "--concurrency", "2", "-n", f"drill{index}@localhost",
                         "--without-mingle", "--without-gossip"]  # fmt: skip
            log = work / f"worker{index}-{time.monotonic_ns()}.log"
            process = start(arguments, env, log)
            process.wait_for_output(" ready.", timeout=120)
            return process

        for index in range(WEBS):
            processes[f"web{index}"] = start_web(index)
        for index in range(WORKERS):
            processes[f"worker{index}"] = start_worker(index)
        processes["beat"] = start(["beat"], env, work / "beat.log")

        proxy_port = free_port()
        caddyfile = work / "Caddyfile"
        caddyfile.write_text(CADDYFILE.format(
            port=proxy_port, interval=HEALTH_INTERVAL_S, timeout=HEALTH_TIMEOUT_S,
            upstreams=" ".join(f"127.0.0.1:{port}" for port in web_ports),
        ))  # fmt: skip
        caddy_log = work / "caddy.log"
        with caddy_log.open("wb") as out:
            proxy = subprocess.Popen(  # noqa: S603
                [caddy, "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
                cwd=work, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env={**os.environ, "HOME": str(work)},
            )  # fmt: skip
        processes["caddy"] = Started(popen=proxy, log=caddy_log)
        wait_until(responds(proxy_port, "/readyz"), timeout=30, what="caddy",
                   process=processes["caddy"])  # fmt: skip

        outcome = _load(args, proxy_port, token, processes, start_web, start_worker)
        figures = _wait_for_jobs(env, outcome["job_ids"])
        return _report(args, outcome, figures)
    finally:
        for process in processes.values():
            process.stop(timeout=20)
            process.kill_leftovers()
        _drop_database(env)
        shutil.rmtree(work, ignore_errors=True)


def _environment() -> dict[str, str]:
    from backend.core.project import project_name

    base_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "POSTGRES_", "CELERY_", "GUNICORN_"))
        and name not in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "PORT")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="backend.config.settings.production",
        DJANGO_SECRET_KEY="drill-only-" + uuid.uuid4().hex,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain HTTP on loopback: no TLS-terminating proxy in front sets X-Forwarded-Proto.
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_JOBS_CREATE_THROTTLE_RATE="1000000/minute",
        DATABASE_URL=f"postgres:///{project_name()}_drill",
        REDIS_URL=redis_url_with_db(base_url, REDIS_DB),
        MEDIA_ROOT=tempfile.mkdtemp(prefix="replicas-drill-media-"),
        GUNICORN_WORKERS="2",
        CELERY_TASK_TIME_LIMIT=str(TASK_TIME_LIMIT_S),
        CELERY_TASK_SOFT_TIME_LIMIT=str(TASK_TIME_LIMIT_S - 5),
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT_S),
        PYTHONUNBUFFERED="1",
    )
    return env


def _create_database(env: dict[str, str]) -> None:
    import psycopg
    import redis

    _drop_database(env)
    with psycopg.connect(
        env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", autocommit=True
    ) as db:
        db.execute(f'CREATE DATABASE "{env["DATABASE_URL"].rsplit("/", 1)[1]}"')
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()


def _drop_database(env: dict[str, str]) -> None:
    import psycopg

    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect(
        env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres", autocommit=True
    ) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(env["MEDIA_ROOT"], ignore_errors=True)


def _user_token(env: dict[str, str]) -> str:
    done = run(["manage", "shell", "-c", _MAKE_USER], env, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"creating the drill user failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


_MAKE_USER = (
    "from rest_framework.authtoken.models import Token; from backend.accounts.models import User; "
    "user = User.objects.create(email='drill@example.com'); "
    "print(Token.objects.create(user=user).key)"
)


def _load(args, proxy_port, token, processes, start_web, start_worker) -> dict:
    """Submit the jobs from the clients; kill and restart web 0 and worker 0 on the way."""
    per_client = args.jobs // args.clients
    body = {"title": "drill", "text": "the drill runs every job exactly once " * 200}
    results: list[tuple[float, int, str]] = []  # (time, status, job id or error)
    lock = threading.Lock()
    submitted = threading.Semaphore(0)

    def client(number: int) -> None:
        for _ in range(per_client):
            began = time.monotonic()
            try:
                response = request(proxy_port, "POST", "/api/v1/jobs/create/", https=False,
                                   headers={"Authorization": f"Token {token}"},
                                   json_body=dict(body, title=f"drill {number}"))  # fmt: skip
                status = response.status
                detail = response.json().get("id", "") if status == 202 else response.text[:200]
            except OSError as exc:
                status, detail = 0, f"{type(exc).__name__}: {exc}"
            with lock:
                results.append((began, status, detail))
            submitted.release()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    # A third of the way in: the kills. Web 0 and worker 0 come back a few seconds later, as an
    # orchestrator would restart them.
    for _ in range(args.jobs // 3):
        submitted.acquire(timeout=120)
    kill_at = time.monotonic()
    for name in ("web0", "worker0"):
        os.killpg(processes[name].popen.pid, signal.SIGKILL)
        processes[name].popen.wait(10)
    time.sleep(3)
    restart_began = time.monotonic()
    processes["web0"] = start_web(0)
    processes["worker0"] = start_worker(0)
    web_back_at = time.monotonic()
    for thread in threads:
        thread.join(timeout=600)
    ended = time.monotonic()
    return {
        "results": results,
        "job_ids": [detail for _, status, detail in results if status == 202],
        "began": began,
        "kill_at": kill_at,
        "restart_began": restart_began,
        "web_back_at": web_back_at,
        "ended": ended,
    }


def _wait_for_jobs(env: dict[str, str], job_ids: list[str]) -> dict:
    import psycopg

    began = time.monotonic()
    query = (
        "SELECT r.status, r.attempts, (SELECT count(*) FROM jobs_jobresult s "
        "WHERE s.job_id = r.id) FROM jobs_job r WHERE r.id = ANY(%s::uuid[])"
    )
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
        while True:
            rows = db.execute(query, [job_ids]).fetchall()
            statuses = Counter(status for status, _, _ in rows)
            if (
                statuses.get("completed", 0) == len(job_ids)
                or time.monotonic() - began > COMPLETION_TIMEOUT_S
            ):
                break
            time.sleep(1)
    return {
        "rows": len(rows),
        "statuses": dict(statuses),
        "results": Counter(results for _, _, results in rows),
        "attempts": Counter(attempts for _, attempts, _ in rows),
        "waited": time.monotonic() - began,
    }


def _report(args, outcome, figures) -> int:
    results = outcome["results"]
    # Caddy stops sending to a web whose /readyz fails: at the latest one health_interval plus one
    # health_timeout after the kill.
    removed_at = outcome["kill_at"] + HEALTH_INTERVAL_S + HEALTH_TIMEOUT_S
    removal_rule = (
        f"kill + health_interval + health_timeout = {HEALTH_INTERVAL_S + HEALTH_TIMEOUT_S}s"
    )
    failed = [(t, status, detail) for t, status, detail in results if status != 202]
    failed_before = [f for f in failed if f[0] < removed_at]
    failed_after = [f for f in failed if f[0] >= removed_at]
    load_s = outcome["ended"] - outcome["began"]
    duplicates = sum(
        count for results_per_job, count in figures["results"].items() if results_per_job > 1
    )
    lost = len(outcome["job_ids"]) - figures["statuses"].get("completed", 0)
    rerun = sum(count for attempts, count in figures["attempts"].items() if attempts > 1)
    print(f"replicas drill: {WEBS} web (gunicorn x2) behind Caddy, {WORKERS} workers (x2), 1 beat")
    print(f"  requests        {len(results)} from {args.clients} clients in {load_s:.1f}s "
          f"({len(results) / load_s:.1f}/s)")  # fmt: skip
    print(f"  killed          web0 and worker0 at +{outcome['kill_at'] - outcome['began']:.1f}s; "
          f"restarted from +{outcome['restart_began'] - outcome['began']:.1f}s, "
          f"web0 ready at +{outcome['web_back_at'] - outcome['began']:.1f}s")  # fmt: skip
    print(f"  removal         +{removed_at - outcome['began']:.1f}s ({removal_rule})")
    print(f"  failed requests {len(failed)}: {len(failed_before)} before the removal, "
          f"{len(failed_after)} after")  # fmt: skip
    for _, status, detail in failed[:5]:
        print(f"    {status} {detail}")
    print(f"  jobs accepted   {len(outcome['job_ids'])}; statuses {figures['statuses']}; "
          f"all done {figures['waited']:.1f}s after the last submission")  # fmt: skip
    print(f"  results stored  {dict(sorted(figures['results'].items()))} (results per job: count)")
    print(f"  attempts        {dict(sorted(figures['attempts'].items()))} "
          f"({rerun} re-run after the worker kill, each completed once)")  # fmt: skip
    print(f"  lost jobs {lost}, duplicated results {duplicates}")
    ok = (
        lost == 0
        and duplicates == 0
        and not failed_after
        and len(outcome["job_ids"]) + len(failed) == args.jobs // args.clients * args.clients
    )
    print("drill: " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
