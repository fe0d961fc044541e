"""Chain the events written before the chain existed, oldest first (by time, then id), with the deployment's key.

The append-only trigger is set aside for the length of this migration (run by the tables' owner) and put
back before it ends; nothing but `seq` and `mac` is written.
"""

from django.db import migrations

from accounts.audit_chain import CHAINED_FIELDS, GENESIS, compute_mac, hmac_key

TRIGGER = "accounts_auditevent_append_only"
BATCH = 2000


def backfill(apps, schema_editor):
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    events = AuditEvent.objects.filter(seq__isnull=True).order_by("occurred_at", "id")
    if not events.exists():
        return
    key = hmac_key()
    connection = schema_editor.connection
    postgresql = connection.vendor == "postgresql"
    fields = [name for name in CHAINED_FIELDS if name != "seq"]
    id_field = AuditEvent._meta.get_field("id")
    seq, mac = 0, GENESIS
    with connection.cursor() as cursor:
        if postgresql:
            cursor.execute(f"ALTER TABLE accounts_auditevent DISABLE TRIGGER {TRIGGER}")
        batch = []
        for values in events.values(*fields).iterator(chunk_size=BATCH):
            seq += 1
            mac = compute_mac(key, mac, {**values, "seq": seq})
            batch.append((seq, mac, id_field.get_db_prep_value(values["id"], connection)))
            if len(batch) == BATCH:
                cursor.executemany("UPDATE accounts_auditevent SET seq = %s, mac = %s WHERE id = %s", batch)
                batch = []
        if batch:
            cursor.executemany("UPDATE accounts_auditevent SET seq = %s, mac = %s WHERE id = %s", batch)
        if postgresql:
            cursor.execute(f"ALTER TABLE accounts_auditevent ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_audit_chain_fields")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
