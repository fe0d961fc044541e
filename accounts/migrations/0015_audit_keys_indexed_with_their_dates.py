"""The audit event's user, practice and patient keys lose their single-column indexes: the (key, occurred_at)
indexes lead with the same columns and serve every query and foreign-key check that used them, so each event's
INSERT writes six indexes, not nine.

Only the indexes are dropped (Django's AlterField would drop and add the foreign keys again, checking every event
of a large trail under a lock); the names are Django's own for these columns on PostgreSQL and SQLite alike.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = {
    "patient_id": "accounts_auditevent_patient_id_42daccf2",
    "practice_id": "accounts_auditevent_practice_id_30d50c3b",
    "user_id": "accounts_auditevent_user_id_94cf0a49",
}


def _field(to: str) -> models.ForeignKey:
    return models.ForeignKey(
        blank=True,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="audit_events",
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_stored_file"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="auditevent", name="patient", field=_field("accounts.patient")),
                migrations.AlterField(model_name="auditevent", name="practice", field=_field("accounts.practice")),
                migrations.AlterField(model_name="auditevent", name="user", field=_field(settings.AUTH_USER_MODEL)),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "accounts_auditevent" ("{column}")',
                )
                for column, name in INDEXES.items()
            ],
        ),
    ]
