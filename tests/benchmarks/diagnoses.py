"""Benchmark: the diagnosis search a clinician types into the plan builder, from a fresh process.

Builds a throwaway test database (on DATABASE_URL's server, else an SQLite file under var/) with every
migration, which loads the ICD-10-CM code set, and prints how long that took. Then a new Python process,
as a freshly started server would be, runs the picker's search (billable codes, the first 15) for 20 common
queries in turn (the connection is opened first, and timed apart). A second round in the same
process shows the warm figures. Run with `make bench`; it prints figures and asserts nothing.
"""

import os
import statistics
import subprocess
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

QUERIES = (
    "panic",
    "panic disorder",
    "depression",
    "PTSD",
    "ptsd",
    "adhd",
    "ocd",
    "gad",
    "mdd",
    "social anxiety",
    "insomnia",
    "F43",
    "F41.1",
    "f411",
    "bipolar",
    "alcohol",
    "grief",
    "adjustment",
    "anorexia",
    "borderline",
)
FRESH = "--fresh"


def load() -> str:
    return "load average " + " ".join(f"{figure:.2f}" for figure in os.getloadavg())


def search_from_a_fresh_process(database: str) -> None:
    """The child: time each query on its first run, then again, and print one row per query."""
    from treatment.diagnoses import search
    from treatment.views.builder_lists import SEARCH_LIMIT

    print(f"{'query':<18}{'first ms':>10}{'again ms':>10}  first result")
    connection.settings_dict["NAME"] = database
    started = time.perf_counter()
    connection.ensure_connection()
    print(f"{'(connect)':<18}{(time.perf_counter() - started) * 1000:>10.1f}")
    first, again, found = [], [], []
    for query in QUERIES:
        started = time.perf_counter()
        found.append(search(query, limit=SEARCH_LIMIT, billable_only=True))
        first.append((time.perf_counter() - started) * 1000)
    for query in QUERIES:
        started = time.perf_counter()
        search(query, limit=SEARCH_LIMIT, billable_only=True)
        again.append((time.perf_counter() - started) * 1000)
    for query, cold, warm, hits in zip(QUERIES, first, again, found, strict=True):
        top = f"{hits[0]['code']} {hits[0]['description'][:40]}" if hits else "-"
        print(f"{query:<18}{cold:>10.1f}{warm:>10.1f}  {top}")
    print(f"{'median':<18}{statistics.median(first):>10.1f}{statistics.median(again):>10.1f}")
    print(f"{'max':<18}{max(first):>10.1f}{max(again):>10.1f}")
    print(f"{'all 20':<18}{sum(first):>10.1f}{sum(again):>10.1f}  ({load()})")


def main() -> int:
    if sys.argv[1:2] == [FRESH]:
        search_from_a_fresh_process(sys.argv[2])
        return 0
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        # A file, not memory: the fresh process has to open the same database.
        connection.settings_dict["TEST"]["NAME"] = str(settings.VAR_DIR / "bench_diagnoses.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = f"{old_name}_bench_diagnoses"
    started = time.perf_counter()
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    built = time.perf_counter() - started
    try:
        from treatment.models import DiagnosisCode

        print(
            f"Diagnosis search on {connection.vendor}: {DiagnosisCode.objects.count():,} ICD-10-CM codes; "
            f"every migration (loading them) took {built:.1f} s ({load()}).\n"
        )
        connection.close()
        subprocess.run([sys.executable, "-m", "tests.benchmarks.diagnoses", FRESH, database], check=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
