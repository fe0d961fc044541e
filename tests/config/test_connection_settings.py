"""Database connections (issue 16): persistent, health-checked connections by default on PostgreSQL in production,
Django's psycopg pool when asked for, one connection per request in development; each knob read from the environment.
"""

import json

from tests.config.test_settings import _run

PRINT_DB = (
    "import os, json; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
    "from django.conf import settings; d = settings.DATABASES['default'];"
    "print(json.dumps({'age': d['CONN_MAX_AGE'], 'checks': d['CONN_HEALTH_CHECKS'], 'pool': d['OPTIONS'].get('pool')}))"
)
POSTGRES = "postgres://trellis@db.internal:5432/trellis_prod"
SQLITE = "sqlite:////tmp/trellis-settings-test.sqlite3"


def _db(**env) -> dict:
    result = _run(PRINT_DB, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_keeps_health_checked_connections_by_default():
    assert _db(DEBUG="false", DATABASE_URL=POSTGRES) == {"age": 600, "checks": True, "pool": None}


def test_development_and_sqlite_open_a_connection_per_request():
    assert _db(DEBUG="true", DATABASE_URL=POSTGRES)["age"] == 0
    assert _db(DEBUG="false", DATABASE_URL=SQLITE)["age"] == 0


def test_the_connection_knobs_come_from_the_environment():
    assert _db(DEBUG="false", DATABASE_URL=POSTGRES, CONN_MAX_AGE="60", CONN_HEALTH_CHECKS="false") == {
        "age": 60,
        "checks": False,
        "pool": None,
    }


def test_database_pool_asks_for_djangos_psycopg_pool():
    env = {"DEBUG": "false", "DATABASE_URL": POSTGRES, "DATABASE_POOL": "true"}
    assert _db(**env) == {"age": 0, "checks": True, "pool": {"min_size": 2, "max_size": 8, "timeout": 10.0}}
    sized = _db(**env, DATABASE_POOL_MIN_SIZE="4", DATABASE_POOL_MAX_SIZE="16", DATABASE_POOL_TIMEOUT="2.5")
    assert sized["pool"] == {"min_size": 4, "max_size": 16, "timeout": 2.5}


def test_a_pool_with_persistent_connections_or_sqlite_is_refused_with_a_sentence():
    both = _run(PRINT_DB, DEBUG="false", DATABASE_URL=POSTGRES, DATABASE_POOL="true", CONN_MAX_AGE="600")
    assert both.returncode != 0
    assert "DATABASE_POOL and CONN_MAX_AGE exclude each other: set CONN_MAX_AGE=0." in both.stderr
    sqlite = _run(PRINT_DB, DEBUG="false", DATABASE_URL=SQLITE, DATABASE_POOL="true")
    assert sqlite.returncode != 0
    assert "DATABASE_POOL needs a PostgreSQL DATABASE_URL." in sqlite.stderr


PRINT_FRAGMENTS = (
    "import os, json; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
    "from django.conf import settings; f = settings.CACHES['fragments'];"
    "print(json.dumps({'backend': f['BACKEND'], 'entries': f['OPTIONS']['MAX_ENTRIES']}))"
)


def test_fragments_live_in_each_process_memory_bounded_by_the_environment():
    def fragments(**env) -> dict:
        result = _run(PRINT_FRAGMENTS, DEBUG="false", DATABASE_URL=POSTGRES, **env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    locmem = "django.core.cache.backends.locmem.LocMemCache"
    assert fragments() == {"backend": locmem, "entries": 300}
    assert fragments(REDIS_URL="redis://redis.internal:6379/0") == {"backend": locmem, "entries": 300}
    assert fragments(FRAGMENT_CACHE_ENTRIES="50") == {"backend": locmem, "entries": 50}
    assert fragments(FRAGMENT_CACHE_ENTRIES="0")["backend"] == "django.core.cache.backends.dummy.DummyCache"
