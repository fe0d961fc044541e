"""The cast every permission test uses (after healthchecks' alice/bob/charlie):

- `owner`: the therapist who treats `patient`
- `colleague`: another therapist of the same practice, not on the care team
- `supervisor`: the owner's clinical supervisor
- `practice_admin`: the admin of the same practice
- `outsider_admin`: the admin of another practice
"""

import pytest
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from rest_framework.test import APIClient

from accounts.models import Role
from tests.factories import (
    PASSWORD,
    GoalFactory,
    PatientFactory,
    PlanFactory,
    PracticeFactory,
    UserFactory,
    intervention,
)
from tests.support import REDIS_TIMEOUTS, broker_at, real_worker, worker_broker_url


@receiver(connection_created)
def _sqlite_readers_take_no_table_locks(sender, connection, **kwargs):
    """The SQLite test database lives in memory in shared-cache mode, where each table is locked for the
    connection reading it and a writer on another connection fails at once with "database table is locked"
    (the busy timeout does not apply to these locks). A real worker's thread writes while the test's thread
    reads: in read-uncommitted mode readers take no table locks, so neither blocks the other. (Only the
    in-memory database is in shared-cache mode; PostgreSQL and SQLite files are not touched.)
    """
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        connection.connection.execute("PRAGMA read_uncommitted = 1")


@pytest.fixture
def practice(db):
    return PracticeFactory(name="Riverside")


@pytest.fixture
def other_practice(db):
    return PracticeFactory(name="Harbor")


@pytest.fixture
def supervisor(practice):
    return UserFactory(practice=practice, role=Role.SUPERVISOR, email="supervisor@riverside.example")


@pytest.fixture
def owner(practice, supervisor):
    return UserFactory(practice=practice, supervisor=supervisor, email="owner@riverside.example")


@pytest.fixture
def colleague(practice):
    return UserFactory(practice=practice, email="colleague@riverside.example")


@pytest.fixture
def practice_admin(practice):
    return UserFactory(practice=practice, role=Role.PRACTICE_ADMIN, email="admin@riverside.example")


@pytest.fixture
def outsider_admin(other_practice):
    return UserFactory(practice=other_practice, role=Role.PRACTICE_ADMIN, email="admin@harbor.example")


@pytest.fixture
def patient(owner):
    return PatientFactory(primary_therapist=owner, first_name="Emily", last_name="Carter")


@pytest.fixture
def plan(patient):
    return PlanFactory(patient=patient, title="Anxiety Management Plan")


@pytest.fixture
def tree(plan):
    """A long-term goal with a short-term goal with an objective; the objective uses Deep Breathing."""
    long_term = GoalFactory(plan=plan, description="Reduce overall anxiety levels to a manageable state")
    short_term = GoalFactory(
        parent_goal=long_term, goal_type="short_term", description="Learn and practice 3 relaxation techniques"
    )
    objective = GoalFactory(
        parent_goal=short_term,
        goal_type="objective",
        description="Practice deep breathing daily",
        interventions=[{"intervention": intervention("Deep Breathing"), "frequency": "every session"}],
    )
    return {"long_term": long_term, "short_term": short_term, "objective": objective}


@pytest.fixture
def cast(owner, colleague, supervisor, practice_admin, outsider_admin):
    return {
        "owner": owner,
        "colleague": colleague,
        "supervisor": supervisor,
        "practice_admin": practice_admin,
        "outsider_admin": outsider_admin,
    }


@pytest.fixture
def api():
    """An API client; `api.as_(user)` authenticates it as that user."""
    client = APIClient()

    def as_(user):
        client.force_authenticate(user=user)
        return client

    client.as_ = as_
    return client


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """PBKDF2 costs ~0.3 s a hash and the cast alone makes five users; tests need no such cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def celery_worker(settings, worker_id):
    """A real Celery worker on the real Redis broker (a database of its own per xdist process).

    Tests that use it must be `django_db(transaction=True)`, so the worker's thread sees committed rows.
    """
    with real_worker(worker_broker_url(settings.REDIS_URL, worker_id)) as worker:
        yield worker


@pytest.fixture
def dead_broker():
    """The Celery app publishing to a broker that is down (nothing listens on port 1), with the timeouts
    config/settings.py gives a Redis broker; pointed back at the configured broker afterwards."""
    with broker_at("redis://127.0.0.1:1/0", REDIS_TIMEOUTS) as app:
        yield app
