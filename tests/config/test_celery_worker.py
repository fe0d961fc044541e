"""A real Celery worker on Redis (the `celery_worker` fixture of tests/conftest.py)."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import purge_expired_logins

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_worker_runs_the_purge_task_from_the_broker(celery_worker):
    expired = SessionStore()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - timedelta(minutes=1))
    live = SessionStore()
    live.create()

    purge_expired_logins.delay()
    assert _wait_for(lambda: not Session.objects.filter(session_key=expired.session_key).exists())

    assert Session.objects.filter(session_key=live.session_key).exists()
