"""The second factor's records beside django-otp's TOTP device: recovery codes, kept as digests only."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django_otp.models import Device


def recovery_code_digest(code: str) -> str:
    """The stored form of a recovery code: SHA-256 of the code without spaces, dashes or case.

    A plain hash suffices (as for API tokens): a code is 80 random bits, not a password to guess from a list.
    """
    normalized = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normalized.encode()).hexdigest()


class RecoveryCodeDevice(Device):
    """A user's set of single-use recovery codes: a django-otp device, so a code verifies where a TOTP code does."""

    # Device's own field, without the reverse accessor (`user.recoverycodedevice_set`): nothing reads it, and
    # django-otp's models carry no types for mypy to follow it through.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The user that this device belongs to.",
    )

    class Meta(Device.Meta):
        verbose_name = "recovery code set"

    def verify_token(self, token: object) -> bool:
        if not isinstance(token, str) or not token.strip():
            return False
        # One DELETE decides: of two requests sending the same code at once, only one deletes the row.
        deleted, _ = self.codes.filter(digest=recovery_code_digest(token)).delete()
        return deleted > 0


class RecoveryCode(models.Model):
    """One unused recovery code of a user, as its digest (the code itself was shown once, at enrolment)."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"recovery code of {self.device.user_id}"
