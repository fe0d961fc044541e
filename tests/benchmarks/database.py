"""The database a benchmark runs on: `bench_database("plans")` makes one of its own beside DATABASE_URL's
(`<name>_bench_plans`, so a benchmark never clobbers a test run's; SQLite: in memory), migrated, and drops it
afterwards; `analyze()` gives a database just written in bulk the planner's statistics.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from django.db import connection
from django.test.utils import setup_test_environment


@contextlib.contextmanager
def bench_database(name: str) -> Iterator[str]:
    """A migrated database of its own for the benchmark `name`, dropped afterwards; yields its name."""
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    if connection.vendor != "sqlite":
        connection.settings_dict["TEST"]["NAME"] = f"{old_name}_bench_{name}"
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield database
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def analyze() -> float:
    """VACUUM ANALYZE (PostgreSQL): the planner's statistics and visibility map that a production database has,
    kept by autovacuum. Data just written in bulk has none until autovacuum gets to it, and without them
    PostgreSQL plans the plan page's progress query on the load benchmark's practice as a scan of all 500,000
    entries (134 ms; 0.6 ms with them). A benchmark calls it once its data is written; returns the seconds taken."""
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started
