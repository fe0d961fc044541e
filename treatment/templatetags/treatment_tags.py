"""Treatment panels for pages of the apps to the left (accounts' patient page must not import treatment)."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.db.models import Case, Count, IntegerField, Value, When

from accounts.access import can
from accounts.audit import Action, AuditContext, audit_record_many
from treatment.instruments import INSTRUMENTS, Instrument
from treatment.measure_selectors import SafetyState, patient_safety, patient_scores
from treatment.models import Measurement, PlanStatus, ReviewStatus, TherapySession, TreatmentPlan
from treatment.score_selectors import ScoreChart, patient_charts
from treatment.services.common import is_clinician

register = template.Library()

#: How many sessions the patient page lists.
RECENT_SESSIONS = 10

STATUS_ORDER = Case(
    When(status=PlanStatus.ACTIVE, then=Value(0)),
    When(status=PlanStatus.ON_HOLD, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)

REVIEW_BADGE = {
    ReviewStatus.CURRENT: "ok",
    ReviewStatus.DUE_SOON: "warn",
    ReviewStatus.DUE: "warn",
    ReviewStatus.OVERDUE: "danger",
    ReviewStatus.NOT_REQUIRED: "inactive",
}


@register.inclusion_tag("treatment/_patient_plans.html", takes_context=True)
def patient_plans(context, patient, user):
    """The patient's plans (active, on hold, then closed) and recent sessions, as far as `user` may see them.

    Three queries whatever the number of plans and sessions: the plans, the sessions (with their plan
    and a count of goals addressed) and one INSERT auditing every row shown.
    """
    plans = list(
        TreatmentPlan.objects.restrict(user, "view")
        .filter(patient_id=patient.pk)
        .select_related("therapist")
        .annotate(status_order=STATUS_ORDER)
        .order_by("status_order", "-start_date", "-created_at")
    )
    sessions = list(
        TherapySession.objects.restrict(user, "view")
        .filter(patient_id=patient.pk)
        .select_related("plan")
        .annotate(n_goals=Count("goals_addressed"))
        .order_by("-session_date", "-created_at")[:RECENT_SESSIONS]
    )
    today = patient.practice.today()
    for plan in plans:
        plan.patient = patient  # the page's patient, with its practice: no query per plan
        plan.current_review_status = status = plan.review_status(today)
        plan.review_status_label = ReviewStatus(status).label
        plan.review_badge = REVIEW_BADGE[status]
    for session in sessions:
        session.patient = patient
    request = context.get("request")
    if request is not None and (plans or sessions):
        audit_record_many(AuditContext.from_request(request), Action.VIEW, [*plans, *sessions])
    can_change = context.get("can_change")
    if can_change is None:
        can_change = can(user, "change", patient)
    return {"patient": patient, "plans": plans, "sessions": sessions, "can_change": can_change, "user": user}


@dataclass(frozen=True)
class PatientMeasures:
    """The patient page's measures: a chart per instrument scored, the safety flags, what may be administered."""

    charts: list[ScoreChart]
    safety: SafetyState
    instruments: list[Instrument]
    #: Whether the user records risk assessments here (a clinician who may change the patient's records).
    can_assess: bool


@register.simple_tag(takes_context=True)
def patient_measures(context, patient, user) -> PatientMeasures:
    """The patient's scores (as charts and tables) and safety flags; the page has found the patient among those
    `user` may view. Three queries whatever the number of scores: the scores, the flags, and one INSERT auditing
    each measurement shown."""
    scores = patient_scores(patient.pk)
    request = context.get("request")
    if request is not None and scores:
        # Each score shown is a read of that measurement; the audit needs only its id and its patient.
        shown = [Measurement(pk=s.measurement_id, patient=patient) for series in scores.values() for s in series]
        audit_record_many(AuditContext.from_request(request), Action.VIEW, shown)
    return PatientMeasures(
        charts=patient_charts(scores),
        safety=patient_safety(patient.pk),
        instruments=list(INSTRUMENTS.values()),
        can_assess=bool(context.get("can_change")) and is_clinician(user),
    )
