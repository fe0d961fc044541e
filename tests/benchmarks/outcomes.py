"""Benchmark: the outcomes by intervention (`treatment.outcomes`) for a practice of 5,000 patients.

Builds a throwaway test database (on DATABASE_URL's server, else SQLite) holding one practice of 100
clinicians and 5,000 patients (`tests.benchmarks.data.grow_practice`), each with a plan started 14 months
ago: a long-term goal, a short-term goal and two objectives, one of them driven by the PHQ-9; every goal linked
to one or two of the library's interventions (rated), monthly rated progress entries on the objectives and
monthly PHQ-9 scores. Then prints the median (and slowest) time of the table over the last 12 months, the
queries it takes, for a practice admin, a supervisor and one therapist, with the machine's load average. Run
with `make bench`; it prints figures and asserts nothing.
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

from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from tests.benchmarks.database import bench_database  # noqa: E402

CLINICIANS = int(os.environ.get("BENCH_CLINICIANS", 100))
PATIENTS = int(os.environ.get("BENCH_PATIENTS", 5000))
RUNS = int(os.environ.get("BENCH_RUNS", 10))
MONTHS = 14


def load() -> str:
    return "load average " + " ".join(f"{figure:.2f}" for figure in os.getloadavg())


def grow_outcomes(patients: list, today: datetime.date) -> dict[str, int]:
    """Each patient's plan, goals, links, progress entries and PHQ-9 scores, in bulk. Returns the row counts."""
    from interventions.models import Intervention
    from tests.treatment.outcomes_support import answers_totalling
    from treatment.models import GoalIntervention, GoalProgress, Measurement, TreatmentGoal, TreatmentPlan

    library = list(Intervention.objects.filter(is_system=True).order_by("name"))
    start = today - datetime.timedelta(days=30 * MONTHS)
    plans = TreatmentPlan.objects.bulk_create(
        [
            TreatmentPlan(
                patient=p,
                therapist_id=p.primary_therapist_id,
                title="Depression and anxiety",
                diagnosis_codes=[{"code": "F33.1", "description": "Major depressive disorder, recurrent, moderate"}],
                start_date=start + datetime.timedelta(days=i % 30),
                next_review_date=today + datetime.timedelta(days=i % 90),
            )
            for i, p in enumerate(patients)
        ]
    )
    goals, objectives = [], []
    for i, plan in enumerate(plans):
        lt = TreatmentGoal(plan=plan, goal_type="long_term", description="Fewer depressive symptoms")
        st = TreatmentGoal(plan=plan, goal_type="short_term", parent_goal=lt, description="Back to daily routine")
        rated = TreatmentGoal(plan=plan, goal_type="objective", parent_goal=st, description="Walk three times a week")
        measured = TreatmentGoal(
            plan=plan,
            goal_type="objective",
            parent_goal=st,
            description="PHQ-9 below 5",
            measure_instrument="phq9",
            measure_target_score=4,
        )
        goals += [lt, st, rated, measured]
        objectives.append((plan, rated, i))
    TreatmentGoal.objects.bulk_create(goals)
    links = []
    for i, goal in enumerate(goals):
        links.append(
            GoalIntervention(goal=goal, intervention=library[i % len(library)], effectiveness_rating=1 + i % 5)
        )
        if i % 3 == 0:
            links.append(GoalIntervention(goal=goal, intervention=library[(i + 1 + i % 7) % len(library)]))
    GoalIntervention.objects.bulk_create(links)
    GoalIntervention.objects.update(created_at=datetime.datetime.combine(start, datetime.time(9), datetime.UTC))
    entries, scores = [], []
    for plan, rated, i in objectives:
        therapist_id = plan.therapist_id
        for month in range(MONTHS):
            day = plan.start_date + datetime.timedelta(days=30 * month + 3)
            if day > today:
                break
            entries.append(
                GoalProgress(
                    goal=rated,
                    progress_note="Walked as planned.",
                    rating=min(10, 2 + (month + i) % 9),
                    recorded_by_id=therapist_id,
                    recorded_at=datetime.datetime.combine(day, datetime.time(15), datetime.UTC),
                )
            )
            total = max(0, 20 - month - i % 6)
            scores.append(
                Measurement(
                    patient_id=plan.patient_id,
                    instrument="phq9",
                    answers=answers_totalling("phq9", total),
                    total_score=total,
                    administered_on=day,
                    administered_by_id=therapist_id,
                )
            )
    GoalProgress.objects.bulk_create(entries, batch_size=5000)
    Measurement.objects.bulk_create(scores, batch_size=5000)
    return {
        "plans": len(plans),
        "goals": len(goals),
        "links": len(links),
        "progress entries": len(entries),
        "PHQ-9 scores": len(scores),
    }


def main():
    with bench_database("outcomes"):
        from accounts.models import Patient
        from tests.benchmarks.data import grow_practice
        from treatment.outcomes import default_period, outcomes_by_intervention

        t0 = time.perf_counter()
        users, patients = grow_practice(clinicians=CLINICIANS, patients=PATIENTS)
        today = users["practice admin"].practice.today()
        counts = grow_outcomes(patients, today)
        if connection.vendor == "postgresql":
            # Fresh statistics, as autovacuum would have them on a database that grew over months.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(
            f"Built {CLINICIANS} clinicians, {PATIENTS} patients, "
            + ", ".join(f"{n:,} {what}" for what, n in counts.items())
            + f" in {time.perf_counter() - t0:.1f}s on {connection.vendor}; {RUNS} runs per figure; {load()}.\n"
        )
        since, until = default_period(today)
        print(f"{'who':<16}{'rows':>6}{'patients':>10}{'queries':>9}{'median ms':>11}{'slowest ms':>12}")
        for label, user in users.items():
            samples = []
            for _ in range(RUNS):
                reset_queries()  # the build's queries filled DEBUG's query log, which would hide these
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    report = outcomes_by_intervention(user, since=since, until=until)
                samples.append((time.perf_counter() - started) * 1000)
            seen = Patient.objects.visible_to(user).count()
            print(
                f"{label:<16}{len(report.rows):>6}{seen:>10}{len(queries):>9}"
                f"{statistics.median(samples):>11.1f}{max(samples):>12.1f}"
            )
        print(f"\n{load()}")


if __name__ == "__main__":
    sys.exit(main())
