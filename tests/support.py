"""Helpers the tests share: services that CI requires, the real Celery worker, and writers released together."""

import contextlib
import datetime
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest


def required_in_ci() -> bool:
    """CI sets REQUIRE_BROWSER=1 (and CI=1): there a missing service is a failure, not a skip."""
    return os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("CI", "").lower() in ("1", "true")


def skip_or_fail(reason: str):
    if required_in_ci():
        pytest.fail(f"{reason} (required when CI=1 or REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


#: The Redis the worker tests use when REDIS_URL is not set.
TEST_REDIS_URL = "redis://127.0.0.1:6379/14"


def worker_broker_url(redis_url: str, xdist_worker: str) -> str:
    """A Redis database of its own for each pytest-xdist process.

    Two processes' workers on one queue would take each other's messages, and each process has its
    own test database: a task would run against the wrong one. gw0 keeps the configured database,
    gw1 takes the one below it, and so on.
    """
    url = redis_url or TEST_REDIS_URL
    index = int(xdist_worker[2:]) if xdist_worker.startswith("gw") else 0
    match = re.search(r"/(\d+)$", url)
    base = int(match.group(1)) if match else 0
    db = (base - index) % 16
    return (url[: match.start()] if match else url.rstrip("/")) + f"/{db}"


def _reset_broker_pools(app):
    """Forget the broker connections made so far, so the next message goes to the broker now configured.

    kombu keeps its pools in a registry keyed by broker URL, shared by the app: close and forget them all.
    """
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


#: Connection timeouts as config/settings.py sets them for a Redis broker: a broker that is down fails fast.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 3.0}


@contextlib.contextmanager
def broker_at(url: str, transport_options: dict | None = None):
    """Point the Celery app at the broker at `url`, publishing for real (not eagerly), and back afterwards.

    `redis://127.0.0.1:1/0` is a broker that is down: nothing listens on port 1.
    """
    from config.celery import app

    saved = {
        "broker_url": app.conf.broker_url,
        "broker_transport_options": app.conf.broker_transport_options,
        "task_always_eager": app.conf.task_always_eager,
    }
    app.conf.broker_url = url
    app.conf.broker_transport_options = dict(transport_options or {})
    app.conf.task_always_eager = False
    _reset_broker_pools(app)
    try:
        yield app
    finally:
        for key, value in saved.items():
            setattr(app.conf, key, value)
        _reset_broker_pools(app)


@contextlib.contextmanager
def real_worker(url: str, transport_options: dict | None = None):
    """A real Celery worker (solo pool, in a thread) consuming from the Redis broker at `url`.

    Skips when Redis does not answer, except in CI, where it fails. The app is pointed back at its
    configured broker afterwards and the worker is stopped, so nothing leaks into other tests.
    """
    import redis
    from celery.contrib.testing.worker import start_worker

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2).ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis is not reachable at {url}: {error}")

    # The embedded worker sets up Celery's logging on the root logger: put it back afterwards.
    root = logging.getLogger()
    root_handlers, root_level = list(root.handlers), root.level
    try:
        with broker_at(url, transport_options) as app:
            with app.connection_for_write() as conn:
                # Messages left from an earlier, interrupted run name rows that no longer exist.
                conn.default_channel.queue_purge(app.conf.task_default_queue)
            with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
                yield worker
    finally:
        root.handlers[:] = root_handlers
        root.setLevel(root_level)


def free_port() -> int:
    """A TCP port nothing listens on now (the kernel's choice)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own on `port`, without persistence, that the test stops and starts again.

    Restarted on the same port it comes back empty, as a broker restarted without its data does.
    """

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self) -> None:
        import shutil
        import subprocess
        import time

        import redis

        binary = shutil.which("redis-server")
        if binary is None:
            skip_or_fail("redis-server is not installed (the broker-outage test starts its own)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def wait_for(condition: Callable[[], object], seconds: float = 60.0, *, every: float = 0.2) -> bool:
    """Poll `condition` until it is true or `seconds` have passed (a real worker answers when it answers)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def shown(day: datetime.date) -> str:
    """A date as every page, email and PDF writes it: "1 Dec 2026" (config/formats)."""
    return f"{day.day} {day:%b %Y}"


# --- writers released together ------------------------------------------------------------------------


class _Gate:
    """The pause between a writer's read and its write: after `name` returns, each writer waits until every other
    writer has got there too, has finished, or is waiting for a database lock (PostgreSQL's `pg_locks`).

    So without the lock under test every writer reads before any writes, in the first round; with it, the holder
    goes on as soon as the others queue behind its lock, and no round waits for a timeout.
    """

    def __init__(self, count: int, timeout: float):
        self.count, self.timeout = count, timeout
        self.pids: list[int | None] = [None] * count
        self.passed: set[int] = set()  # at the gate or beyond it, or finished
        self.lock = threading.Lock()
        self.local = threading.local()

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def paused(*args: Any, **kwargs: Any) -> Any:
            result = function(*args, **kwargs)
            index = getattr(self.local, "index", None)
            if index is not None and index not in self.passed:
                self.wait(index)
            return result

        return paused

    def wait(self, index: int) -> None:
        from django.db import connection

        with self.lock:
            self.passed.add(index)
        deadline = time.monotonic() + self.timeout
        while True:
            with self.lock:
                others = [i for i in range(self.count) if i not in self.passed]
            if not others:
                return
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid = ANY(%s)",
                    [[self.pids[i] for i in others]],
                )
                if cursor.fetchone()[0] == len(others):
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"writers {others} neither reached the gate nor waited for a lock")
            time.sleep(0.005)


class _AuditLast:
    """Each writer's audit events held back and appended as its transaction's last statement.

    On PostgreSQL a transaction's first event takes the audit chain's lock until it ends (`accounts.audit_chain`),
    so audited writers serialise there on their own, whatever else they lock: a test of another lock would pass
    without it. Appended last, the events are the same and in the same transaction; the chain lock no longer
    stands between the writers' reads and their writes.
    """

    def __init__(self) -> None:
        from accounts.models.audit import AuditEventQuerySet

        self.queryset = AuditEventQuerySet
        self.append = AuditEventQuerySet.bulk_create
        self.local = threading.local()

    def __enter__(self) -> None:
        held = self

        def bulk_create(queryset: Any, objs: Any, *args: Any, **kwargs: Any) -> list:
            pending = getattr(held.local, "pending", None)
            if pending is None:
                return held.append(queryset, objs, *args, **kwargs)
            events = list(objs)
            pending.append((queryset, events, args, kwargs))
            return events

        self.queryset.bulk_create = bulk_create

    def __exit__(self, *exc: object) -> None:
        self.queryset.bulk_create = self.append

    def writing(self, writer: Callable[[], object]) -> object:
        from django.db import transaction

        self.local.pending = []
        try:
            with transaction.atomic():
                result = writer()
                for queryset, events, args, kwargs in self.local.pending:
                    self.append(queryset, events, *args, **kwargs)
            return result
        finally:
            self.local.pending = None


def run_together(
    *writers: Callable[[], object],
    pause_after: tuple[object, str] | None = None,
    audit_last: bool = False,
    errors_returned: bool = False,
    timeout: float = 60.0,
) -> list[object]:
    """Run each writer in its own thread and database connection, all released at once by a barrier.

    Returns the writers' results in order. A writer's error is re-raised in the test's thread, or with
    `errors_returned` is that writer's result. `pause_after=(module, "name")` holds each writer after its call of
    `module.name` (the read before its write) until the others have read too or wait for a lock (`_Gate`, on
    PostgreSQL); `audit_last` appends each writer's audit events at the end of its transaction (`_AuditLast`).
    """
    from django.db import connection, connections

    start = threading.Barrier(len(writers))
    gate = _Gate(len(writers), timeout) if pause_after is not None else None
    audit = _AuditLast() if audit_last else None
    results: list[object] = [None] * len(writers)
    errors: list[BaseException] = []

    def run(index: int, writer: Callable[[], object]) -> None:
        try:
            if gate is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    gate.pids[index] = cursor.fetchone()[0]
                gate.local.index = index
            start.wait(timeout=timeout)
            results[index] = audit.writing(writer) if audit is not None else writer()
        except BaseException as error:  # surfaced below, in the test's thread
            # A broken barrier or a gate that waited in vain is the test's failure, never a writer's answer.
            if errors_returned and not isinstance(error, (threading.BrokenBarrierError, AssertionError)):
                results[index] = error
            else:
                errors.append(error)
        finally:
            if gate is not None:
                with gate.lock:
                    gate.passed.add(index)
            connections.close_all()

    with contextlib.ExitStack() as undo:
        if audit is not None:
            undo.enter_context(audit)
        if gate is not None and pause_after is not None:
            owner, name = pause_after
            original = getattr(owner, name)
            setattr(owner, name, gate.wrap(original))
            undo.callback(setattr, owner, name, original)
        threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a writer did not finish"
    if errors:
        raise errors[0]
    return results
