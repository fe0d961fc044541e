"""Every event has its place in the chain, and one only; checkpoints are append-only like the events.

`trellis_audit_chain_end(key)` is an append's first step on PostgreSQL in one round trip: it takes the
transaction-scoped advisory lock, then reads the chain's end. Being VOLATILE, its SELECT takes a snapshot after
the lock is granted, so it sees the event the previous holder committed (a single `SELECT lock, (subquery)`
would read with the snapshot from before the wait, and fork the chain).
"""

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION trellis_audit_chain_end(lock_key bigint, OUT end_seq bigint, OUT end_mac varchar)
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT seq, mac INTO end_seq, end_mac FROM accounts_auditevent ORDER BY seq DESC LIMIT 1;
END;
$$ LANGUAGE plpgsql VOLATILE;
CREATE TRIGGER accounts_auditcheckpoint_append_only
    BEFORE UPDATE OR DELETE ON accounts_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION trellis_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS accounts_auditcheckpoint_append_only ON accounts_auditcheckpoint;
DROP FUNCTION IF EXISTS trellis_audit_chain_end(bigint);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_audit_chain_backfill")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(
                editable=False, unique=True, help_text="Position in the audit chain: 1, 2, 3, ..."
            ),
        ),
        migrations.RunPython(create, drop),
    ]
