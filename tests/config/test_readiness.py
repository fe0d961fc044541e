"""`/readyz`: the database, the broker and the render queue, each named; 503 when one of them is not ready.

`/healthz` stays the cheap liveness answer (tests/accounts/test_settings_headers.py), whatever the broker does.
"""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.audit import AuditContext
from reviews.models import ProgressReport
from reviews.services.reports import report_request
from tests.support import TEST_REDIS_URL, broker_at, skip_or_fail

pytestmark = pytest.mark.django_db

NOW = timezone.now()
QUEUE_EMPTY = {"ok": True, "pending": 0, "oldest_pending_seconds": 0, "max_age_seconds": 900}


@pytest.fixture
def filesystem_broker(tmp_path):
    """The embedded broker of `make run`, in a folder of the test's own."""
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "control_folder": str(tmp_path)}
    with broker_at("filesystem://", options) as app:
        yield app


@pytest.fixture
def at_now(monkeypatch):
    """The clock stands at NOW, so ages are exact."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _ready():
    response = APIClient().get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    return response.status_code, response.json()


def _pending(plan, owner, *, minutes_ago: int) -> ProgressReport:
    report = report_request(by=AuditContext.system("tests", user=owner), plan=plan)
    ProgressReport.objects.filter(pk=report.pk).update(requested_at=NOW - datetime.timedelta(minutes=minutes_ago))
    return report


def test_all_up_is_200(filesystem_broker):
    assert _ready() == (
        200,
        {"status": "ok", "checks": {"database": {"ok": True}, "broker": {"ok": True}, "queue": QUEUE_EMPTY}},
    )


def test_a_redis_broker_that_answers_is_up(settings):
    import redis

    url = settings.REDIS_URL or TEST_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        skip_or_fail(f"Redis is not reachable at {url}: {error}")
    with broker_at(url, {"socket_connect_timeout": 1.0}):
        assert _ready()[1]["checks"]["broker"] == {"ok": True}


def test_a_broker_that_is_down_is_503_naming_it(dead_broker):
    status, body = _ready()

    assert status == 503
    assert body == {
        "status": "unavailable",
        "checks": {
            "database": {"ok": True},
            "broker": {"ok": False, "error": "OperationalError"},
            "queue": QUEUE_EMPTY,
        },
    }


def test_a_filesystem_broker_whose_folder_is_gone_is_503(tmp_path):
    gone = str(tmp_path / "gone")
    with broker_at("filesystem://", {"data_folder_in": gone, "data_folder_out": gone, "control_folder": gone}):
        status, body = _ready()

    assert status == 503
    assert body["checks"]["broker"] == {"ok": False, "error": "FileNotFoundError"}


def test_a_report_waiting_longer_than_the_limit_is_503(filesystem_broker, plan, owner, at_now):
    _pending(plan, owner, minutes_ago=3)
    _pending(plan, owner, minutes_ago=16)

    status, body = _ready()

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["queue"] == {"ok": False, "pending": 2, "oldest_pending_seconds": 960, "max_age_seconds": 900}
    assert body["checks"]["broker"] == {"ok": True}


def test_a_report_waiting_a_few_minutes_is_ready(filesystem_broker, plan, owner, at_now, settings):
    settings.READY_QUEUE_MAX_AGE = datetime.timedelta(minutes=5)
    _pending(plan, owner, minutes_ago=4)

    status, body = _ready()

    assert status == 200
    assert body["checks"]["queue"] == {"ok": True, "pending": 1, "oldest_pending_seconds": 240, "max_age_seconds": 300}


def test_a_database_that_fails_is_503_and_so_is_the_queue_it_holds(filesystem_broker, monkeypatch):
    from django.db import OperationalError

    from config import readiness

    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(readiness, "pending_reports", refuse)
    monkeypatch.setattr(readiness.connection, "cursor", refuse)

    status, body = _ready()

    assert status == 503
    assert body["checks"] == {
        "database": {"ok": False, "error": "OperationalError"},
        "broker": {"ok": True},
        "queue": {"ok": False, "error": "OperationalError"},
    }


def test_healthz_stays_ok_with_the_broker_down(dead_broker):
    response = APIClient().get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_answers_get_only(filesystem_broker):
    assert APIClient().post("/readyz").status_code == 405
