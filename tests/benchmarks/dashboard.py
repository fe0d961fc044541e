"""Benchmark: a therapist's dashboard in a small practice and in a large one, in one run.

Builds a throwaway test database (on DATABASE_URL's server, else SQLite) holding two practices shaped as
`make loadtest`'s (`tests.benchmarks.data.grow_practice`): a small one of 2 clinicians and a large one of 100
clinicians and 5,000 patients (BENCH_PATIENTS), each patient with an active plan of a few goals with rated
progress. The therapist measured in each holds the same caseload (BENCH_CASELOAD plans), so the only difference
is the practice around them. Requests alternate between the two practices, so the machine's noise falls on both
alike; it prints the median and p95 server time and the queries of each, and the ratio of the large practice's
median to the small one's (issue 16 asks for at most 1.25). Run with `make bench`; it prints figures and
asserts nothing.
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
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from tests.benchmarks.database import analyze, bench_database  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 30))
PATIENTS = int(os.environ.get("BENCH_PATIENTS", 5000))
CLINICIANS = int(os.environ.get("BENCH_CLINICIANS", 100))
GOALS_PER_PLAN = 4
ENTRIES_PER_GOAL = 3


def plans_for(patients: list, *, name: str) -> None:
    """An active plan for each patient (review dates spread over four months, some overdue), its goals and
    rated progress, written in bulk."""
    from treatment.models import GoalProgress, TreatmentGoal, TreatmentPlan

    today = patients[0].practice.today()
    plans = TreatmentPlan.objects.bulk_create(
        [
            TreatmentPlan(
                patient=p,
                therapist_id=p.primary_therapist_id,
                title=f"{name} plan {i}",
                diagnosis_codes=[{"code": "F41.1", "description": "Generalized anxiety disorder"}],
                start_date=today - datetime.timedelta(days=120),
                next_review_date=today + datetime.timedelta(days=(i % 120) - 10),
                overall_progress=i % 100,
            )
            for i, p in enumerate(patients)
        ],
        batch_size=2000,
    )
    goals = TreatmentGoal.objects.bulk_create(
        [
            TreatmentGoal(plan=plan, goal_type="long_term", description=f"Goal {k}", progress_percentage=10 * k)
            for plan in plans
            for k in range(GOALS_PER_PLAN)
        ],
        batch_size=5000,
    )
    now = datetime.datetime.now(datetime.UTC)
    GoalProgress.objects.bulk_create(
        [
            GoalProgress(
                goal=goal,
                progress_note="Practised",
                rating=1 + k,
                recorded_by_id=goal.plan.therapist_id,
                recorded_at=now - datetime.timedelta(days=7 * (k + 1)),
            )
            for goal in goals
            for k in range(ENTRIES_PER_GOAL)
        ],
        batch_size=5000,
    )


def build() -> dict[str, object]:
    """{"small": its therapist, "large": theirs}, each with the same caseload."""
    from tests.benchmarks.data import grow_practice

    large_users, large_patients = grow_practice(clinicians=CLINICIANS, patients=PATIENTS, name="Large practice")
    therapist = large_users["therapist"]
    caseload = sum(p.primary_therapist_id == therapist.pk for p in large_patients)
    # The small practice: one supervisor and one therapist holding the same number of plans as the large one's.
    small_users, small_patients = grow_practice(clinicians=2, patients=caseload, name="Small practice")
    plans_for(large_patients, name="Large")
    plans_for(small_patients, name="Small")
    analyze()
    return {"small": small_users["therapist"], "large": therapist}


def main():
    with bench_database("dashboard"):
        from treatment.models import TreatmentPlan

        t0 = time.perf_counter()
        therapists = build()
        url = reverse("dashboard")
        clients = {}
        for label, user in therapists.items():
            clients[label] = Client()
            clients[label].force_login(user)
        samples: dict[str, list[float]] = {label: [] for label in therapists}
        queries: dict[str, int] = {}
        for label, client in clients.items():
            assert client.get(url).status_code == 200  # warm: templates, the session row
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            queries[label] = len(captured)
        for _ in range(RUNS):
            for label, client in clients.items():
                start = time.perf_counter()
                client.get(url)
                samples[label].append((time.perf_counter() - start) * 1000)
        plans = {label: TreatmentPlan.objects.filter(therapist=user).count() for label, user in therapists.items()}
        print(
            f"{RUNS} runs per figure on {connection.vendor}, interleaved; built in {time.perf_counter() - t0:.0f} s. "
            f"Large practice: {CLINICIANS} clinicians, {PATIENTS} patients; small: 2 clinicians. "
            f"The therapist's caseload: {plans['large']} plans in the large practice, {plans['small']} in the small.\n"
        )
        print(f"{'dashboard, therapist':<40}{'median ms':>10}{'p95 ms':>10}{'queries':>9}")
        medians = {}
        for label, values in samples.items():
            values.sort()
            medians[label] = statistics.median(values)
            p95 = values[max(int(len(values) * 0.95) - 1, 0)]
            print(f"{label + ' practice':<40}{medians[label]:>10.1f}{p95:>10.1f}{queries[label]:>9}")
        print(f"{'large / small (medians)':<40}{medians['large'] / medians['small']:>9.2f}x")


if __name__ == "__main__":
    sys.exit(main())
