"""Benchmark: the clinical pages a therapist opens all day, as server time and queries per page.

Builds a throwaway test database (on DATABASE_URL's server, else SQLite) with a plan of 30 goals (ten
long-term goals, each with a short-term goal with an objective), every goal linked to an intervention
and carrying 10 progress entries (300 in all), and a dozen sessions; then requests the plan page, the
"Record a session" page, the patient page, the review page, the dashboard, a session's page and a goal's
history (10 entries) with Django's test Client as the plan's therapist, and prints the median and p95
server time and the number of queries of each.
A page whose URL name does not resolve yet prints "not available"; one that fails prints its status.
Run with `make bench`; it prints figures and asserts nothing.
"""

import datetime
import logging
import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from tests.benchmarks.database import bench_database  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 30))
CHAINS = 10  # x 3 goals
ENTRIES_PER_GOAL = 10
SESSIONS = 12


def build(therapist, patient):
    """The plan of 30 goals with 300 progress entries, and SESSIONS sessions addressing some of its goals."""
    from accounts.audit import AuditContext
    from tests.benchmarks.data import grow_goal_tree
    from treatment.services import plan_create, session_record

    by = AuditContext.system("bench")
    today = patient.practice.today()
    plan = plan_create(
        by=by,
        patient=patient,
        therapist=therapist,
        title="Anxiety and sleep plan",
        diagnosis_codes=[{"code": "F41.1"}, {"code": "G47.00"}],
        presenting_problems=["chronic worry", "sleep difficulties"],
        start_date=today - datetime.timedelta(days=120),
        next_review_date=today + datetime.timedelta(days=5),
    )
    goals = grow_goal_tree(plan, therapist, chains=CHAINS, entries_per_goal=ENTRIES_PER_GOAL)
    for n in range(SESSIONS):
        session_record(
            by=by,
            patient=patient,
            plan=plan,
            therapist=therapist,
            session_date=today - datetime.timedelta(days=7 * (n + 1)),
            duration_minutes=50,
            goals=goals[3 * (n % CHAINS) : 3 * (n % CHAINS) + 3],
            confirmed=True,  # goals addressed with nothing recorded: the service asks, the benchmark answers
        )
    return plan


def url_or_none(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def measure(client, url, *, before=lambda: None) -> tuple[int, float, float, int]:
    """(status, median ms, p95 ms, queries of one request), `before()` run ahead of each request."""
    client.get(url)  # warm: template loading, the session row
    before()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    samples = []
    for _ in range(RUNS):
        before()
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[max(int(len(samples) * 0.95) - 1, 0)]
    return response.status_code, statistics.median(samples), p95, len(queries)


def main():
    with bench_database("pages"):
        from tests.benchmarks.data import therapist_and_patient

        therapist, patient = therapist_and_patient()
        plan = build(therapist, patient)
        # A page still being written answers 500: print that, not its traceback.
        client = Client(raise_request_exception=False)
        client.force_login(therapist)
        logging.getLogger("django.request").setLevel(logging.CRITICAL)
        # The plan page as a reader finds it (its goal list read back: accounts/fragments.py), and as the first
        # reader after a change does (the list rendered afresh).
        pages = {
            "plan page (plan-detail)": url_or_none("plan-detail", plan.pk),
            "plan page, goal list rendered afresh": url_or_none("plan-detail", plan.pk),
            "record a session (session-record)": url_or_none("session-record", plan.pk),
            "patient page (patient-detail)": url_or_none("patient-detail", patient.pk),
            "review page (plan-review)": url_or_none("plan-review", plan.pk),
            "dashboard (dashboard)": url_or_none("dashboard"),
            "a session (session-detail)": url_or_none("session-detail", plan.sessions.order_by("session_date")[0].pk),
            "a goal's history (goal-history)": url_or_none("goal-history", plan.goals.order_by("created_at")[0].pk),
        }
        goals = CHAINS * 3
        print(
            f"{RUNS} runs per figure on {connection.vendor}; a plan of {goals} goals with "
            f"{goals * ENTRIES_PER_GOAL} progress entries and {SESSIONS} sessions.\n"
        )
        print(f"{'page':<40}{'median ms':>10}{'p95 ms':>10}{'queries':>9}")
        for label, url in pages.items():
            if url is None:
                print(f"{label:<40}{'not available':>29}")
                continue
            afresh = caches["fragments"].clear if "afresh" in label else lambda: None
            status, median, p95, queries = measure(client, url, before=afresh)
            if status != 200:
                print(f"{label:<40}{f'answered {status}':>29}")
                continue
            print(f"{label:<40}{median:>10.1f}{p95:>10.1f}{queries:>9}")


if __name__ == "__main__":
    sys.exit(main())
