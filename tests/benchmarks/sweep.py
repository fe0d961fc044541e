"""Benchmark: the reminder sweep over 100,000 active plans (`make bench-sweep`; too slow for `make bench`).

Builds (or, with BENCH_SWEEP_REUSE=1, reuses) a database of its own on DATABASE_URL's PostgreSQL server
(`<name>_bench_sweep`, or BENCH_SWEEP_DB): 10 practices, 100 clinicians with supervisors, BENCH_SWEEP_PLANS
(100,000) patients with one active plan and one goal each, bulk-created, review dates spread evenly over
97 days from a week before DAY. One plan in UNSIGNED_EVERY (10) is not fully signed, its start date one of the
UNSIGNED_SPREAD (31) days up to DAY; the others are signed. Then it runs the sweep (both passes: review dates, and
plans unsigned `signature_reminder_days` (7) after their start) three times, each in a fresh process so its peak
memory is its own (the maximum resident set size, beside that of a process that only loads Django):

1. DAY: the first run, every overdue, due and due-soon plan is reminded (~15,500), and every plan unsigned
   since a week or more (~7,700);
2. DAY again: nothing is due (every reminder already sent; ~2,300 unsigned plans are not due yet);
3. DAY + 1: the next day, ~3,100 review reminders (the newly due soon, due and overdue) and ~320 unsigned.

The sweep runs as the beat task runs it, its emails queued for the workers (`queue_emails`, published to an
in-memory broker); code from before that option sent them in the sweep, here through a backend that sends
nothing (rendering them, not a mail server, is what that costs). Prints seconds, peak RSS, the counts and the
load average (`/proc/loadavg`) beside each. The database is dropped afterwards unless BENCH_SWEEP_KEEP=1 (the
reminders are deleted before each three runs, so a kept database measures another checkout of the code the same
way).
"""

from __future__ import annotations

import datetime
import inspect
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ["EMAIL_URL"] = "dummymail://"
os.environ.setdefault("LOG_LEVEL", "WARNING")

DAY = datetime.date(2026, 10, 8)
PLANS = int(os.environ.get("BENCH_SWEEP_PLANS", 100_000))
PRACTICES = 10
CLINICIANS = 100
SPREAD_DAYS = 97
UNSIGNED_EVERY = 10
UNSIGNED_SPREAD = 31
BATCH = 5000


def load() -> str:
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) if path.exists() else "n/a"


def bench_url() -> str:
    import environ

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("The sweep benchmark needs DATABASE_URL on a PostgreSQL server.")
    config = environ.Env.db_url_config(url)
    name = os.environ.get("BENCH_SWEEP_DB") or f"{config['NAME']}_bench_sweep"
    return url.rsplit("/", 1)[0] + "/" + name


def admin(sql: str) -> None:
    """Run CREATE/DROP DATABASE on the server's `postgres` database (outside any transaction)."""
    import psycopg

    with psycopg.connect(bench_url().rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(sql)


def build() -> None:
    """Migrate the bench database and fill it in bulk (a few minutes for 100,000 plans)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import Patient, Practice, Role, User
    from treatment.models import TreatmentGoal, TreatmentPlan

    if TreatmentPlan.objects.count() >= PLANS:
        return
    practices = Practice.objects.bulk_create(
        [Practice(name=f"Bench practice {i}", mfa_required=False) for i in range(PRACTICES)]
    )
    per_practice = CLINICIANS // PRACTICES
    supervisors = User.objects.bulk_create(
        [
            User(email=f"s{i}@bench.example", practice=p, role=Role.SUPERVISOR, full_name=f"Sam S{i}")
            for i, p in enumerate(practices)
        ]
    )
    clinicians = User.objects.bulk_create(
        [
            User(
                email=f"c{i}@bench.example",
                practice=practices[i // per_practice],
                role=Role.THERAPIST,
                supervisor=supervisors[i // per_practice],
                full_name=f"Chris C{i}",
            )
            for i in range(CLINICIANS)
        ]
    )
    first = DAY - datetime.timedelta(days=7)
    for start in range(0, PLANS, BATCH):
        numbers = range(start, min(start + BATCH, PLANS))
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    practice=clinicians[n % CLINICIANS].practice,
                    first_name=f"First{n}",
                    last_name=f"Last{n}",
                    date_of_birth=datetime.date(1980, 1, 1),
                    primary_therapist=clinicians[n % CLINICIANS],
                )
                for n in numbers
            ]
        )
        plans = TreatmentPlan.objects.bulk_create(
            [
                TreatmentPlan(
                    patient=patient,
                    therapist=patient.primary_therapist,
                    title="Bench plan",
                    **signature(n),
                    next_review_date=first + datetime.timedelta(days=n % SPREAD_DAYS),
                    diagnosis_codes=[{"code": "F41.1", "description": "Generalized anxiety disorder"}],
                    presenting_problems=["Worry", "Poor sleep"],
                )
                for n, patient in zip(numbers, patients, strict=True)
            ]
        )
        TreatmentGoal.objects.bulk_create(
            [TreatmentGoal(plan=plan, goal_type="long_term", description="Reduce worry") for plan in plans]
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def signature(n: int) -> dict:
    """Plan `n`'s start date and signature status: one in UNSIGNED_EVERY not fully signed, started lately."""
    from treatment.models import SignatureStatus

    if n % UNSIGNED_EVERY:
        return {"start_date": datetime.date(2026, 1, 5), "signature_status": SignatureStatus.SIGNED}
    back = UNSIGNED_SPREAD - 1 - (n // UNSIGNED_EVERY) % UNSIGNED_SPREAD
    return {"start_date": DAY - datetime.timedelta(days=back), "signature_status": SignatureStatus.UNSIGNED}


def reset() -> None:
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reviews_notification, reviews_reviewreminder")
        cursor.execute("VACUUM ANALYZE reviews_reviewreminder")


def run(day: str) -> None:
    """One sweep in this process; prints its figures as JSON."""
    import django

    django.setup()
    from accounts.audit import AuditContext
    from reviews.services.reminders import review_reminders_send

    # As the beat sweep runs it: its emails queued for the workers (code from before that option sends them here).
    queued = {"queue_emails": True} if "queue_emails" in inspect.signature(review_reminders_send).parameters else {}
    start = time.perf_counter()
    counts = review_reminders_send(today=datetime.date.fromisoformat(day), by=AuditContext.system("bench"), **queued)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "counts": counts}))


def idle() -> None:
    import django

    django.setup()
    from reviews.services import reminders  # noqa: F401  (the modules the sweep loads)

    print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def child(*args: str) -> dict:
    env = os.environ | {"DATABASE_URL": bench_url()}
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.sweep", *args], env=env, check=True, stdout=subprocess.PIPE, text=True
    )
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def main() -> None:
    reuse = os.environ.get("BENCH_SWEEP_REUSE") == "1"
    keep = reuse or os.environ.get("BENCH_SWEEP_KEEP") == "1"
    name = bench_url().rsplit("/", 1)[1]
    if not reuse:
        admin(f'DROP DATABASE IF EXISTS "{name}"')
        admin(f'CREATE DATABASE "{name}"')
    try:
        started = time.perf_counter()
        child("build")
        print(f"Reminder sweep over {PLANS:,} active plans ({name}; built in {time.perf_counter() - started:.0f} s)")
        child("reset")
        base = child("idle")["peak_mb"]
        print(f"a process that only loads Django: {base:.0f} MB peak RSS   load {load()}")
        print(f"{'run':<34}{'seconds':>9}{'peak MB':>9}   reminders (soon/due/overdue), unsigned, notifications   load")
        for label, day in (
            ("first run", DAY),
            ("re-run, nothing due", DAY),
            ("next day", DAY + datetime.timedelta(days=1)),
        ):
            figures = child("run", day.isoformat())
            c = figures["counts"]
            reminders = c["due_soon"] + c["due"] + c["overdue"]
            print(
                f"{label + ' (' + day.isoformat() + ')':<34}{figures['seconds']:>9.2f}{figures['peak_mb']:>9.0f}"
                f"   {reminders:,} ({c['due_soon']}/{c['due']}/{c['overdue']}), {c.get('unsigned', 0):,}, "
                f"{c['notifications']:,}   {load()}"
            )
    finally:
        if not keep:
            admin(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "main"
    if command == "run":
        run(sys.argv[2])
    else:
        {"main": main, "build": build, "reset": reset, "idle": idle}[command]()
