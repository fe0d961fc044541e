"""A real Celery worker on Redis (the `celery_worker` fixture of tests/conftest.py)."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import purge_expired_logins
from tests.support import wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_worker_runs_the_purge_task_from_the_broker(celery_worker):
    expired = SessionStore()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - timedelta(minutes=1))
    live = SessionStore()
    live.create()

    purge_expired_logins.delay()
    assert wait_for(lambda: not Session.objects.filter(session_key=expired.session_key).exists())

    assert Session.objects.filter(session_key=live.session_key).exists()
