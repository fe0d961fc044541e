"""Benchmark: the server time to create a plan from a template via the API (`POST .../treatment-plans` with
`template_ids`), for the largest template of the library (by goals) and for the two largest at once.

Builds a throwaway test database (on DATABASE_URL's server, else SQLite); the library is what
`fixtures/plan_templates/` holds (loaded by the migration). Prints median and p95 over BENCH_RUNS plans (each
request makes a new plan). Run with `make bench`; it prints figures and asserts nothing.
"""

import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from tests.benchmarks.database import bench_database  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 20))


def measure(call) -> tuple[float, float]:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 201, response.content[:300]
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def main():
    with bench_database("templates"):
        from tests.benchmarks.data import therapist_and_patient
        from treatment.models import PlanTemplate

        library = list(PlanTemplate.objects.filter(practice=None).annotate(size=Count("goals")).order_by("-size"))
        if not library:
            print("No plan templates in fixtures/plan_templates/: nothing to measure.")
            return 0
        therapist, patient = therapist_and_patient()
        client = APIClient()
        client.force_authenticate(therapist)
        url = f"/api/v1/patients/{patient.pk}/treatment-plans"
        print(f"{RUNS} runs per figure on {connection.vendor}; {len(library)} templates in the library.\n")
        print(f"{'request':<66}{'median ms':>10}{'p95 ms':>10}")
        cases = {f"POST plan from {library[0].key} ({library[0].size} goals)": library[:1]}
        if len(library) > 1:
            cases[f"POST plan from the 2 largest ({library[0].size + library[1].size} goals)"] = library[:2]
        for label, templates in cases.items():
            body = {
                "title": "From a template",
                "start_date": "2026-10-01",
                "template_ids": [str(t.pk) for t in templates],
            }
            median, p95 = measure(lambda b=body: client.post(url, b, format="json"))
            print(f"{label:<66}{median:>10.1f}{p95:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
