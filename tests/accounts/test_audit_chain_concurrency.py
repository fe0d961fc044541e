"""Appends never fork the chain: on PostgreSQL, writers on their own connections, released together by a barrier,
each append events (one at a time and in bulk, inside transactions that also do other work); afterwards the
sequence runs 1..N without a gap or a duplicate and the chain verifies. Without the append lock (the advisory lock
`trellis_audit_chain_end` takes, `accounts.audit_chain.chain_end`), two appenders read the same end and the unique
`seq` refuses one of them (or, without it, the chain forks)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection, transaction

from accounts.audit import Action, AuditContext, audit_record, audit_record_many
from accounts.audit_verify import verify_chain
from accounts.models import AuditEvent, Patient
from tests.support import run_together

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 6
#: Fails in round 1 of 3 with the append lock taken out of `trellis_audit_chain_end` (checked five times: the
#: unique `seq` refuses the second appender at the same end).
ROUNDS = 3
PER_WRITER = 3


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; concurrent appends are proven on PostgreSQL (CI)")


def test_concurrent_appends_keep_one_chain(owner, patient):
    ctx = AuditContext.system("tests", user=owner)

    def writer(index: int) -> Callable[[], None]:
        def write() -> None:
            for _ in range(PER_WRITER):
                with transaction.atomic():
                    Patient.objects.filter(pk=patient.pk).exists()
                    if index % 2:
                        audit_record_many(ctx, Action.VIEW, [patient, patient])
                    else:
                        audit_record(ctx, Action.VIEW, patient)

        return write

    before = AuditEvent.objects.count()
    for _ in range(ROUNDS):
        run_together(*(writer(i) for i in range(WRITERS)))

    per_round = sum(PER_WRITER * (2 if i % 2 else 1) for i in range(WRITERS))
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, before + ROUNDS * per_round + 1))
    assert verify_chain().checked == len(seqs)
