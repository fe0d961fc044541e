"""What every treatment write checks first: who acts, on whose record, and whether it is still open."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied, ValidationError

from accounts.access import can
from accounts.audit import AuditContext
from accounts.concurrency import RecordClosed
from accounts.models import CLINICAL_ROLES, Patient, User
from accounts.services import primary_therapist_for
from interventions.models import Intervention
from treatment.models import TreatmentPlan


def lock_plan(plan_id: uuid.UUID) -> TreatmentPlan:
    """Take the plan row's lock, the first lock of every write to the plan (the rule: `treatment.services`).

    Returns the plan as it stands once the lock is ours, with its patient, practice and therapist read
    beside it but not locked (`of=self`): writes to other plans of the same patient or practice never wait.
    Must run inside a transaction; taking it again in the same transaction costs one query and no wait.
    """
    return (
        TreatmentPlan.objects.select_for_update(of=("self",))
        .select_related("patient__practice", "therapist")
        .get(pk=plan_id)
    )


def require_change(by: AuditContext, patient: Patient) -> None:
    """The actor must hold `change` on the patient (system work, with no user, is trusted).

    A page or endpoint that already asked (its access base, `AuditContext.confirming`) is not asked again.
    """
    if by.user is None or patient.pk in by.change_confirmed:
        return
    if not can(by.user, "change", patient):
        raise PermissionDenied("You can read this record but not change it.")


def require_open(plan: TreatmentPlan) -> None:
    """A completed or discontinued plan is final: any write to it, or to what hangs off it, is refused (409)."""
    if plan.is_closed:
        raise RecordClosed(
            f"This plan is {plan.get_status_display().lower()}; its record is closed to changes.",
            url=plan.get_absolute_url(),
        )


def require_signed_for_progress(plan: TreatmentPlan) -> None:
    """When the practice asks for it (`require_signed_plan_for_progress`, off by default), progress and sessions
    are recorded only against a plan with a fully signed version in force (400 naming the plan)."""
    if plan.patient.practice.require_signed_plan_for_progress and plan.signed_version is None:
        raise ValidationError(
            {
                "plan": f"The plan \u201c{plan.title}\u201d has not been signed yet: your practice records progress "
                "and sessions only against a signed plan. Sign it (clinician, client and any co-signature) first."
            }
        )


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
