"""Where a plan stands on its signatures: the one writer of `signature_status`, `signed_version` and
`first_signed_at`.

The signatures themselves live in `reviews` (beside the versions they sign), which computes the status
from them; treatment keeps the answer on the plan so its own writes know when a change is an amendment and
lists filter without a join. Two callers: the signing service (`reviews.services.signatures.plan_sign`)
and the amendment path, which applies `status_after_amendment`.
"""

from __future__ import annotations

import datetime

from accounts.audit import Action, AuditContext, audit_record, diff, snapshot
from treatment.models import SignatureStatus, TreatmentPlan

SIGNATURE_STATE_FIELDS = ("signature_status", "signed_version", "first_signed_at")
#: `signed_version` left as it is (None is a value: "no version in force").
KEEP = object()


def status_after_amendment(plan: TreatmentPlan) -> str:
    """The agreed rule after a change to a signed (or partly signed) plan: a plan that had a fully signed version
    is `amended_unsigned` (the signed version stays in force); one that never had is `unsigned` again."""
    return SignatureStatus.AMENDED_UNSIGNED if plan.signed_version is not None else SignatureStatus.UNSIGNED


def plan_signature_state_set(
    *,
    by: AuditContext,
    plan: TreatmentPlan,
    status: str,
    signed_version: int | object | None = KEEP,
    first_signed_at: datetime.datetime | None = None,
) -> TreatmentPlan:
    """Write where `plan` stands on its signatures, and audit what moved (nothing moved writes nothing).

    The caller holds the plan's lock (`lock_plan`) and passes the locked plan. `first_signed_at` is set by the
    first clinician signature and never cleared or moved afterwards (it is ignored once set): from then on
    every change to the plan needs an amendment reason.
    """
    if status not in SignatureStatus.values:
        raise ValueError(f"Not a signature status: {status!r}")
    before = snapshot(plan, SIGNATURE_STATE_FIELDS)
    plan.signature_status = status
    if signed_version is not KEEP:
        plan.signed_version = signed_version  # type: ignore[assignment]
    if plan.first_signed_at is None and first_signed_at is not None:
        plan.first_signed_at = first_signed_at
    changes = diff(before, snapshot(plan, SIGNATURE_STATE_FIELDS))
    if not changes:
        return plan
    plan.save(update_fields=[*SIGNATURE_STATE_FIELDS, "updated_at"])
    audit_record(by, Action.UPDATE, plan, changes=changes)
    return plan
