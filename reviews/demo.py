"""Demo reviews, reminders and a progress report, on top of the demo plans (`treatment.demo`).

Written through the reviews services as the plans' clinicians, like the rest of the demo. Two plans carry
the review that set their current review date (one co-signed by the therapist's supervisor); then the
plans are signed in every signature state (`reviews.demo_signatures`); then the reminder sweep runs, so the
demo therapist (lee@riverside.example) finds her due-soon, due-today and overdue reminders at once and her
supervisor the overdue one, and unsigned plans remind their clinicians; and one PDF progress report is asked for.
Idempotent: a plan that has a review, or a report, gets none again; the sweep never sends a reminder twice.
"""

from __future__ import annotations

import dataclasses
import datetime

from accounts.audit import AuditContext
from accounts.models import User
from reviews.demo_signatures import CLIENT_SIGNATURES, seed_signatures
from reviews.models import PlanReview, ProgressReport
from reviews.services.reminders import review_reminders_send
from reviews.services.reports import report_request
from reviews.services.reviews import review_cosign, review_record
from treatment.demo import PLANS, parse_plan
from treatment.models import TreatmentPlan

# MRN: (summary, modifications made, co-signed by the therapist's supervisor)
REVIEWS = {
    "RCC-1002": (
        "Twelve-week review. PHQ-9 down from 17 to 12; activity scheduling is routine and walking has replaced "
        "basketball after the knee injury. Self-criticism and the job search lag behind.",
        "Pickup basketball objective discontinued (knee injury); walking objective added. Job-search goal added.",
        True,
    ),
    "RCC-1004": (
        "Eight-week review. PCL-5 down from 52 to 41; impact statement revised twice; grounding used for most "
        "intrusions. Highway driving still avoided: in-vivo hierarchy to start.",
        "In-vivo driving exposure added after the CPT sessions; nightmare rescripting continues.",
        False,
    ),
}
#: Whose progress report the demo asks for, and who asks.
REPORT_FOR = "RCC-1001"


def seed_reviews(by: AuditContext, plans: dict[str, TreatmentPlan]) -> None:
    """Review history, reminders and a report for the demo plans ({MRN: plan}); see the module docstring."""
    for mrn, (summary, modifications, cosign) in REVIEWS.items():
        plan = plans.get(mrn)
        if plan is None or plan.reviews.exists() or plan.is_closed:
            continue
        _review(by, plan, summary, modifications, cosign)
    # Signed after the reviews (a signature seals the plan as it then stands), before the sweep reminds of
    # the plans still unsigned.
    seed_signatures(by, plans)
    review_reminders_send(by=by)
    plan = plans.get(REPORT_FOR)
    if plan is not None and not ProgressReport.objects.filter(plan=plan).exists():
        report_request(by=dataclasses.replace(by, user=plan.therapist), plan=plan)


def demo_plans() -> dict[str, TreatmentPlan]:
    """The demo plans by their patient's MRN (a plan of the demo's title for the demo patient)."""
    wanted = (*REVIEWS, REPORT_FOR, *CLIENT_SIGNATURES)
    titles = {mrn: parse_plan(outline)[0]["title"] for mrn, outline in PLANS.items() if mrn in wanted}
    plans = TreatmentPlan.objects.filter(patient__external_id__in=titles, title__in=titles.values())
    return {
        plan.patient.external_id: plan
        for plan in plans.select_related("patient__practice", "therapist__supervisor")
        if titles[plan.patient.external_id] == plan.title
    }


def _review(by: AuditContext, plan: TreatmentPlan, summary: str, modifications: str, cosign: bool) -> PlanReview:
    """The review that set the plan's current review date, one review interval before it."""
    due = plan.next_review_date
    review_date = max(due - datetime.timedelta(days=plan.review_frequency_days), plan.start_date)
    review = review_record(
        by=dataclasses.replace(by, user=plan.therapist),
        plan=plan,
        review_date=review_date,
        summary=summary,
        modifications_made=modifications,
        next_review_date=due,
    )
    supervisor: User | None = plan.therapist.supervisor
    if cosign and supervisor is not None:
        review_cosign(by=dataclasses.replace(by, user=supervisor), review=review)
    return review
