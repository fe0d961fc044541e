import uuid

from django.conf import settings
from django.db import models


class PersonalToken(models.Model):
    """A named API token a user made for a partner system: the knox token (hashed, expiring) and its scope.

    knox stores and checks the token itself, as for a sign-in token; this row says it is personal (it does not
    slide with use), what it is for, and whether it may write.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token = models.OneToOneField("knox.AuthToken", on_delete=models.CASCADE, related_name="personal")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="personal_tokens")
    name = models.CharField(max_length=100)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name
