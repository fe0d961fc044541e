"""Checking the audit chain (`manage.py audit_verify`, and daily on beat): every event in order, each MAC recomputed.

The walk streams the events in `seq` order (an iterator in chunks, never the whole table in memory) and stops
at the first event that does not hold: a MAC that does not match (the event was altered, or inserted, or two
were swapped) or a sequence number that skips (events were removed). It then compares the chain's end with the
latest checkpoint, so events removed from the end since that checkpoint are found too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import connections, transaction
from django.utils import timezone

from accounts.audit_chain import CHAINED_FIELDS, GENESIS, compute_mac, hmac_key, macs_match
from accounts.models import AuditCheckpoint, AuditEvent

logger = logging.getLogger("trellis.audit")

CHUNK = 2000


class ChainBroken(Exception):
    """The audit chain does not verify; the message names the first event at fault."""

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.seq = seq


@dataclass(frozen=True)
class ChainReport:
    """What a verification walked: how many events, from which sequence number to which."""

    checked: int
    first_seq: int | None
    last_seq: int | None
    last_mac: str


def _starting_point(since: date | None) -> tuple[int, str]:
    """The (seq, MAC) the walk continues from: the genesis, or the event just before the first one on `since`."""
    if since is None:
        return 0, GENESIS
    start = timezone.make_aware(datetime.combine(since, time.min))
    first = AuditEvent.objects.filter(occurred_at__gte=start).order_by("seq").values_list("seq", flat=True).first()
    if first is None:
        return _end()
    if first == 1:
        return 0, GENESIS
    before = AuditEvent.objects.filter(seq=first - 1).values_list("seq", "mac").first()
    if before is None:
        raise ChainBroken(f"Audit event #{first - 1} is missing: the chain has no event before #{first}.", first - 1)
    return before


def _end() -> tuple[int, str]:
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "mac").first()
    return last if last is not None else (0, GENESIS)


def verify_chain(*, since: date | None = None) -> ChainReport:
    """Walk the chain (from the events of `since` on, else from the first); raise ChainBroken at the first fault."""
    key = hmac_key()
    connection = connections[AuditEvent.objects.db]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=connection.alias):
        if outermost and connection.vendor == "postgresql":
            # One snapshot for the walk and the checkpoint comparison: events appended meanwhile are not seen
            # half-way (and the streaming cursor needs the transaction anyway).
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        seq, mac = _starting_point(since)
        first_seq = None
        checked = 0
        events = AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values(*CHAINED_FIELDS, "mac")
        for event in events.iterator(chunk_size=CHUNK):
            if event["seq"] != seq + 1:
                raise ChainBroken(
                    f"Audit event #{seq + 1} is missing (removed): the chain goes from #{seq} to #{event['seq']}.",
                    seq + 1,
                )
            expected = compute_mac(key, mac, event)
            if not macs_match(expected, event["mac"]):
                raise ChainBroken(
                    f"Audit event #{event['seq']} ({event['id']}) does not match its MAC: it was altered, inserted "
                    f"or moved.",
                    event["seq"],
                )
            seq, mac = event["seq"], event["mac"]
            first_seq = seq if first_seq is None else first_seq
            checked += 1
        _compare_with_checkpoint(seq)
    return ChainReport(checked=checked, first_seq=first_seq, last_seq=seq or None, last_mac=mac)


def _compare_with_checkpoint(last_seq: int) -> None:
    checkpoint = AuditCheckpoint.objects.order_by("-created_at", "-id").first()
    if checkpoint is None:
        return
    when = f"{checkpoint.created_at:%Y-%m-%d %H:%M:%S} UTC"
    if last_seq < checkpoint.seq:
        raise ChainBroken(
            f"Audit events #{last_seq + 1} to #{checkpoint.seq} are missing: the chain ends at #{last_seq}, "
            f"but the checkpoint of {when} recorded #{checkpoint.seq}.",
            last_seq + 1,
        )
    at_checkpoint = AuditEvent.objects.filter(seq=checkpoint.seq).values_list("mac", flat=True).first()
    if at_checkpoint is None or not macs_match(at_checkpoint, checkpoint.mac):
        raise ChainBroken(
            f"Audit event #{checkpoint.seq} is not the one the checkpoint of {when} recorded: "
            f"the chain was rewritten from there.",
            checkpoint.seq,
        )


def checkpoint_write(report: ChainReport) -> AuditCheckpoint | None:
    """Record where an intact chain ended (and log it, so a copy lives outside the database too)."""
    if report.last_seq is None:
        return None
    checkpoint = AuditCheckpoint.objects.create(seq=report.last_seq, mac=report.last_mac, events_checked=report.checked)
    logger.info(
        "audit checkpoint seq=%s mac=%s at=%s checked=%s",
        checkpoint.seq,
        checkpoint.mac,
        checkpoint.created_at.isoformat(),
        report.checked,
        extra={"audit_checkpoint": {"seq": checkpoint.seq, "mac": checkpoint.mac}},
    )
    return checkpoint
