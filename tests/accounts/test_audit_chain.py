"""The audit chain: every event written (one, many, by any path) is linked to the one before, and
`audit_verify` finds the first event that was altered, inserted, moved or removed, and a truncation after
a checkpoint. Tampering is done as the tables' owner on PostgreSQL with the triggers set aside
(`session_replication_role = replica`), as someone holding the database's owner password could."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django_celery_beat.models import PeriodicTask

from accounts.audit import Action, AuditContext, audit_record, audit_record_many
from accounts.audit_chain import CHAINED_FIELDS, compute_mac
from accounts.audit_verify import ChainBroken, verify_chain
from accounts.models import AuditCheckpoint, AuditEvent
from accounts.tasks import verify_audit_chain

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only")


@pytest.fixture
def events(owner, patient) -> list[AuditEvent]:
    """Five more events, written by the three paths an event can take."""
    ctx = AuditContext.system("tests", user=owner)
    audit_record_many(ctx, Action.VIEW, [patient, patient, patient])
    AuditEvent.objects.create(
        user=owner, action=Action.VIEW, channel="system", object_type="accounts.patient", object_id=str(patient.pk)
    )
    audit_record(ctx, Action.UPDATE, patient, changes={"first_name": ["A", "B"], "score": [1.0, 2.5]})
    return list(AuditEvent.objects.order_by("seq"))


def tamper(sql: str, params: list | None = None) -> None:
    """Run `sql` as the owner with the append-only triggers set aside."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params or [])
        cursor.execute("SET LOCAL session_replication_role = origin")


def broken_at() -> tuple[int | None, str]:
    with pytest.raises(ChainBroken) as broken:
        verify_chain()
    return broken.value.seq, broken.value.message


def test_every_path_appends_to_one_unbroken_sequence(events):
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert len(events) == 7  # the patient's creation and its grants, then the fixture's five
    assert len({e.mac for e in events}) == 7

    report = verify_chain()

    assert (report.checked, report.first_seq, report.last_seq) == (7, 1, 7)


def test_the_mac_covers_the_content_and_the_previous_mac(events, settings):
    third, fourth = events[2], events[3]

    fourth_values = {name: getattr(fourth, name) for name in CHAINED_FIELDS}
    assert compute_mac(settings.AUDIT_HMAC_KEY.encode(), third.mac, fourth_values) == fourth.mac
    assert compute_mac(b"another key", third.mac, fourth_values) != fourth.mac


def test_an_empty_trail_verifies():
    assert verify_chain().checked == 0


def test_the_command_prints_the_count_checked(events, capsys):
    call_command("audit_verify")

    assert capsys.readouterr().out.strip() == "Checked 7 audit events (#1 to #7): the chain is intact."


def test_the_command_checks_from_a_date(events, capsys):
    call_command("audit_verify", "--since", events[0].occurred_at.date().isoformat())
    call_command("audit_verify", "--since", "2200-01-01")

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Checked 7 audit events (#1 to #7): the chain is intact.",
        "Checked 0 audit events: there are none in that period.",
    ]


def test_the_command_refuses_a_date_it_cannot_read(events):
    with pytest.raises(CommandError, match="--since takes a date as YYYY-MM-DD, not '1 May'"):
        call_command("audit_verify", "--since", "1 May")


@postgresql_only
def test_an_edited_event_is_named(events):
    tamper("UPDATE accounts_auditevent SET user_email = 'someone@else.example' WHERE seq = 4")

    assert broken_at() == (
        4,
        f"Audit event #4 ({events[3].pk}) does not match its MAC: it was altered, inserted or moved.",
    )


@postgresql_only
def test_an_edit_that_keeps_the_mac_of_an_unkeyed_hash_is_still_named(events):
    """Recomputing the MAC without the key does not help: the key is not in the database."""
    forged = compute_mac(
        b"guessed", events[2].mac, {**{n: getattr(events[3], n) for n in CHAINED_FIELDS}, "action": "export"}
    )
    tamper("UPDATE accounts_auditevent SET action = 'export', mac = %s WHERE seq = 4", [forged])

    assert broken_at()[0] == 4


@postgresql_only
def test_a_deleted_event_is_named_as_missing(events):
    tamper("DELETE FROM accounts_auditevent WHERE seq = 3")

    assert broken_at() == (3, "Audit event #3 is missing (removed): the chain goes from #2 to #4.")


@postgresql_only
def test_the_first_event_deleted_is_named_as_missing(events):
    tamper("DELETE FROM accounts_auditevent WHERE seq = 1")

    assert broken_at() == (1, "Audit event #1 is missing (removed): the chain goes from #0 to #2.")


@postgresql_only
def test_an_inserted_event_is_named(events):
    """A forged event placed after the end: its MAC cannot be made without the key."""
    fourth = events[3]
    tamper(
        "INSERT INTO accounts_auditevent (id, occurred_at, user_id, user_email, practice_id, action, channel, "
        "object_type, object_id, patient_id, ip_address, user_agent, path, changes, seq, mac) "
        "SELECT %s, occurred_at, user_id, user_email, practice_id, action, channel, object_type, object_id, "
        "patient_id, ip_address, user_agent, path, changes, 8, mac FROM accounts_auditevent WHERE seq = 4",
        [uuid.uuid4()],
    )
    assert fourth.seq == 4

    assert broken_at()[0] == 8


@postgresql_only
def test_an_event_inserted_in_the_middle_is_named(events):
    """Making room for a forged event means moving the later ones up: the first one moved breaks."""
    tamper("UPDATE accounts_auditevent SET seq = seq + 100 WHERE seq >= 5")
    tamper("UPDATE accounts_auditevent SET seq = seq - 99 WHERE seq >= 105")
    tamper(
        "INSERT INTO accounts_auditevent (id, occurred_at, user_email, action, channel, object_type, object_id, "
        "user_agent, path, changes, seq, mac) VALUES (%s, now(), '', 'view', 'system', 'x', 'y', '', '', '{}', 5, %s)",
        [uuid.uuid4(), "0" * 64],
    )

    assert broken_at()[0] == 5


@postgresql_only
def test_a_reordered_pair_is_named(events):
    tamper("UPDATE accounts_auditevent SET seq = -1 WHERE seq = 5")
    tamper("UPDATE accounts_auditevent SET seq = 5 WHERE seq = 6")
    tamper("UPDATE accounts_auditevent SET seq = 6 WHERE seq = -1")

    assert broken_at() == (
        5,
        f"Audit event #5 ({events[5].pk}) does not match its MAC: it was altered, inserted or moved.",
    )


@postgresql_only
def test_a_truncation_after_a_checkpoint_is_named(events):
    verify_audit_chain()
    assert AuditCheckpoint.objects.get().seq == 7
    tamper("DELETE FROM accounts_auditevent WHERE seq >= 6")

    # What is left is a chain that holds on its own: only the checkpoint knows two events are gone.
    assert broken_at()[0] == 6
    with pytest.raises(CommandError) as error:
        call_command("audit_verify")
    assert str(error.value).startswith(
        "The audit chain is broken. Audit events #6 to #7 are missing: the chain ends at #5, but the checkpoint of "
    )


@postgresql_only
def test_a_chain_rewritten_up_to_the_checkpoint_is_named(events, settings):
    """Someone who had the key would still have to match the MAC the checkpoint (and the log) recorded."""
    verify_audit_chain()
    key = settings.AUDIT_HMAC_KEY.encode()
    values = {**{n: getattr(events[6], n) for n in CHAINED_FIELDS}, "action": "export"}
    tamper(
        "UPDATE accounts_auditevent SET action = 'export', mac = %s WHERE seq = 7",
        [compute_mac(key, events[5].mac, values)],
    )

    assert broken_at()[0] == 7


@postgresql_only
def test_the_command_exits_non_zero_naming_the_event(events):
    tamper("UPDATE accounts_auditevent SET path = '/elsewhere' WHERE seq = 2")

    with pytest.raises(CommandError, match=r"^The audit chain is broken\. Audit event #2 \("):
        call_command("audit_verify")


def test_the_daily_task_writes_a_checkpoint_and_logs_it(events, caplog):
    with caplog.at_level(logging.INFO, logger="trellis.audit"):
        result = verify_audit_chain()

    checkpoint = AuditCheckpoint.objects.get()
    assert result == {"checked": 7, "last_seq": 7}
    assert (checkpoint.seq, checkpoint.mac, checkpoint.events_checked) == (7, events[6].mac, 7)
    assert f"audit checkpoint seq=7 mac={events[6].mac}" in caplog.text


@postgresql_only
def test_the_daily_task_fails_and_logs_a_broken_chain_without_a_checkpoint(events, caplog):
    tamper("DELETE FROM accounts_auditevent WHERE seq = 2")

    with caplog.at_level(logging.ERROR, logger="trellis.audit"), pytest.raises(ChainBroken):
        verify_audit_chain()

    assert "audit chain broken: Audit event #2 is missing" in caplog.text
    assert not AuditCheckpoint.objects.exists()


def test_the_daily_task_is_on_beat():
    task = PeriodicTask.objects.select_related("crontab").get(name="Verify the audit chain and write a checkpoint")

    assert (task.task, task.enabled, task.crontab.minute, task.crontab.hour) == (
        "accounts.verify_audit_chain",
        True,
        "45",
        "2",
    )


def test_checkpoints_are_append_only(events):
    checkpoint = verify_audit_chain() and AuditCheckpoint.objects.get()

    with pytest.raises(PermissionError):
        checkpoint.save()
    with pytest.raises(PermissionError):
        AuditCheckpoint.objects.all().delete()


@postgresql_only
def test_postgresql_refuses_to_change_a_checkpoint(events):
    verify_audit_chain()

    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_auditcheckpoint SET seq = 1")


def test_verification_streams_the_events_in_chunks(events, monkeypatch):
    """The walk reads the events through an iterator, a chunk at a time, never the whole table into a list."""
    from django.db.models.query import QuerySet

    chunks: list[int] = []
    iterator = QuerySet.iterator

    def recording(self, chunk_size=None):
        chunks.append(chunk_size)
        return iterator(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", recording)
    monkeypatch.setattr("accounts.audit_verify.CHUNK", 3)

    assert verify_chain().checked == 7
    assert chunks == [3]
