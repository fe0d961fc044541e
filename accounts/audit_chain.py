"""The audit trail's hash chain: what each event's MAC covers, and how an append links to the event before it.

Each event carries `seq` (1, 2, 3, ... with no gaps) and `mac`, an HMAC-SHA-256 keyed by `AUDIT_HMAC_KEY`
(from the environment, never in the database) over the MAC of event `seq - 1` and the event's own canonical
content, `seq` included. Editing, inserting, removing or reordering a row therefore breaks the chain at that
row, and nobody without the key can forge a chain that holds (`accounts.audit_verify` walks it).

This module knows nothing of the models, so the model layer and the backfilling migration share it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import BaseDatabaseWrapper

#: The fields every MAC covers, in this order; `mac` itself is the only stored field left out.
CHAINED_FIELDS: tuple[str, ...] = (
    "id",
    "seq",
    "occurred_at",
    "user_id",
    "user_email",
    "practice_id",
    "action",
    "channel",
    "object_type",
    "object_id",
    "patient_id",
    "ip_address",
    "user_agent",
    "path",
    "changes",
)
#: What the first event is chained to.
GENESIS = ""
#: The transaction-scoped advisory lock every append takes on PostgreSQL (`chain_end`; "trellis" in ASCII): one
#: appender at a time reads the chain's end and writes after it, so two workers never fork the chain.
APPEND_LOCK = 0x7472656C6C6973


class Chained(Protocol):
    """An event about to be appended: the chained fields as attributes, `seq` and `mac` to fill in."""

    seq: int | None
    mac: str


def hmac_key() -> bytes:
    """The deployment's chain key; refusing to write (or check) a chain nobody could verify."""
    key = getattr(settings, "AUDIT_HMAC_KEY", "")
    if not key:
        raise ImproperlyConfigured("Set AUDIT_HMAC_KEY (or DEBUG=true for a development machine).")
    return key.encode()


def _normal(value: Any) -> Any:
    """A value as the database gives it back, whichever way it went in (so a MAC survives the round trip)."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float) and value.is_integer():
        # jsonb gives 1e20 back as an integer and 1.0 as a float: both become the integer.
        return int(value)
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    return value


def canonical(values: Mapping[str, Any]) -> bytes:
    """The event's content as stable JSON: the chained fields, sorted keys, no whitespace, UTF-8."""
    content = {name: _normal(values[name]) for name in CHAINED_FIELDS}
    if content["ip_address"]:
        content["ip_address"] = str(ipaddress.ip_address(content["ip_address"]))
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_mac(key: bytes, previous_mac: str, values: Mapping[str, Any]) -> str:
    """The MAC of an event whose predecessor's MAC is `previous_mac`."""
    return hmac.new(key, previous_mac.encode() + b"\n" + canonical(values), hashlib.sha256).hexdigest()


def macs_match(expected: str, stored: str) -> bool:
    return hmac.compare_digest(expected, stored)


def chain_end(connection: BaseDatabaseWrapper) -> tuple[int, str] | None:
    """Take the append lock (held until the transaction ends), then read the chain's end: (seq, MAC), or None.

    On PostgreSQL one call does both (`trellis_audit_chain_end`, migration accounts 0008); SQLite has one writer
    at a time already.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT end_seq, end_mac FROM trellis_audit_chain_end(%s)", [APPEND_LOCK])
        else:
            cursor.execute("SELECT seq, mac FROM accounts_auditevent ORDER BY seq DESC LIMIT 1")
        row = cursor.fetchone()
    return (row[0], row[1]) if row is not None and row[0] is not None else None


def link(events: Sequence[Chained], last: tuple[int, str] | None, key: bytes | None = None) -> None:
    """Give `events` the sequence numbers and MACs that follow `last` (the chain's end: seq and MAC)."""
    key = key if key is not None else hmac_key()
    seq, mac = last if last is not None else (0, GENESIS)
    for event in events:
        seq += 1
        event.seq = seq
        mac = compute_mac(key, mac, {name: getattr(event, name) for name in CHAINED_FIELDS})
        event.mac = mac
