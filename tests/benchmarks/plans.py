"""Benchmark: the treatment-plan endpoints a therapist uses after every session.

Builds a throwaway test database (on DATABASE_URL's server, else SQLite) with plans of 3, 30 and 60
goals, each goal linked to an intervention and carrying 10 progress entries, then prints median and
p95 server times for reading the plan, a goal's history, recording progress (which rolls the tree
up) and recording a session with progress on three goals. Run with `make bench`; it prints figures
and asserts nothing.
"""

import datetime
import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 30))
SIZES = (3, 30, 60)
ENTRIES_PER_GOAL = 10


def build_plan(patient, therapist, n_goals: int):
    """A plan of n_goals goals: long-term goals, each with a short-term goal with an objective."""
    from accounts.audit import AuditContext
    from tests.benchmarks.data import grow_goal_tree
    from treatment.services import plan_create

    by = AuditContext.system("bench")
    plan = plan_create(
        by=by,
        patient=patient,
        therapist=therapist,
        title=f"Plan of {n_goals} goals",
        diagnosis_codes=[{"code": "F41.1"}],
        start_date=datetime.date.today() - datetime.timedelta(days=120),
    )
    goals = grow_goal_tree(plan, therapist, chains=n_goals // 3, entries_per_goal=ENTRIES_PER_GOAL)
    return plan, goals


def measure(call) -> tuple[float, float]:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code in (200, 201), response.content[:300]
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main():
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    if connection.vendor != "sqlite":
        connection.settings_dict["TEST"]["NAME"] = f"{old_name}_bench_plans"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from tests.benchmarks.data import therapist_and_patient

        therapist, patient = therapist_and_patient()
        client = APIClient()
        client.force_authenticate(therapist)
        print(f"{RUNS} runs per figure on {connection.vendor}; {ENTRIES_PER_GOAL} progress entries per goal.\n")
        print(f"{'request':<58}{'median ms':>10}{'p95 ms':>10}")
        for size in SIZES:
            plan, goals = build_plan(patient, therapist, size)
            plan_url, goal_url = f"/api/v1/treatment-plans/{plan.pk}", f"/api/v1/goals/{goals[-1].pk}"
            session_progress = [{"goal_id": str(g.pk), "progress_note": "Practised", "rating": 7} for g in goals[-3:]]
            calls = {
                f"GET plan ({size} goals, {size * ENTRIES_PER_GOAL} entries)": lambda u=plan_url: client.get(u),
                f"GET goal history ({size} goals)": lambda u=goal_url: client.get(f"{u}/history"),
                f"POST progress + rollup ({size} goals)": lambda u=goal_url: client.post(
                    f"{u}/progress", {"progress_note": "Better", "rating": 6}, format="json"
                ),
                f"POST session, progress on 3 goals ({size} goals)": lambda p=session_progress: client.post(
                    f"/api/v1/patients/{patient.pk}/sessions",
                    {
                        "session_date": str(datetime.date.today() - datetime.timedelta(days=1)),
                        "duration_minutes": 50,
                        "progress": p,
                    },
                    format="json",
                ),
            }
            for label, call in calls.items():
                median, p95 = measure(call)
                print(f"{label:<58}{median:>10.1f}{p95:>10.1f}")
        median, p95 = measure(lambda: client.get("/api/v1/diagnosis-codes?search=anxiety"))
        print(f"{'GET diagnosis-codes?search=anxiety':<58}{median:>10.1f}{p95:>10.1f}")
        median, p95 = measure(lambda: client.get("/api/v1/interventions?search=breathing"))
        print(f"{'GET interventions?search=breathing':<58}{median:>10.1f}{p95:>10.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
