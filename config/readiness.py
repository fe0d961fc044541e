"""`GET /readyz`: can this deployment do all its work now? The database, the broker and the render queue.

`/healthz` (accounts) stays the cheap liveness answer: the app and its database answer. `/readyz` answers
200 when the database answers `SELECT 1`, the broker takes a connection (the embedded `filesystem://`
broker of `make run`: its folder can be written) and the oldest `pending` report was asked for less than
`READY_QUEUE_MAX_AGE` ago; 503 otherwise. Pages and the API keep answering while the broker is down (the
rows they write wait for it), so point monitoring at `/readyz` and a load balancer at `/healthz`.

It lives in config/, beside the Celery app whose broker it checks: it reads every layer (the broker is
config's, the queue the reviews app's), and accounts, where `/healthz` lives, may name neither.

Unauthenticated: a failed check names the error's class only; the details go to the log.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app
from reviews.selectors import pending_reports

logger = logging.getLogger(__name__)

Check = dict[str, Any]


def check_database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def check_broker() -> Check:
    """One connection attempt, bounded by BROKER_CONNECT_TIMEOUT (no retries: the next probe is the retry)."""
    if (app.conf.broker_url or "").startswith("filesystem://"):
        with tempfile.TemporaryFile(dir=app.conf.broker_transport_options["data_folder_out"]):
            pass
        return {"ok": True}
    with app.connection_for_write(connect_timeout=settings.BROKER_CONNECT_TIMEOUT) as broker:
        broker.ensure_connection(max_retries=0, timeout=settings.BROKER_CONNECT_TIMEOUT)
    return {"ok": True}


def check_queue() -> Check:
    pending = pending_reports()
    age = pending.oldest_age
    return {
        "ok": age is None or age <= settings.READY_QUEUE_MAX_AGE,
        "pending": pending.count,
        "oldest_pending_seconds": int(age.total_seconds()) if age is not None else 0,
        "max_age_seconds": int(settings.READY_QUEUE_MAX_AGE.total_seconds()),
    }


CHECKS: dict[str, Callable[[], Check]] = {
    "database": check_database,
    "broker": check_broker,
    "queue": check_queue,
}


def _run(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as error:  # a readiness probe reports any failure; it never fails itself
        logger.warning("Readiness: %s check failed: %s: %s", name, type(error).__name__, error)
        return {"ok": False, "error": type(error).__name__}


@never_cache
@require_GET
@login_not_required
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {name: _run(name, check) for name, check in CHECKS.items()}
    ready = all(result["ok"] for result in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
