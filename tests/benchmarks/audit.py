"""Benchmark: what the audit chain costs per event appended.

Builds a throwaway test database (on DATABASE_URL's server, else SQLite) with one patient, then appends audit
events as the app does, each append its own transaction, with the chain (the lock and the chain's end read, the
HMAC, the INSERT: `AuditEventQuerySet.bulk_create`) and without it (the same INSERT alone, `seq` and `mac` filled
with placeholders), one event at a time and 50 at a time, and prints microseconds per event beside the machine's
load (`/proc/loadavg`). Run with `make bench`; it prints figures and asserts nothing.
"""

import os
import statistics
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")
django.setup()

from django.db import connection, models, transaction  # noqa: E402

from tests.benchmarks.database import bench_database  # noqa: E402

EVENTS = int(os.environ.get("BENCH_AUDIT_EVENTS", 2000))
BATCH = 50
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 5))


def load() -> str:
    path = Path("/proc/loadavg")
    return " ".join(path.read_text().split()[:3]) if path.exists() else "n/a"


class Unchained:
    """Events with placeholder `seq` values below the chain's (negative: never its end), INSERTed without it."""

    def __init__(self) -> None:
        self.next_seq = 0

    def append(self, events: list) -> None:
        for event in events:
            self.next_seq -= 1
            event.seq, event.mac = self.next_seq, "0" * 64
        with transaction.atomic():
            models.QuerySet.bulk_create(type(events[0]).objects.all(), events)


def per_event_us(append, make, batch: int) -> float:
    """The median over rounds of microseconds per event, appending EVENTS events `batch` at a time."""
    figures = []
    for _ in range(ROUNDS):
        batches = [[make() for _ in range(batch)] for _ in range(EVENTS // batch)]
        start = time.perf_counter()
        for events in batches:
            append(events)
        figures.append((time.perf_counter() - start) * 1e6 / (len(batches) * batch))
    return statistics.median(figures)


def main() -> None:
    with bench_database("audit"):
        from accounts.audit import Action, AuditContext, _event
        from accounts.audit_chain import CHAINED_FIELDS, compute_mac, hmac_key
        from accounts.audit_verify import verify_chain
        from accounts.models import AuditEvent, Patient, Practice, Role, User

        # The benchmark signs in with force_login (no second factor): it measures pages, not the sign-in.
        practice = Practice.objects.create(name="Bench practice", mfa_required=False)
        therapist = User.objects.create_user("t@bench.example", "x", practice=practice, role=Role.THERAPIST)
        patient = Patient.objects.create(
            practice=practice,
            first_name="Bench",
            last_name="Patient",
            date_of_birth="1980-01-01",
            primary_therapist=therapist,
        )
        ctx = AuditContext(
            user=therapist, channel="api", ip_address="203.0.113.9", user_agent="bench", path="/api/v1/x"
        )

        def make() -> AuditEvent:
            return _event(ctx, Action.VIEW, patient)

        unchained = Unchained()
        print(f"Audit append on {connection.vendor}, {EVENTS} events per figure, median of {ROUNDS} rounds")
        print(f"{'append':<44}{'us/event':>10}   load (1/5/15 min)")
        # The chained appends first: the chain's first event then finds an empty table, not a placeholder.
        for batch in (1, BATCH):
            chained, chained_load = per_event_us(AuditEvent.objects.bulk_create, make, batch), load()
            plain, plain_load = per_event_us(unchained.append, make, batch), load()
            print(f"{f'without the chain, {batch} per transaction':<44}{plain:>10.0f}   {plain_load}")
            print(f"{f'with the chain, {batch} per transaction':<44}{chained:>10.0f}   {chained_load}")

        key = hmac_key()
        values = {name: getattr(make(), name) for name in CHAINED_FIELDS} | {"seq": 1}
        start = time.perf_counter()
        for _ in range(EVENTS):
            compute_mac(key, "0" * 64, values)
        mac_us = (time.perf_counter() - start) * 1e6 / EVENTS
        print(f"{'of which the HMAC over the canonical JSON':<44}{mac_us:>10.1f}   {load()}")

        # The placeholders are not a chain: take them out of the verification's way before timing it.
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = replica")
            cursor.execute("DELETE FROM accounts_auditevent WHERE seq < 0")
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = origin")
        start = time.perf_counter()
        report = verify_chain()
        verify_us = (time.perf_counter() - start) * 1e6 / max(report.checked, 1)
        print(f"{f'audit_verify, {report.checked} events':<44}{verify_us:>10.1f}   {load()}")


if __name__ == "__main__":
    sys.exit(main())
