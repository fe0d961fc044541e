"""Benchmark: database connections and gunicorn's workers and threads, under concurrent load.

Builds a throwaway database on DATABASE_URL's PostgreSQL server (`<name>_bench_conn`) with a therapist, an API
token and a plan of 60 goals with 600 progress entries, then starts gunicorn as production does (DEBUG off,
gunicorn.conf.py, Redis for the rate limits' counters when REDIS_URL is set) once per case, and drives it from
BENCH_CLIENTS (20) threads of this process for BENCH_SECONDS (8) each, a new HTTP connection per request
(as a proxy in front would open them):

- connections, on `GET /api/v1/staff/me`, 2 sync workers: a connection per request (CONN_MAX_AGE=0), persistent
  connections with and without health checks, Django's psycopg pool (when psycopg_pool is installed);
- workers x threads, on staff/me and on the plan detail (`GET /api/v1/treatment-plans/{id}`), with the
  production default connections.

Prints req/s, p50, p99, errors and the ratio of req/s to the first case, with the load average beside each
(`/proc/loadavg`; the machine may be shared). Run with `make bench-connections` (part of `make bench`).
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from importlib.util import find_spec
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = int(os.environ.get("BENCH_CLIENTS", 20))
SECONDS = float(os.environ.get("BENCH_SECONDS", 8))
WARMUP = 2.0


def load() -> str:
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) if path.exists() else "n/a"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def drive(port: int, path: str, token: str, seconds: float) -> dict[str, float]:
    """CLIENTS threads requesting `path` as fast as answered for `seconds`; latencies in ms."""
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client() -> None:
        mine: list[float] = []
        failed = 0
        while time.monotonic() < stop:
            start = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", path, headers={"Authorization": f"Token {token}", "Host": "127.0.0.1"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except OSError:
                failed += 1
            finally:
                conn.close()
            mine.append((time.perf_counter() - start) * 1000)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[max(int(len(latencies) * 0.99) - 1, 0)],
        "errors": errors[0],
    }


class Gunicorn:
    """gunicorn with gunicorn.conf.py and these environment overrides, on a free port, stopped on exit."""

    def __init__(self, database_url: str, token: str, **env: str) -> None:
        self.port = free_port()
        self.token = token
        self.env = os.environ | {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "AUDIT_HMAC_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database_url,
            "WEB_PORT": str(self.port),
            "LOG_LEVEL": "WARNING",
            # The benchmark is one user asking hundreds of times a second: the per-user rate limit would answer 429.
            "THROTTLE_API_USER_RATE": "1000000/minute",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            **env,
        }

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped: {self.process.stderr.read()[-2000:]}")  # type: ignore[union-attr]
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/staff/me", headers={"Authorization": f"Token {self.token}"})
                if conn.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer within 120 s")

    def __exit__(self, *exc: object) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def measure(server: Gunicorn, path: str) -> dict[str, float]:
    drive(server.port, path, server.token, WARMUP)  # every worker and thread has connected and imported
    figures = drive(server.port, path, server.token, SECONDS)
    figures["load"] = load()  # type: ignore[assignment]
    return figures


def row(label: str, figures: dict, floor: float) -> str:
    return (
        f"{label:<52}{figures['rps']:>8.0f}{figures['p50']:>9.0f}{figures['p99']:>9.0f}{figures['errors']:>7.0f}"
        f"{figures['rps'] / floor:>7.2f}   {figures['load']}"
    )


def build() -> tuple[str, str]:
    """The therapist's API token and the 60-goal plan's id."""
    from knox.models import AuthToken

    from tests.benchmarks.data import therapist_and_patient
    from tests.benchmarks.plans import build_plan

    therapist, patient = therapist_and_patient()
    plan, _ = build_plan(patient, therapist, 60)
    _, token = AuthToken.objects.create(user=therapist)
    return token, str(plan.pk)


def main() -> None:
    if connection.vendor != "postgresql":
        print("The connections benchmark needs DATABASE_URL on a PostgreSQL server: not run.")
        return
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"{old_name}_bench_conn"
    bench_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        token, plan_id = build()
        connection.close()
        url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + bench_name
        staff_me, plan_detail = "/api/v1/staff/me", f"/api/v1/treatment-plans/{plan_id}"
        print(f"gunicorn, DEBUG off, {CLIENTS} concurrent clients, {SECONDS:g} s per figure, {os.cpu_count()} cores")
        print(f"{'case':<52}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>7}{'ratio':>7}   load (1/5/15 min)")
        sync2 = {"WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "1"}
        cases: list[tuple[str, dict[str, str]]] = [
            ("staff/me, 2x1, a connection per request", {**sync2, "CONN_MAX_AGE": "0"}),
            ("staff/me, 2x1, CONN_MAX_AGE=600, health checks", {**sync2, "CONN_MAX_AGE": "600"}),
            (
                "staff/me, 2x1, CONN_MAX_AGE=600, no health checks",
                {**sync2, "CONN_MAX_AGE": "600", "CONN_HEALTH_CHECKS": "false"},
            ),
        ]
        if find_spec("psycopg_pool") is not None:
            cases.append(("staff/me, 2x1, psycopg pool", {**sync2, "CONN_MAX_AGE": "0", "DATABASE_POOL": "true"}))
        else:
            print(f"{'staff/me, 2x1, psycopg pool':<52}  not measured: psycopg_pool is not installed")
        floor = 0.0
        for label, env in cases:
            with Gunicorn(url, token, **env) as server:
                figures = measure(server, staff_me)
            floor = floor or figures["rps"]
            print(row(label, figures, floor))
        for workers, threads in ((2, 1), (2, 2), (2, 4), (3, 2), (4, 1), (4, 4)):
            env = {"WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}
            with Gunicorn(url, token, **env) as server:
                me, plan = measure(server, staff_me), measure(server, plan_detail)
            print(row(f"staff/me, {workers}x{threads}", me, floor))
            print(row(f"plan detail (60 goals), {workers}x{threads}", plan, floor))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
