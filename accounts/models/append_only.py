"""The ORM's refusal to change or remove a record that is kept as written (audit events and checkpoints, plan
amendments, session addenda, signatures, measurements, safety assessments): one model mixin and one queryset.

The database refuses the same writes on PostgreSQL, by the trigger of `accounts.append_only`'s migration
operation; these close the ORM's paths everywhere, SQLite too. A model says why in `append_only_refusal`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

DEFAULT_REFUSAL = "This record is append-only."


def _refusal(queryset: object) -> str:
    return getattr(getattr(queryset, "model", None), "append_only_refusal", DEFAULT_REFUSAL)


class AppendOnlyQuerySetMixin:
    """Refuses `update()` and `delete()`: first in the bases of a model's scoped queryset (`restrict()`)."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError(_refusal(self))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(_refusal(self))


class AppendOnlyQuerySet(AppendOnlyQuerySetMixin, models.QuerySet):
    """The queryset of an append-only model with no other (`AuditCheckpoint`)."""


class AppendOnlyModel(models.Model):
    """A record saved once: saving it again or deleting it raises `PermissionError` with `append_only_refusal`."""

    append_only_refusal: ClassVar[str] = DEFAULT_REFUSAL

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(self.append_only_refusal)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(self.append_only_refusal)
