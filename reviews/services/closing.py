"""Closing a plan seals its final version: the plan as it was closed, with the reason, read-only for good."""

from __future__ import annotations

from typing import Any

from accounts.audit import AuditContext
from reviews.models import PlanVersion
from reviews.services.versions import version_seal
from treatment.models import TreatmentPlan


def version_seal_on_close(*, by: AuditContext, plan: TreatmentPlan, **kwargs: Any) -> PlanVersion:
    """Seal the closed plan's current version (the receiver of `treatment.signals.plan_closed`).

    It runs inside the closing transaction, under the plan's lock. The plan keeps its version number: a
    closed plan is never reviewed again, so no later version can take it.
    """
    return version_seal(by=by, plan=plan)
