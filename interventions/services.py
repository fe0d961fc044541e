"""Writes to the intervention library: practices add and edit their own; the system library is fixed."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from accounts.models import Practice, Role, User
from interventions.models import Intervention

EDITABLE_FIELDS = ("name", "description", "modality", "category", "evidence_level", "is_active")


def _check_name(practice: Practice | None, name: str, exclude_pk: UUID | None = None) -> None:
    clash = Intervention.objects.filter(Q(is_system=True) | Q(practice=practice), name__iexact=name.strip())
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": "An intervention with this name is already in your library."})


def check_can_edit(user: User | None, intervention: Intervention) -> None:
    """System entries are nobody's to edit; a custom one is its author's and the practice admin's."""
    if intervention.is_system:
        raise PermissionDenied("The built-in library cannot be edited; add a custom intervention instead.")
    if user is None or user.is_superuser:
        return
    if user.practice_id != intervention.practice_id:
        raise PermissionDenied("This intervention belongs to another practice.")
    if user.role != Role.PRACTICE_ADMIN and intervention.created_by_id != user.pk:
        raise PermissionDenied("Only its author or a practice admin can change a custom intervention.")


@transaction.atomic
def intervention_create(*, practice: Practice, created_by: User | None, name: str, **fields) -> Intervention:
    """Add a custom intervention to a practice's library."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the intervention a name."})
    _check_name(practice, name)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not intervention fields: {sorted(unknown)}")
    intervention = Intervention(practice=practice, created_by=created_by, name=name, is_system=False, **fields)
    intervention.full_clean(validate_constraints=False)
    intervention.save()
    return intervention


@transaction.atomic
def intervention_update(*, user: User | None, intervention: Intervention, **fields) -> Intervention:
    """Change a practice's custom intervention (retire it with is_active=False)."""
    check_can_edit(user, intervention)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not intervention fields: {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise ValidationError({"name": "Give the intervention a name."})
        _check_name(intervention.practice, fields["name"], exclude_pk=intervention.pk)
    for name, value in fields.items():
        setattr(intervention, name, value)
    intervention.full_clean(validate_constraints=False)
    intervention.save()
    return intervention
