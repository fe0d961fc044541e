"""Every event has its place in the chain, and one only; checkpoints are append-only like the events."""

from django.db import migrations, models

CREATE = """
CREATE TRIGGER accounts_auditcheckpoint_append_only
    BEFORE UPDATE OR DELETE ON accounts_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION trellis_audit_append_only();
"""
DROP = "DROP TRIGGER IF EXISTS accounts_auditcheckpoint_append_only ON accounts_auditcheckpoint;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_audit_chain_backfill")]

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
