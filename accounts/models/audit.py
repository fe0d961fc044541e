import uuid

from django.conf import settings
from django.db import models


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only.")

    def delete(self):
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One read or write of patient data: who, when, what, from where (HIPAA 164.312(b)).

    Append-only: the application never updates or deletes a row, the admin and API are read-only,
    and on PostgreSQL a trigger refuses UPDATE and DELETE outright.
    """

    class Action(models.TextChoices):
        VIEW = "view", "View"
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        EXPORT = "export", "Export"

    class Channel(models.TextChoices):
        WEB = "web", "Web page"
        API = "api", "API"
        ADMIN = "admin", "Django admin"
        SYSTEM = "system", "System task or command"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    user_email = models.EmailField(blank=True, help_text="The account's email when the event happened.")
    practice = models.ForeignKey(
        "accounts.Practice", on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    object_type = models.CharField(max_length=100, help_text="app_label.model of the record touched.")
    object_id = models.CharField(max_length=64)
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    path = models.CharField(max_length=500, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="For writes: {field: [old, new]} of what changed.")

    objects = AuditEventQuerySet.as_manager()

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
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only.")
