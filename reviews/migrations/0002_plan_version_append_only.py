"""On PostgreSQL (production) the database itself refuses to change or remove a sealed plan version.

A version is the plan as a review saw it; amending the past is not an edit. As for the audit trail
(accounts 0002), not on SQLite, where Django's test flush empties tables with DELETE (PostgreSQL
flushes with TRUNCATE, which the trigger allows).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION trellis_plan_version_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'plan versions are immutable (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reviews_planversion_append_only
    BEFORE UPDATE OR DELETE ON reviews_planversion
    FOR EACH ROW EXECUTE FUNCTION trellis_plan_version_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS reviews_planversion_append_only ON reviews_planversion;
DROP FUNCTION IF EXISTS trellis_plan_version_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
