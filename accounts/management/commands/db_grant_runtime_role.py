"""Grant the role the app runs as what it needs, and on the audit trail no more than reading and appending."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from accounts.models import AuditCheckpoint, AuditEvent

#: Read and append only: no UPDATE, DELETE or TRUNCATE, and (not being their owner) no ALTER or DISABLE TRIGGER.
APPEND_ONLY_TABLES = (AuditEvent._meta.db_table, AuditCheckpoint._meta.db_table)
CHAIN_FUNCTION = "trellis_audit_chain_end(bigint)"


class Command(BaseCommand):
    help = (
        "On PostgreSQL, grant ROLE (the app's runtime role) normal DML on every table, but only SELECT and INSERT "
        "on the audit tables; run it as the tables' owner after every migrate (it is idempotent)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the database role the web server, workers and beat connect as")

    def handle(self, *args: object, **opts: str) -> None:
        role = opts["role"]
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL matter: DATABASE_URL names another database.")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = %s", [role])
            found = cursor.fetchone()
            if found is None:
                raise CommandError(f"There is no database role {role!r}: create it first (CREATE ROLE ... LOGIN).")
            if found[0] or found[1]:
                raise CommandError(
                    f"{role!r} is a superuser or the tables' owner: the runtime role must be another, ordinary role."
                )
            quoted = connection.ops.quote_name(role)
            cursor.execute("SELECT current_schema()")
            schema = connection.ops.quote_name(cursor.fetchone()[0])
            cursor.execute(f"GRANT USAGE ON SCHEMA {schema} TO {quoted}")
            tables = connection.introspection.table_names(cursor)
            for table in tables:
                name = connection.ops.quote_name(table)
                # Start from nothing, so a re-run also takes back what an earlier grant gave too much of.
                cursor.execute(f"REVOKE ALL ON TABLE {name} FROM {quoted}")
                rights = "SELECT, INSERT" if table in APPEND_ONLY_TABLES else "SELECT, INSERT, UPDATE, DELETE"
                cursor.execute(f"GRANT {rights} ON TABLE {name} TO {quoted}")
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}")
            cursor.execute(f"GRANT EXECUTE ON FUNCTION {CHAIN_FUNCTION} TO {quoted}")
        self.stdout.write(
            f"Granted {role}: reading and writing {len(tables) - len(APPEND_ONLY_TABLES)} tables, reading and "
            f"appending to {', '.join(APPEND_ONLY_TABLES)}."
        )
