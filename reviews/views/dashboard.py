"""The dashboard: what needs review, reviews awaiting the user's co-signature, plans awaiting signatures, measures
due, the caseload (a supervisor's and an admin's by therapist), notifications."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import cast

from django.urls import path
from django.utils.formats import date_format
from django.views.generic import TemplateView

from accounts.audit import Action, AuditContext, audit_record_many
from accounts.links import url_of
from accounts.models import User
from reviews import selectors
from reviews.selectors import CaseloadPlan, TherapistGroup
from treatment.measure_selectors import plans_with_measures_due
from treatment.models import TreatmentPlan


@dataclass(frozen=True)
class Day:
    """A date as the tables show it: ISO for `<time datetime>`, and as the `date` filter writes it."""

    iso: str
    text: str


@dataclass(frozen=True)
class PlanCells:
    """What the dashboard's tables show of one plan, worked out once however many sections list it."""

    plan: TreatmentPlan
    url: str
    #: "Last, First".
    patient: str
    patient_url: str
    #: Its overall progress as the page writes it (a number of 0-100 needs no localizing).
    progress: str
    started: Day
    #: None for a plan without a review date.
    next_review: Day | None
    #: Where it stands against its review date (None for a plan only the signature lists show).
    row: CaseloadPlan | None


@dataclass(frozen=True)
class GroupTable:
    """One supervisee's plans, as their table shows them."""

    group: TherapistGroup
    plans: list[PlanCells]


@dataclass
class DashboardTables:
    """The rows of every table of plans on the dashboard, in the order of the caseload and signature queues."""

    needs_review: list[PlanCells] = field(default_factory=list)
    mine: list[PlanCells] = field(default_factory=list)
    groups: list[GroupTable] = field(default_factory=list)
    to_cosign: list[PlanCells] = field(default_factory=list)
    to_sign: list[PlanCells] = field(default_factory=list)
    awaiting_client: list[PlanCells] = field(default_factory=list)
    awaiting_supervisor: list[PlanCells] = field(default_factory=list)


class _CellMaker:
    """Builds each plan's cells once, each distinct date's text once and each link without a `reverse()` per row:
    the tables' rows were most of the page's rendering."""

    def __init__(self) -> None:
        self._plan_url = url_of("plan-detail")
        self._patient_url = url_of("patient-detail")
        self._days: dict[datetime.date, Day] = {}
        self._cells: dict[uuid.UUID, PlanCells] = {}

    def _day(self, day: datetime.date) -> Day:
        if day not in self._days:
            self._days[day] = Day(iso=day.isoformat(), text=date_format(day))
        return self._days[day]

    def of(self, plan: TreatmentPlan, row: CaseloadPlan | None = None) -> PlanCells:
        cells = self._cells.get(plan.pk)
        if cells is None or (cells.row is None and row is not None):
            cells = PlanCells(
                plan=plan,
                url=self._plan_url(plan.pk),
                patient=f"{plan.patient.last_name}, {plan.patient.first_name}",
                patient_url=self._patient_url(plan.patient_id),
                progress=str(plan.overall_progress),
                started=self._day(plan.start_date),
                next_review=self._day(plan.next_review_date) if plan.next_review_date else None,
                row=row,
            )
            self._cells[plan.pk] = cells
        return cells

    def rows(self, rows: list[CaseloadPlan]) -> list[PlanCells]:
        return [self.of(row.plan, row) for row in rows]

    def plans(self, plans: list[TreatmentPlan]) -> list[PlanCells]:
        return [self.of(plan) for plan in plans]


def dashboard_tables(caseload: selectors.Caseload, signatures: selectors.SignatureQueues) -> DashboardTables:
    cells = _CellMaker()
    return DashboardTables(
        needs_review=cells.rows(caseload.needs_review),
        mine=cells.rows(caseload.mine),
        groups=[GroupTable(group=group, plans=cells.rows(group.plans)) for group in caseload.groups],
        to_cosign=cells.plans(signatures.to_cosign),
        to_sign=cells.plans(signatures.to_sign),
        awaiting_client=cells.plans(signatures.awaiting_client),
        awaiting_supervisor=cells.plans(signatures.awaiting_supervisor),
    )


class DashboardView(TemplateView):
    template_name = "reviews/dashboard.html"

    def get_context_data(self, **kwargs):
        user = cast(User, self.request.user)  # signed in: the login middleware saw to it
        practice = user.practice
        today = selectors.today_for(user)
        caseload = selectors.caseload(user, today)
        awaiting_cosign = list(selectors.reviews_awaiting_cosign(user))
        # The measures due on the user's own plans (three queries, however many); a practice admin carries none.
        due_plans = plans_with_measures_due([row.plan for row in caseload.mine], today)
        # Every plan on the page is a read of that patient's record (once, though it may show in two sections).
        shown = {plan.pk: plan for plan in caseload.plans}
        # The plans awaiting signatures are mostly the caseload's: the same objects, not loaded twice.
        signatures = selectors.signature_queues(user, known=shown)
        for review in awaiting_cosign:
            shown.setdefault(review.plan_id, review.plan)
        for plan in signatures.plans:
            shown.setdefault(plan.pk, plan)
        audit_record_many(AuditContext.from_request(self.request), Action.VIEW, shown.values())
        return super().get_context_data(
            today=today,
            caseload=caseload,
            tables=dashboard_tables(caseload, signatures),
            awaiting_cosign=awaiting_cosign,
            due_plans=due_plans,
            signatures=signatures,
            currency=selectors.plan_currency(user, today),
            latest_notifications=selectors.latest_unread_notifications(user),
            lead_days=practice.review_reminder_lead_days if practice is not None else None,
            **kwargs,
        )


urlpatterns = [path("dashboard/", DashboardView.as_view(), name="dashboard")]
