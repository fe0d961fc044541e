"""Benchmark: the access helper and the patient endpoints at the scale DESIGN.md plans for.

Builds a throwaway test database (on DATABASE_URL's server, else SQLite) holding one practice of
100 clinicians and 5,000 patients, then prints median and p95 server times for the calls a
therapist, a supervisor and a practice admin make. Run with `make bench`; it prints figures and
asserts nothing.
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
from rest_framework.test import APIClient  # noqa: E402

from tests.benchmarks.database import bench_database  # noqa: E402

CLINICIANS = int(os.environ.get("BENCH_CLINICIANS", 100))
PATIENTS = int(os.environ.get("BENCH_PATIENTS", 5000))
RUNS = int(os.environ.get("BENCH_RUNS", 30))


def build():
    from tests.benchmarks.data import grow_practice

    users, _ = grow_practice(clinicians=CLINICIANS, patients=PATIENTS)
    return users


def measure(client, path) -> tuple[float, float]:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main():
    with bench_database("patients"):
        t0 = time.perf_counter()
        users = build()
        print(
            f"Built {CLINICIANS} clinicians, {PATIENTS} patients in {time.perf_counter() - t0:.1f}s "
            f"on {connection.vendor}; {RUNS} runs per figure.\n"
        )
        print(f"{'who':<16}{'request':<40}{'median ms':>10}{'p95 ms':>10}")
        from accounts.models import Patient

        for label, user in users.items():
            client = APIClient()
            client.force_authenticate(user)
            visible = Patient.objects.restrict(user, "view")
            one = visible.first()
            for path in ["/api/v1/patients", "/api/v1/patients?search=Last00042", f"/api/v1/patients/{one.pk}"]:
                median, p95 = measure(client, path)
                print(f"{label:<16}{path[:38]:<40}{median:>10.1f}{p95:>10.1f}")
            start = time.perf_counter()
            for _ in range(RUNS):
                visible.count()
            print(f"{label:<16}{'restrict(user).count()':<40}{(time.perf_counter() - start) * 1000 / RUNS:>10.1f}")


if __name__ == "__main__":
    sys.exit(main())
