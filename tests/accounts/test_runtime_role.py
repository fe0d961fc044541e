"""The role the app runs as may read and append to the audit trail, and nothing else there: not UPDATE, DELETE,
TRUNCATE, ALTER TABLE, DISABLE TRIGGER or `session_replication_role`. Migrations (and this command) run as the
tables' owner. On PostgreSQL, with a real connection as the runtime role."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from accounts.audit_chain import APPEND_LOCK, link
from accounts.audit_verify import verify_chain
from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

INSERT = (
    "INSERT INTO accounts_auditevent (id, seq, mac, occurred_at, user_id, user_email, practice_id, action, channel,"
    " object_type, object_id, patient_id, ip_address, user_agent, path, changes)"
    " VALUES (%s, %s, %s, %s, NULL, '', NULL, 'view', 'system', 'accounts.patient', %s, NULL, NULL, 'runtime', '',"
    " '{}')"
)


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("database roles are PostgreSQL's")


@pytest.fixture
def runtime_role():
    name = f"trellis_runtime_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN")
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {name}")
        cursor.execute(f"DROP ROLE {name}")


def connect_as(role: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, dbname=db["NAME"], user=role, autocommit=True
    )


def append_as(conn: psycopg.Connection, object_id: str) -> None:
    """What the app does to append an event, on the runtime role's connection."""
    with conn.transaction():
        end = conn.execute("SELECT end_seq, end_mac FROM trellis_audit_chain_end(%s)", [APPEND_LOCK]).fetchone()
        event = SimpleNamespace(
            id=uuid.uuid4(),
            seq=None,
            mac="",
            occurred_at=timezone.now(),
            user_id=None,
            user_email="",
            practice_id=None,
            action="view",
            channel="system",
            object_type="accounts.patient",
            object_id=object_id,
            patient_id=None,
            ip_address=None,
            user_agent="runtime",
            path="",
            changes={},
        )
        link([event], end if end[0] is not None else None)
        conn.execute(INSERT, [event.id, event.seq, event.mac, event.occurred_at, object_id])


REFUSED = [
    "TRUNCATE accounts_auditevent",
    "TRUNCATE accounts_auditcheckpoint",
    "ALTER TABLE accounts_auditevent DISABLE TRIGGER accounts_auditevent_append_only",
    "ALTER TABLE accounts_auditevent DISABLE TRIGGER ALL",
    "ALTER TABLE accounts_auditevent ADD COLUMN note text",
    "ALTER TABLE accounts_auditcheckpoint DISABLE TRIGGER accounts_auditcheckpoint_append_only",
    "DROP TRIGGER accounts_auditevent_append_only ON accounts_auditevent",
    "UPDATE accounts_auditevent SET path = '/elsewhere'",
    "DELETE FROM accounts_auditevent",
    "UPDATE accounts_auditcheckpoint SET seq = 0",
    "DELETE FROM accounts_auditcheckpoint",
    "SET session_replication_role = replica",
]


def test_the_runtime_role_reads_and_appends_but_is_refused_everything_else(runtime_role, patient):
    call_command("db_grant_runtime_role", runtime_role)
    call_command("db_grant_runtime_role", runtime_role)  # idempotent
    before = AuditEvent.objects.count()

    with connect_as(runtime_role) as conn:
        append_as(conn, "first")
        append_as(conn, "second")
        assert conn.execute("SELECT count(*) FROM accounts_auditevent").fetchone()[0] == before + 2
        assert conn.execute("SELECT count(*) FROM accounts_auditcheckpoint").fetchone()[0] == 0
        # The daily task's checkpoint, as the runtime role writes it.
        conn.execute(
            "INSERT INTO accounts_auditcheckpoint (seq, mac, events_checked, created_at)"
            " SELECT seq, mac, seq, now() FROM accounts_auditevent ORDER BY seq DESC LIMIT 1"
        )
        # Everything else is ordinary DML.
        conn.execute("UPDATE accounts_patient SET preferred_name = 'Em' WHERE id = %s", [patient.pk])
        refusals = {}
        for sql in REFUSED:
            try:
                conn.execute(sql)
            except psycopg.errors.InsufficientPrivilege as refused:
                refusals[sql] = type(refused).__name__
        assert refusals == dict.fromkeys(REFUSED, "InsufficientPrivilege")

    assert verify_chain().checked == before + 2


def test_a_re_run_takes_back_rights_granted_beyond_append(runtime_role):
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT ALL ON accounts_auditevent TO {runtime_role}")

    call_command("db_grant_runtime_role", runtime_role)

    with connect_as(runtime_role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("TRUNCATE accounts_auditevent")


def test_the_command_refuses_a_role_that_does_not_exist():
    with pytest.raises(CommandError, match="There is no database role 'nobody_here': create it first"):
        call_command("db_grant_runtime_role", "nobody_here")


def test_the_command_refuses_the_owner_itself():
    with pytest.raises(CommandError, match="is a superuser or the tables' owner"):
        call_command("db_grant_runtime_role", connection.settings_dict["USER"])


def test_the_app_appends_and_verifies_as_the_runtime_role(runtime_role):
    """The app's own code, connected as the runtime role: an append through the model, then `audit_verify`."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    call_command("db_grant_runtime_role", runtime_role)
    db = connection.settings_dict
    url = f"postgres://{runtime_role}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
    append = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup();"
        "from accounts.audit import AuditContext, audit_denied;"
        "audit_denied(AuditContext.system('runtime'), object_type='x', object_id='y', status=404, method='GET')"
    )
    root = Path(__file__).resolve().parents[2]

    appended = subprocess.run([sys.executable, "-c", append], cwd=root, env=env, capture_output=True, text=True)
    verified = subprocess.run(
        [sys.executable, "manage.py", "audit_verify"], cwd=root, env=env, capture_output=True, text=True
    )

    assert appended.returncode == 0, appended.stderr
    count = AuditEvent.objects.count()
    assert verified.stdout.strip() == f"Checked {count} audit events (#1 to #{count}): the chain is intact."
