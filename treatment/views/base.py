"""The base of every page about a plan or a record under one (a goal, an intervention's link, a review...).

`PlanPage` is `accounts.pages.PatientDataPage` with the plan: the record and its plan (with the patient,
the practice and the therapist) come in the one lookup, and a page that writes answers a closed plan with
the one answer every path gives, 409 (`accounts.concurrency.RecordClosed`, raised by `require_open`;
`accounts.middleware.RecordClosedMiddleware` renders it, or sends htmx to the plan page). The services
check the same under the plan's lock, which is what decides a race; the page's check only spares the
user a form they could never save.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from accounts.pages import PatientDataPage
from treatment.models import TreatmentPlan
from treatment.services.common import require_open


class PlanPage(PatientDataPage):
    """A page about a plan (`plan_path = ""`) or a record under one (`plan_path`: the lookup to its plan)."""

    model: type[models.Model] | None = TreatmentPlan
    plan_path = ""

    def records(self) -> models.QuerySet:
        prefix = f"{self.plan_path}__" if self.plan_path else ""
        return super().records().select_related(f"{prefix}patient__practice", f"{prefix}therapist")

    @property
    def plan(self) -> TreatmentPlan:
        record = self.object
        for step in filter(None, self.plan_path.split("__")):
            record = getattr(record, step)
        return record

    def check_writable(self, record: Any) -> None:
        require_open(self.plan)


def respond(request, partial: str, page: str, context: dict):
    """The partial for htmx, the full page otherwise (the one place that decides)."""
    response = render(request, partial if request.htmx else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def refresh_etag(form, etag: str) -> None:
    """After a conflict the form keeps what was typed and now names the current state, so saving again
    is a deliberate overwrite."""
    form.data = form.data.copy()
    form.data["etag"] = etag
