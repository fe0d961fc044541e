"""Benchmark: the treatment-plan endpoints a therapist uses after every session.

Builds a throwaway test database (on DATABASE_URL's server, else SQLite) with plans of 3, 30 and 60
goals, each goal linked to an intervention and carrying 10 progress entries, then prints median and
p95 server times for reading the plan, a goal's history, recording progress (which rolls the tree
up) and recording a session with progress on three goals. Beside each plan read it prints the floor that read
is measured against: the same plan, therapist, goals and goal interventions fetched with raw SQL (three
queries) and serialized with orjson, and the ratio of the endpoint's median to it. Run with `make bench`; it
prints figures and asserts nothing.
"""

import datetime
import os
import statistics
import sys
import time

import django
import orjson

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from tests.benchmarks.database import bench_database  # noqa: E402

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


PLAN_SQL = """
    SELECT p.id, p.patient_id, u.id, u.full_name, u.email, u.credentials, u.role, p.title, p.status,
           p.status_reason, p.diagnosis_codes, p.presenting_problems, p.start_date, p.target_end_date,
           p.actual_end_date, p.review_frequency_days, p.next_review_date, p.version, p.signature_status,
           p.signed_version, p.notes, p.measure_instruments, p.measure_every_sessions, p.measure_every_days,
           p.overall_progress, p.created_at, p.updated_at
    FROM treatment_treatmentplan p JOIN accounts_user u ON u.id = p.therapist_id WHERE p.id = %s"""
GOALS_SQL = """
    SELECT id, parent_goal_id, goal_type, description, measurable_criteria, baseline_value, target_value,
           current_value, target_date, status, progress_percentage, priority, smart, measure_instrument,
           measure_baseline_score, measure_target_score, created_at, updated_at
    FROM treatment_treatmentgoal WHERE plan_id = %s ORDER BY priority, created_at"""
LINKS_SQL = """
    SELECT l.id, l.goal_id, i.id, i.name, i.modality, i.category, i.evidence_level, i.is_system, l.frequency,
           l.notes, l.effectiveness_rating, l.created_at, l.updated_at
    FROM treatment_goalintervention l JOIN treatment_treatmentgoal g ON g.id = l.goal_id
    JOIN interventions_intervention i ON i.id = l.intervention_id WHERE g.plan_id = %s ORDER BY l.created_at"""
PLAN_KEYS = (
    "title",
    "status",
    "status_reason",
    "diagnosis_codes",
    "presenting_problems",
    "start_date",
    "target_end_date",
    "actual_end_date",
    "review_frequency_days",
    "next_review_date",
    "version",
    "signature_status",
    "signed_version",
    "notes",
    "measure_instruments",
    "measure_every_sessions",
    "measure_every_days",
    "overall_progress",
    "created_at",
    "updated_at",
)
GOAL_KEYS = (
    "id",
    "parent_goal_id",
    "goal_type",
    "description",
    "measurable_criteria",
    "baseline_value",
    "target_value",
    "current_value",
    "target_date",
    "status",
    "progress_percentage",
    "priority",
    "smart",
    "measure_instrument",
    "measure_baseline_score",
    "measure_target_score",
    "created_at",
    "updated_at",
)


def raw_plan_json(plan_id) -> bytes:
    """The floor of the plan read: its rows by raw SQL (the plan with its therapist, its goals, their
    interventions), the tree in one pass, and orjson. No access check, audit or HTTP: the data alone."""
    with connection.cursor() as cursor:
        cursor.execute(PLAN_SQL, [plan_id])
        row = cursor.fetchone()
        cursor.execute(GOALS_SQL, [plan_id])
        goals = cursor.fetchall()
        cursor.execute(LINKS_SQL, [plan_id])
        links = cursor.fetchall()
    body = {
        "id": row[0],
        "patient_id": row[1],
        "therapist": dict(zip(("id", "full_name", "email", "credentials", "role"), row[2:7], strict=True)),
        **dict(zip(PLAN_KEYS, row[7:], strict=True)),
    }
    by_goal: dict = {}
    for link in links:
        by_goal.setdefault(link[1], []).append(
            {
                "id": link[0],
                "goal_id": link[1],
                "intervention": dict(
                    zip(("id", "name", "modality", "category", "evidence_level", "is_system"), link[2:8], strict=True)
                ),
                **dict(
                    zip(
                        ("frequency", "notes", "effectiveness_rating", "created_at", "updated_at"),
                        link[8:],
                        strict=True,
                    )
                ),
            }
        )
    children: dict = {}
    for goal in goals:
        node = dict(zip(GOAL_KEYS, goal, strict=True))
        node["plan_id"] = plan_id
        node["interventions"] = by_goal.get(goal[0], [])
        node["sub_goals"] = children.setdefault(goal[0], [])
        children.setdefault(goal[1], []).append(node)
    body["goals"] = children.get(None, [])
    return orjson.dumps(body)


def measure(call) -> tuple[float, float]:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - start) * 1000)
        assert not hasattr(response, "status_code") or response.status_code in (200, 201), response.content[:300]
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main():
    with bench_database("plans"):
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
                if label.startswith("GET plan"):
                    floor, floor_p95 = measure(lambda p=plan.pk: raw_plan_json(p))
                    print(f"{'  floor: raw SQL + orjson, same rows':<58}{floor:>10.1f}{floor_p95:>10.1f}")
                    print(f"{'  plan read / floor (medians)':<58}{median / floor:>9.1f}x")
        median, p95 = measure(lambda: client.get("/api/v1/diagnosis-codes?search=anxiety"))
        print(f"{'GET diagnosis-codes?search=anxiety':<58}{median:>10.1f}{p95:>10.1f}")
        median, p95 = measure(lambda: client.get("/api/v1/interventions?search=breathing"))
        print(f"{'GET interventions?search=breathing':<58}{median:>10.1f}{p95:>10.1f}")


if __name__ == "__main__":
    sys.exit(main())
