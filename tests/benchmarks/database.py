"""The database an in-process benchmark runs on: `bench_database("plans")` makes one of its own beside
DATABASE_URL's (`<name>_bench_plans`, so a benchmark never clobbers a test run's; SQLite: in memory), migrated,
and drops it afterwards.
"""

from __future__ import annotations

import contextlib
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
