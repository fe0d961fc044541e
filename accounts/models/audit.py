import uuid

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone

from accounts import audit_chain
from accounts.models.append_only import AppendOnlyModel, AppendOnlyQuerySet


class AuditEventQuerySet(AppendOnlyQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Append events at the chain's end, linked to it (every write of an event comes here, `save()` too)."""
        events = list(objs)
        if not events:
            return events
        with transaction.atomic(using=self.db, savepoint=False):
            audit_chain.link(events, audit_chain.chain_end(connections[self.db]))
            return super().bulk_create(events, *args, **kwargs)


class AuditEvent(AppendOnlyModel):
    """One read or write of patient data: who, when, what, from where (HIPAA 164.312(b)).

    Append-only: the application never updates or deletes a row, the admin and API are read-only,
    and on PostgreSQL a trigger refuses UPDATE and DELETE outright. Tamper-evident: `seq` and `mac` chain
    every event to the one before it (`accounts.audit_chain`).
    """

    class Action(models.TextChoices):
        VIEW = "view", "View"
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        EXPORT = "export", "Export"
        DENIED = "denied", "Denied"

    class Channel(models.TextChoices):
        WEB = "web", "Web page"
        API = "api", "API"
        ADMIN = "admin", "Django admin"
        SYSTEM = "system", "System task or command"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Set when the event is made (not at INSERT, as auto_now_add would), so its MAC covers the stored value.
    occurred_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    # The three keys are indexed by the (key, occurred_at) indexes below, which lead with them: an index of the
    # key alone would be one more for every event's INSERT to write (nine, not six) and no query's to read.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        db_index=False,
    )
    user_email = models.EmailField(blank=True, help_text="The account's email when the event happened.")
    practice = models.ForeignKey(
        "accounts.Practice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        db_index=False,
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    object_type = models.CharField(max_length=100, help_text="app_label.model of the record touched.")
    object_id = models.CharField(max_length=64)
    patient = models.ForeignKey(
        "accounts.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        db_index=False,
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    path = models.CharField(max_length=500, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="For writes: {field: [old, new]} of what changed.")
    seq = models.BigIntegerField(unique=True, editable=False, help_text="Position in the audit chain: 1, 2, 3, ...")
    mac = models.CharField(
        max_length=64, editable=False, help_text="HMAC-SHA-256 over this event's content and the previous MAC."
    )

    objects = AuditEventQuerySet.as_manager()
    append_only_refusal = "Audit events are append-only."

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["practice", "-occurred_at"]),
            models.Index(fields=["patient", "-occurred_at"]),
            models.Index(fields=["user", "-occurred_at"]),
        ]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.user_email or 'system'} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        """A new event joins the chain's end (`bulk_create` links it); saving one again is refused (the mixin)."""
        if self._state.adding:
            type(self).objects.db_manager(kwargs.get("using")).bulk_create([self])
            return
        super().save(*args, **kwargs)


class AuditCheckpoint(AppendOnlyModel):
    """Where the audit chain ended when the daily verification last found it intact: a truncation shows."""

    seq = models.BigIntegerField(help_text="The last event's sequence number.")
    mac = models.CharField(max_length=64, help_text="The last event's MAC.")
    events_checked = models.BigIntegerField(help_text="How many events the verification walked.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()
    append_only_refusal = "Audit checkpoints are append-only."

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"

    def __str__(self):
        return f"#{self.seq} at {self.created_at:%Y-%m-%d %H:%M:%S}"
