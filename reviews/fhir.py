"""What the FHIR export of a plan says of its signed version (treatment's `signed_version_of` seam)."""

from __future__ import annotations

from reviews.models import PlanSignature
from treatment.fhir.signing import SignedVersion, register_signed_version_reader
from treatment.models import TreatmentPlan


def signed_version(plan: TreatmentPlan) -> SignedVersion | None:
    """The plan's version in force with the hash its signatures carry and when its last signature completed it
    (one query); None if it has no signature (a plan that says it is signed always has)."""
    if plan.signed_version is None:
        return None
    row = (
        PlanSignature.objects.filter(plan_id=plan.pk, version__number=plan.signed_version)
        .order_by("-signed_at", "-id")
        .values_list("content_hash", "signed_at")
        .first()
    )
    if row is None:
        return None
    return SignedVersion(number=plan.signed_version, content_hash=row[0], signed_at=row[1])


def register() -> None:
    register_signed_version_reader(signed_version)
