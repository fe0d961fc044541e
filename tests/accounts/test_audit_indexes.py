"""The audit trail's indexes: each key an event is looked up by (user, practice, patient) is indexed once, with the
event's date after it, so an INSERT writes no index that no query reads."""

from django.db import connection


def test_each_audit_key_has_one_index_and_it_leads_with_the_key_then_the_date(db):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "accounts_auditevent")
    indexes = [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"] and not c["unique"]]

    for column in ("user_id", "practice_id", "patient_id"):
        assert [columns for columns in indexes if column in columns] == [[column, "occurred_at"]]
