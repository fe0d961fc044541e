"""On PostgreSQL (production) the database itself refuses to change or remove a sealed plan version.

A version is the plan as a review saw it; amending the past is not an edit. As for the audit trail
(accounts 0002), not on SQLite, where Django's test flush empties tables with DELETE (PostgreSQL
flushes with TRUNCATE, which the trigger allows).
"""

from django.db import migrations

from accounts.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [
        append_only(
            table="reviews_planversion",
            function="trellis_plan_version_append_only",
            refusal="plan versions are immutable",
        )
    ]
