"""The cast every permission test uses (after healthchecks' alice/bob/charlie):

- `owner`: the therapist who treats `patient`
- `colleague`: another therapist of the same practice, not on the care team
- `supervisor`: the owner's clinical supervisor
- `practice_admin`: the admin of the same practice
- `outsider_admin`: the admin of another practice
"""

import copy

import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests import schema_check
from tests.factories import (
    PASSWORD,
    cast_of,
    make_colleague,
    make_other_practice,
    make_outsider_admin,
    make_owner,
    make_patient,
    make_plan,
    make_practice,
    make_practice_admin,
    make_supervisor,
    make_tree,
)
from tests.support import REDIS_TIMEOUTS, broker_at, real_worker, worker_broker_url

#: PBKDF2 costs ~0.3 s a hash and the cast alone makes five users; tests need no such cost.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


# --- the rate limits' and lockouts' counters --------------------------------------------------------

#: The tests count in a cache of their own, in memory, emptied before each test: a test never meets the
#: counts another left (the suite signs in thousands of times from 127.0.0.1), and clearing it never touches a
#: Redis the broker uses.
TEST_CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "trellis-tests"},
    "fragments": settings.CACHES["fragments"],
}


@pytest.fixture(scope="session", autouse=True)
def _test_cache():
    with override_settings(CACHES=TEST_CACHES):
        yield


@pytest.fixture(autouse=True)
def _empty_cache(_test_cache):
    cache.clear()
    caches["fragments"].clear()


# --- every API response matches the schema ---------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _responses_match_the_schema():
    """Each response a test client (Django's or DRF's) receives from /api/v1/ is checked against the OpenAPI
    schema (tests/schema_check.py): a drift between the API and its schema fails the test that met it."""
    answer = Client.request

    def request(self, **request):
        response = answer(self, **request)
        schema_check.check(request.get("REQUEST_METHOD", "GET"), request.get("PATH_INFO", ""), response)
        return response

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "request", request)
        yield


@pytest.fixture
def practice(db):
    return make_practice()


@pytest.fixture
def other_practice(db):
    return make_other_practice()


@pytest.fixture
def supervisor(practice):
    return make_supervisor(practice)


@pytest.fixture
def owner(practice, supervisor):
    return make_owner(practice, supervisor)


@pytest.fixture
def colleague(practice):
    return make_colleague(practice)


@pytest.fixture
def practice_admin(practice):
    return make_practice_admin(practice)


@pytest.fixture
def outsider_admin(other_practice):
    return make_outsider_admin(other_practice)


@pytest.fixture
def patient(owner):
    return make_patient(owner)


@pytest.fixture
def plan(patient):
    return make_plan(patient)


@pytest.fixture
def tree(plan):
    """A long-term goal with a short-term goal with an objective; the objective uses Deep Breathing."""
    return make_tree(plan)


@pytest.fixture
def cast(owner, colleague, supervisor, practice_admin, outsider_admin):
    return cast_of(owner, colleague, supervisor, practice_admin, outsider_admin)


# --- the cast built once for a class of reading tests ------------------------------------------------


@pytest.fixture(scope="class")
def class_db(django_db_setup, django_db_blocker):
    """One transaction around a test class, rolled back after its last test (Django's setUpTestData, for pytest).

    What the class builds on it is there for each of its tests; each test's own `db` transaction is a savepoint
    inside it, so what a test writes (the audit event of a read, a last_login) is undone before the next. For
    classes of tests that only read: a test that writes keeps the fixtures of its own, built for it alone.
    pytest-randomly shuffles the tests of a class among themselves, never with the module's other tests, so the
    transaction is open only while the class's tests run.
    """
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="class")
def shared_cast(class_db):
    """What `practice`, `other_practice`, the cast and `patient` give a test, built once for the class, keyed by
    those names (and "cast"). A class builds its `shared_data` on it (`make_plan`, `make_tree`...)."""
    practice, other_practice = make_practice(), make_other_practice()
    supervisor = make_supervisor(practice)
    owner = make_owner(practice, supervisor)
    colleague = make_colleague(practice)
    practice_admin = make_practice_admin(practice)
    outsider_admin = make_outsider_admin(other_practice)
    return {
        "practice": practice,
        "other_practice": other_practice,
        "owner": owner,
        "colleague": colleague,
        "supervisor": supervisor,
        "practice_admin": practice_admin,
        "outsider_admin": outsider_admin,
        "cast": cast_of(owner, colleague, supervisor, practice_admin, outsider_admin),
        "patient": make_patient(owner),
    }


@pytest.fixture
def shared(shared_data, db):
    """This test's copy of its class's `shared_data` (a class-scoped fixture on `shared_cast`): the same rows, Python
    objects of its own.

    As Django's setUpTestData does, each test gets a deep copy, so what one test does to an instance (a cached
    permission, a refreshed field, the backend `force_login` sets on a user) does not reach the next.
    """
    return copy.deepcopy(shared_data)


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
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


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
