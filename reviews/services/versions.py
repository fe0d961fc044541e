"""Sealing a plan's version: the one way a `PlanVersion` is made (a review, a plan's closing, a signature)."""

from __future__ import annotations

from accounts.audit import Action, AuditContext, audit_record
from reviews.models import PlanReview, PlanVersion
from reviews.snapshots import plan_snapshot
from treatment.models import TreatmentPlan


def version_seal(
    *, by: AuditContext, plan: TreatmentPlan, state: dict | None = None, review: PlanReview | None = None
) -> PlanVersion:
    """Seal the plan's current version number with `state` (the plan as it stands when not given) and audit it.

    The caller holds the plan's lock, and decides whether the plan then moves on to the next version number
    (a review and a signature do; a closed plan keeps its number, being never changed again).
    """
    if state is None:
        state = plan_snapshot(plan)
    version = PlanVersion.objects.create(
        plan=plan, number=plan.version, snapshot=state, review=review, created_by=by.user
    )
    audit_record(by, Action.CREATE, version, patient=plan.patient, changes={"number": [None, plan.version]})
    return version
