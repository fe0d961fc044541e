"""What every treatment write checks first: who acts, on whose record, and whether it is still open."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from accounts.access import can
from accounts.audit import AuditContext
from accounts.models import CLINICAL_ROLES, Patient, User
from accounts.services import primary_therapist_for
from interventions.models import Intervention
from treatment.models import TreatmentPlan


def require_change(by: AuditContext, patient: Patient) -> None:
    """The actor must hold `change` on the patient (system work, with no user, is trusted)."""
    if by.user is not None and not can(by.user, "change", patient):
        raise PermissionDenied("You can read this record but not change it.")


def require_open(plan: TreatmentPlan, field: str = "status") -> None:
    if plan.is_closed:
        raise ValidationError({field: f"This plan is {plan.status}; its record is closed to changes."})


def check_intervention(intervention: Intervention, patient: Patient, field: str, *, new_link: bool = True) -> None:
    """An intervention must be in the patient's practice's library (system or its own)."""
    if not (intervention.is_system or intervention.practice_id == patient.practice_id):
        raise ValidationError({field: "This intervention is not in your practice's library."})
    if new_link and not intervention.is_active:
        raise ValidationError({field: f"{intervention.name} has been retired from the library."})


def is_clinician(user) -> bool:
    return user is not None and getattr(user, "role", None) in CLINICAL_ROLES


def choose_clinician(by: AuditContext, patient: Patient, requested: User | None) -> User | None:
    """Whose plan or session this is: a clinician acts for themselves; only a practice admin names
    someone else (else the patient's primary therapist). System work names whom it likes."""
    if by.user is not None:
        requested = primary_therapist_for(actor=by.user, requested=requested, field="therapist_id")
    if requested is None:
        requested = by.user if is_clinician(by.user) else patient.primary_therapist
    return requested
