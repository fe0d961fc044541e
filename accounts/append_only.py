"""The database's own refusal to change or remove a record that is kept as written (audit events, plan versions,
signatures, amendments, addenda): one migration operation for every such table.

On PostgreSQL (production) a row trigger raises on UPDATE and DELETE. Not on SQLite, the development default:
Django's test flush empties tables there with DELETE, which such a trigger would refuse (PostgreSQL flushes with
TRUNCATE, which it allows). The ORM refuses the same writes in the models, so both paths are closed.
"""

from __future__ import annotations

from django.db import migrations


def append_only(*, table: str, function: str, refusal: str) -> migrations.RunPython:
    """The migration operation that makes `table` append-only: trigger `<table>_append_only` calling `function`,
    which raises "`refusal` (UPDATE refused)". Reversible (drops both)."""
    create_sql = f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{refusal} (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
"""
    drop_sql = f"""
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP FUNCTION IF EXISTS {function}();
"""

    def create(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(create_sql, params=None)

    def drop(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop_sql, params=None)

    return migrations.RunPython(create, drop)
