"""What the plan page's signature panel shows: where the plan stands, the signatures of the version being
signed and of the last fully signed one, and what this user may do next. Read from the signatures the page
prefetched with the plan (`reviews.panels`), so the panel costs no query of its own.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from accounts.models import User
from reviews.models import CLIENT_SIGNATURE_ROLES, PlanSignature, SignatureRole
from treatment.models import SignatureStatus, TreatmentPlan
from treatment.services.common import is_clinician

#: The badge of each status (classes of static/css/trellis.css).
STATUS_BADGE = {
    SignatureStatus.UNSIGNED: "badge-warn",
    SignatureStatus.AWAITING_CLIENT: "badge-warn",
    SignatureStatus.AWAITING_SUPERVISOR: "badge-warn",
    SignatureStatus.SIGNED: "badge-active",
    SignatureStatus.AMENDED_UNSIGNED: "badge-danger",
}


@dataclass(frozen=True)
class SignatureRow:
    """One signature as the panel lists it."""

    name: str
    role_label: str
    method_label: str
    signed_at: datetime.datetime
    relationship: str
    reason: str


@dataclass(frozen=True)
class VersionSignatures:
    number: int
    rows: tuple[SignatureRow, ...]
    roles: frozenset[str]


@dataclass(frozen=True)
class SignaturePanel:
    status: str
    status_label: str
    badge: str
    signed_version: int | None
    #: The latest version that carries a signature (the one being signed, or the signed one).
    current: VersionSignatures | None
    #: The last fully signed version, when it is not `current`.
    signed: VersionSignatures | None
    can_sign: bool
    can_hand_to_client: bool
    can_cosign: bool


def _row(signature: PlanSignature) -> SignatureRow:
    return SignatureRow(
        name=signature.signer_name,
        role_label=signature.get_role_display(),
        method_label=signature.get_method_display(),
        signed_at=signature.signed_at,
        relationship=signature.relationship,
        reason=signature.reason,
    )


def signature_panel(plan: TreatmentPlan, user: User, *, can_change: bool) -> SignaturePanel:
    """The panel of `plan` for `user`; `plan.signatures` prefetched with their versions, newest first."""
    by_version: dict[int, list[PlanSignature]] = {}
    for signature in plan.signatures.all():
        by_version.setdefault(signature.version.number, []).append(signature)

    def group(number: int | None) -> VersionSignatures | None:
        if number is None or number not in by_version:
            return None
        signatures = by_version[number]
        return VersionSignatures(
            number=number,
            rows=tuple(_row(s) for s in signatures),
            roles=frozenset(s.role for s in signatures),
        )

    current = group(max(by_version) if by_version else None)
    signed = group(plan.signed_version) if plan.signed_version != (current.number if current else None) else None
    status = SignatureStatus(plan.signature_status)
    roles = current.roles if current is not None else frozenset()
    clinician_signed = SignatureRole.CLINICIAN in roles and status != SignatureStatus.AMENDED_UNSIGNED
    open_plan = not plan.is_closed
    clinician = open_plan and can_change and is_clinician(user)
    return SignaturePanel(
        status=status.value,
        status_label=status.label,
        badge=STATUS_BADGE[status],
        signed_version=plan.signed_version,
        current=current,
        signed=signed,
        can_sign=clinician and status in (SignatureStatus.UNSIGNED, SignatureStatus.AMENDED_UNSIGNED),
        can_hand_to_client=clinician
        and clinician_signed
        and not roles & set(CLIENT_SIGNATURE_ROLES)
        and plan.patient.practice.require_client_signature,
        can_cosign=open_plan
        and clinician_signed
        and SignatureRole.SUPERVISOR not in roles
        and plan.therapist.needs_supervision
        and plan.therapist.supervisor_id == user.pk,
    )
