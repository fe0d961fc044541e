"""The signed version a plan's export names, through a seam: signatures live in `reviews`, which treatment may not
import (the layers), so `reviews` registers the reader when it is ready (`reviews.fhir`)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from treatment.models import TreatmentPlan


@dataclass(frozen=True)
class SignedVersion:
    """The plan's version in force: its number, the SHA-256 its signatures carry, and when it was fully signed."""

    number: int
    content_hash: str
    signed_at: datetime.datetime


SignedVersionReader = Callable[[TreatmentPlan], "SignedVersion | None"]
_readers: list[SignedVersionReader] = []


def register_signed_version_reader(reader: SignedVersionReader) -> None:
    """Set the one reader of a plan's signed version (registering again replaces it)."""
    _readers[:] = [reader]


def signed_version_of(plan: TreatmentPlan) -> SignedVersion | None:
    """The plan's signed version with its hash, or None: never signed, or no reader registered (then the export
    says only the number the plan carries, `TreatmentPlan.signed_version`)."""
    if plan.signed_version is None or not _readers:
        return None
    return _readers[0](plan)
