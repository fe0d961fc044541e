"""On PostgreSQL (production) the database itself refuses to change or remove an audit event.

Not on SQLite, the development default: Django's test flush empties tables there with DELETE,
which such a trigger would refuse (PostgreSQL flushes with TRUNCATE, which it allows).
"""

from django.db import migrations

from accounts.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        append_only(
            table="accounts_auditevent", function="trellis_audit_append_only", refusal="audit events are append-only"
        )
    ]
