"""Events written before the chain existed are chained by the migration, oldest first (by time, then id)."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.audit_verify import verify_chain
from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0008_personal_tokens")]


def test_the_migration_chains_existing_events_in_time_order():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()  # every app: going back to BEFORE unapplies their dependents too
    executor.migrate(BEFORE)
    noon = datetime.datetime(2026, 5, 1, 12, tzinfo=datetime.UTC)
    first, second, third = uuid.UUID(int=3), uuid.UUID(int=1), uuid.UUID(int=2)
    with connection.cursor() as cursor:
        for pk, at in [(second, noon), (first, noon - datetime.timedelta(days=1)), (third, noon)]:
            cursor.execute(
                "INSERT INTO accounts_auditevent (id, occurred_at, user_email, action, channel, object_type,"
                " object_id, user_agent, path, changes)"
                " VALUES (%s, %s, '', 'view', 'system', 'accounts.patient', 'x', '', '', '{}')",
                [pk.hex if connection.vendor == "sqlite" else pk, at],
            )

    MigrationExecutor(connection).migrate(latest)

    order = list(AuditEvent.objects.order_by("seq").values_list("id", "seq"))
    assert order == [(first, 1), (second, 2), (third, 3)]
    assert verify_chain().checked == 3
