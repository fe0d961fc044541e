"""manage.py seed_demo: realistic treatment plans for the demo patients, written through the services, with
reviews, review reminders and a progress report on top (the command lives in the reviews app since issue 4).

Covers: which patients get a plan (every active demo patient, not the discharged one), the shape of each
plan (real billable diagnoses, >= 2 long-term goals each with short-term goals each with objectives,
SMART fields, priorities, linked library interventions, months of weekly sessions with progress), the
trends (ratings improve, a few goals achieved, one discontinued), the variety the demo must show (every
review status, one plan on hold, one completed after its sessions), nothing dated in the future,
idempotence (a re-run creates and changes nothing), the audit trail, and practice isolation; that
system work such as the seed (an AuditContext without a user) can record session progress; and the reviews
demo: two plans with the review that set their review date (one co-signed), the demo therapist's due-soon,
due and overdue reminders (and her supervisor's overdue one), the supervisor's requests to co-sign the two
reviews (the co-signed one read), and one progress report asked for.
"""

import datetime
import io
import itertools

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts.audit import AuditContext
from accounts.models import AuditEvent, Patient, User
from reviews.models import Notification, PlanReview, PlanVersion, ProgressReport, ReportStatus, ReviewReminder
from treatment.diagnoses import lookup
from treatment.measures import progress_from
from treatment.models import (
    GoalIntervention,
    GoalProgress,
    GoalStatus,
    GoalType,
    Measurement,
    PlanAmendment,
    PlanStatus,
    ReviewStatus,
    SafetyFlag,
    SessionIntervention,
    SignatureStatus,
    TherapySession,
    TreatmentGoal,
    TreatmentPlan,
)
from treatment.services import session_record

pytestmark = pytest.mark.django_db
MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"

WITH_PLANS = {"RCC-1001", "RCC-1002", "RCC-1003", "RCC-1004", "RCC-1005", "RCC-1006", "HFT-2001"}
RIVERSIDE_STAFF = [
    "admin@riverside.example",
    "rivera@riverside.example",
    "lee@riverside.example",
    "patel@riverside.example",
]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeded once for the module (a run costs seconds), inside a transaction rolled back at the end.

    Each test runs in a savepoint within it, so what a test writes is undone before the next.
    """
    out = io.StringIO()
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=[MD5]), transaction.atomic():
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def plans():
    return {p.patient.external_id: p for p in TreatmentPlan.objects.select_related("patient__practice")}


def children(goal, goal_type):
    return [g for g in goal.sub_goals.all() if g.goal_type == goal_type]


def test_every_active_demo_patient_gets_a_plan_and_the_discharged_one_none(seeded):
    by_mrn = plans()

    assert set(by_mrn) == WITH_PLANS
    assert TreatmentPlan.objects.count() == len(WITH_PLANS)
    assert not TreatmentPlan.objects.filter(patient__status=Patient.Status.DISCHARGED).exists()
    for plan in by_mrn.values():
        assert plan.therapist == plan.patient.primary_therapist
        assert plan.created_by == plan.therapist


@pytest.mark.parametrize("mrn", sorted(WITH_PLANS))
def test_each_plan_is_a_full_clinical_plan(seeded, mrn):
    plan = plans()[mrn]

    assert plan.diagnosis_codes and plan.presenting_problems and plan.title
    for diagnosis in plan.diagnosis_codes:
        assert lookup(diagnosis["code"])["billable"], diagnosis
        assert diagnosis["description"]
    long_term = plan.goals.filter(goal_type=GoalType.LONG_TERM)
    assert 2 <= long_term.count() <= 3
    for goal in long_term:
        short_term = children(goal, GoalType.SHORT_TERM)
        assert 1 <= len(short_term) <= 2
        for short in short_term:
            objectives = children(short, GoalType.OBJECTIVE)
            assert 1 <= len(objectives) <= 3
            for objective in objectives:
                assert objective.measurable_criteria and objective.baseline_value and objective.target_value
                assert objective.target_date is not None
                assert objective.goal_interventions.exists()
                assert objective.progress_entries.exclude(rating=None).count() >= 3
    priorities = {g.parent_goal_id: [] for g in plan.goals.all()}
    for goal in plan.goals.all():
        priorities[goal.parent_goal_id].append(goal.priority)
    assert all(sorted(p) == list(range(1, len(p) + 1)) for p in priorities.values())
    assert plan.goals.exclude(smart={}).exists()
    assert GoalIntervention.objects.filter(goal__plan=plan).exclude(effectiveness_rating=None).exists()


@pytest.mark.parametrize("mrn", sorted(WITH_PLANS))
def test_each_plan_has_months_of_weekly_sessions_with_progress_and_nothing_in_the_future(seeded, mrn):
    plan = plans()[mrn]
    today = plan.local_today()
    sessions = list(plan.sessions.order_by("session_date"))

    assert 8 <= len(sessions) <= 20
    assert 7 * 7 <= (sessions[-1].session_date - sessions[0].session_date).days <= 5 * 31
    assert sessions[0].session_date == plan.start_date
    assert sessions[-1].session_date < today
    for earlier, later in itertools.pairwise(sessions):
        assert (later.session_date - earlier.session_date).days in (7, 14)
    for session in sessions:
        assert session.patient == plan.patient and session.therapist == plan.therapist
        assert session.progress_entries.exists()
        assert session.goals_addressed.exists()
        assert SessionIntervention.objects.filter(session=session).exists()
    entries = GoalProgress.objects.filter(goal__plan=plan)
    assert not entries.filter(recorded_at__gt=timezone.now()).exists()
    assert not entries.filter(session=None).exists()
    assert set(entries.values_list("recorded_by", flat=True)) == {plan.therapist.pk}


def test_progress_improves_and_rolls_up(seeded):
    by_mrn = plans()

    for plan in by_mrn.values():
        if plan.status == PlanStatus.ACTIVE:
            assert plan.overall_progress > 0, plan
        for objective in plan.goals.filter(goal_type=GoalType.OBJECTIVE).exclude(status=GoalStatus.DISCONTINUED):
            ratings = list(objective.progress_entries.exclude(rating=None).values_list("rating", flat=True))
            half = len(ratings) // 2
            assert sum(ratings[half:]) / (len(ratings) - half) > sum(ratings[:half]) / half, objective
            if objective.measure_instrument and objective.status != GoalStatus.ACHIEVED:
                # Driven by a measure: its progress is its scores' (treatment.measures), not its ratings'.
                assert objective.progress_percentage == progress_from(
                    objective.measure_baseline_used, objective.measure_target_score, objective.measure_last_score
                ), objective
                continue
            assert objective.progress_percentage == (
                100 if objective.status == GoalStatus.ACHIEVED else ratings[-1] * 10
            )
    statuses = list(TreatmentGoal.objects.values_list("status", flat=True))
    assert statuses.count(GoalStatus.ACHIEVED) >= 3
    assert statuses.count(GoalStatus.DISCONTINUED) == 1
    dropped = TreatmentGoal.objects.get(status=GoalStatus.DISCONTINUED)
    assert dropped.progress_entries.exists()
    assert "discontinued" in dropped.plan.notes


def test_every_review_status_and_a_plan_on_hold_and_one_completed(seeded):
    by_mrn = plans()
    open_plans = [p for p in by_mrn.values() if not p.is_closed]

    assert {p.review_status() for p in open_plans} >= {
        ReviewStatus.CURRENT,
        ReviewStatus.DUE_SOON,
        ReviewStatus.DUE,
        ReviewStatus.OVERDUE,
    }
    assert [p.status for p in by_mrn.values()].count(PlanStatus.ON_HOLD) == 1
    completed = TreatmentPlan.objects.get(status=PlanStatus.COMPLETED)
    last_session = completed.sessions.order_by("-session_date").first().session_date
    assert completed.actual_end_date == last_session
    assert completed.review_status() == ReviewStatus.NOT_REQUIRED
    assert completed.goals.filter(status=GoalStatus.ACHIEVED).count() >= 3


def snapshot():
    return {
        "plans": set(TreatmentPlan.objects.values_list("id", "updated_at", "status", "overall_progress", "notes")),
        "goals": set(TreatmentGoal.objects.values_list("id", "updated_at", "status", "progress_percentage")),
        "links": set(GoalIntervention.objects.values_list("id", "updated_at", "effectiveness_rating")),
        "sessions": set(TherapySession.objects.values_list("id", "updated_at")),
        "progress": set(GoalProgress.objects.values_list("id", "rating")),
        "session_interventions": SessionIntervention.objects.count(),
        "treatment_audit": AuditEvent.objects.filter(object_type__startswith="treatment.").count(),
        "reviews": set(PlanReview.objects.values_list("id", "cosigned_at")),
        "versions": set(PlanVersion.objects.values_list("id", flat=True)),
        "reminders": set(ReviewReminder.objects.values_list("id", "resolved_at")),
        "notifications": set(Notification.objects.values_list("id", "read_at")),
        "reports": set(ProgressReport.objects.values_list("id", flat=True)),
        "reviews_audit": AuditEvent.objects.filter(object_type__startswith="reviews.").count(),
    }


def test_rerunning_creates_and_changes_nothing(seeded):
    first = snapshot()
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert snapshot() == first
    assert len(first["plans"]) == len(WITH_PLANS)
    assert "7 treatment plans" in seeded
    assert (
        "44 measurements, 2 safety flags, 2 plan reviews, 9 plan signatures, 6 review reminders, 14 notifications, "
        "1 progress reports." in seeded
    )
    assert (
        "New: 0 patients, 0 treatment plans, 0 goals, 0 sessions, 0 progress entries, 0 measurements, "
        "0 safety flags, 0 plan reviews, 0 plan signatures, "
        "0 review reminders, 0 notifications, 0 progress reports." in out.getvalue()
    )


def test_plans_are_written_through_the_services_with_an_audit_trail(seeded):
    events = AuditEvent.objects.filter(user_agent="manage.py seed_demo")

    assert events.filter(object_type="treatment.treatmentplan", action="create").count() == len(WITH_PLANS)
    assert events.filter(object_type="treatment.therapysession").count() == TherapySession.objects.count()
    assert events.filter(object_type="treatment.goalprogress").count() == GoalProgress.objects.count()
    assert (
        events.filter(object_type="treatment.treatmentgoal", action="create").count() == TreatmentGoal.objects.count()
    )


@pytest.mark.parametrize("email", RIVERSIDE_STAFF)
def test_the_harbor_plan_is_invisible_to_riverside_staff(seeded, email):
    user = User.objects.get(email=email)
    harbor = TreatmentPlan.objects.get(patient__external_id="HFT-2001")

    visible = TreatmentPlan.objects.restrict(user, "view")

    assert harbor not in visible
    assert visible.exists()
    assert not TherapySession.objects.restrict(user, "view").filter(plan=harbor).exists()


@pytest.mark.parametrize("email", ["admin@harbor.example", "nguyen@harbor.example"])
def test_harbor_staff_see_only_the_harbor_plan(seeded, email):
    visible = TreatmentPlan.objects.restrict(User.objects.get(email=email), "view")

    assert list(visible.values_list("patient__external_id", flat=True)) == ["HFT-2001"]


def test_lee_sees_the_plans_of_her_own_patients(seeded):
    visible = TreatmentPlan.objects.restrict(User.objects.get(email="lee@riverside.example"), "view")

    assert set(visible.values_list("patient__external_id", flat=True)) == {"RCC-1001", "RCC-1002", "RCC-1003"}


def test_progress_recorded_by_system_work_is_attributed_to_the_sessions_therapist(tree, patient):
    """A system context has no user; GoalProgress.recorded_by is required, so it must fall back.

    session_record already falls back to the primary therapist for the session itself; the
    progress entries it writes must name the same person instead of failing on a NULL.
    """
    session = session_record(
        by=AuditContext.system("partner import"),
        patient=patient,
        session_date=datetime.date(2026, 10, 1),
        duration_minutes=50,
        progress=[{"goal": tree["objective"], "progress_note": "Practiced daily", "rating": 6}],
    )

    entry = GoalProgress.objects.get(session=session)
    assert entry.recorded_by == session.therapist == patient.primary_therapist


def test_two_plans_carry_the_review_that_set_their_review_date(seeded):
    by_mrn = plans()

    reviewed = {review.plan.patient.external_id: review for review in PlanReview.objects.select_related("plan")}
    assert set(reviewed) == {"RCC-1002", "RCC-1004"}
    for mrn, review in reviewed.items():
        plan = by_mrn[mrn]
        assert review.reviewer == plan.therapist
        assert review.next_review_date == plan.next_review_date
        assert review.review_date == plan.next_review_date - datetime.timedelta(days=plan.review_frequency_days)
        assert review.review_date >= plan.start_date
        assert review.summary and review.modifications_made
        assert plan.version == 2 and review.version == 1
        assert PlanVersion.objects.get(plan=plan, number=1).review == review
    assert reviewed["RCC-1002"].cosigned_by == User.objects.get(email="rivera@riverside.example")
    assert reviewed["RCC-1004"].cosigned_by is None


def test_the_demo_therapist_finds_her_review_reminders_at_once(seeded):
    lee = User.objects.get(email="lee@riverside.example")
    rivera = User.objects.get(email="rivera@riverside.example")
    by_mrn = plans()

    # The review reminders and co-sign requests (the safety alerts are the measures' test's, the unsigned-plan
    # reminders the signatures' test's).
    reminders = Notification.objects.filter(measurement=None).exclude(kind="unsigned").select_related("plan__patient")
    mine = {n.plan.patient.external_id: n for n in reminders.for_user(lee)}
    assert {mrn: n.kind for mrn, n in mine.items()} == {
        "RCC-1001": "due",
        "RCC-1002": "overdue",
        "RCC-1003": "due_soon",
    }
    assert mine["RCC-1001"].title == "Plan review due today — E.C."
    assert mine["RCC-1002"].title == "Plan review overdue — M.J."
    assert mine["RCC-1003"].title.startswith("Plan review due in ")
    assert all(n.link == f"/plans/{by_mrn[mrn].pk}/" and n.read_at is None for mrn, n in mine.items())
    # Rivera: the overdue reminder of Lee's plan, and a request to co-sign each review of her supervisees'
    # plans; the co-signed one (RCC-1002) is read, the other (RCC-1004, Patel's) still awaits her.
    theirs = [
        (n.kind, n.plan.patient.external_id, n.read_at is None)
        for n in Notification.objects.filter(measurement=None).for_user(rivera).select_related("plan__patient")
    ]
    assert theirs == [
        ("unsigned", "RCC-1004", True),
        ("overdue", "RCC-1002", True),
        ("cosign_requested", "RCC-1004", True),
        ("cosign_requested", "RCC-1002", False),
    ]
    assert reminders.get(recipient=rivera, kind="cosign_requested", read_at=None).title == ("Review to co-sign — D.K.")
    # Beyond Lee's and Rivera's, only unsigned-plan reminders (Patel's RCC-1004, Nguyen's Harbor plan).
    assert not Notification.objects.exclude(recipient__in=[lee, rivera]).exclude(kind="unsigned").exists()
    assert ReviewReminder.objects.filter(resolved_at=None).exclude(kind="unsigned").count() == 3


def test_one_progress_report_is_asked_for(seeded):
    report = ProgressReport.objects.get()

    assert report.plan == plans()["RCC-1001"]
    assert report.requested_by == report.plan.therapist
    assert report.status == ReportStatus.PENDING  # rendered by the worker once the seed commits
    assert report.period_end == report.plan.local_today()


def test_the_patients_have_months_of_scores_an_objective_per_open_plan_and_one_open_flag(seeded):
    by_mrn = plans()
    for mrn, plan in by_mrn.items():
        scores = list(Measurement.objects.filter(patient=plan.patient).order_by("administered_on", "created_at"))
        primary = [m for m in scores if m.session_id is not None and m.instrument == scores[0].instrument]
        assert len(primary) >= 3, mrn
        assert (primary[-1].administered_on - primary[0].administered_on).days >= 49, mrn
        assert all(m.session.plan_id == plan.pk and m.administered_on == m.session.session_date for m in scores)
        assert not [m for m in scores if m.administered_on > plan.local_today()]
        driven = list(plan.goals.exclude(measure_instrument=""))
        if plan.is_closed:
            assert driven == [], mrn
            continue
        [objective] = driven
        assert objective.goal_type == GoalType.OBJECTIVE and objective.measure_last_score is not None, mrn
        assert objective.measure_instrument == scores[0].instrument
    # The measured long-term goals' instruments: "15 -> 5 GAD-7" gives the GAD-7, starting near 15.
    gad7 = Measurement.objects.filter(patient=by_mrn["RCC-1001"].patient, instrument="gad7").order_by("administered_on")
    assert abs(gad7.first().total_score - 15) <= 2 and gad7.last().total_score < gad7.first().total_score
    assert Measurement.objects.filter(patient=by_mrn["RCC-1004"].patient, instrument="pcl5").count() >= 3
    # One open safety flag (M.J.'s latest PHQ-9), after an earlier one cleared by a recorded assessment.
    flags = list(SafetyFlag.objects.order_by("raised_at"))
    assert [(f.patient.external_id, f.status) for f in flags] == [("RCC-1002", "cleared"), ("RCC-1002", "open")]
    assert flags[0].assessment.assessed_by == by_mrn["RCC-1002"].therapist
    alerts = Notification.objects.exclude(measurement=None)
    assert sorted(alerts.values_list("kind", "recipient__email")) == [
        ("safety_flag", "lee@riverside.example"),
        ("safety_flag", "lee@riverside.example"),
        ("safety_flag", "rivera@riverside.example"),
        ("safety_flag", "rivera@riverside.example"),
    ]


def test_every_signature_state_with_a_declined_client_signature_and_a_supervised_clinician(seeded):
    from reviews.models import PlanSignature

    states = {mrn: (plan.signature_status, plan.signed_version) for mrn, plan in plans().items()}
    assert {mrn: states[mrn] for mrn in ("RCC-1001", "RCC-1002", "RCC-1003", "RCC-1004", "RCC-1005", "HFT-2001")} == {
        "RCC-1001": ("signed", 1),
        "RCC-1002": ("signed", 1),
        "RCC-1003": ("awaiting_client", None),
        "RCC-1004": ("awaiting_supervisor", None),
        "RCC-1005": ("unsigned", None),
        "HFT-2001": ("amended_unsigned", 1),
    }
    assert {status for status, _ in states.values()} == set(SignatureStatus.values), "every state is shown"
    amendment = PlanAmendment.objects.get(plan__patient__external_id="HFT-2001")
    assert (amendment.reason, amendment.amends_version) == ("Client asked to add evening practice after the review", 1)
    assert [(c["object"], c["fields"]) for c in amendment.changes] == [("goal", ["description"])]
    goal = TreatmentGoal.objects.get(pk=amendment.changes[0]["id"])
    assert goal.description.endswith("with a short evening practice")
    declined = PlanSignature.objects.get(plan__patient__external_id="RCC-1002", role="client")
    assert (declined.method, declined.signer_name) == ("declined", "Marcus Johnson")
    assert declined.reason.startswith("Agrees with the goals but wants to read the plan at home")
    drawn = PlanSignature.objects.get(plan__patient__external_id="RCC-1001", role="client")
    assert drawn.method == "drawn" and drawn.image_data_url.startswith("data:image/png;base64,")
    patel = User.objects.get(email="patel@riverside.example")
    assert patel.needs_supervision is True
    assert plans()["RCC-1004"].therapist == patel
    lee = User.objects.get(email="lee@riverside.example")
    unsigned = Notification.objects.for_user(lee).filter(kind="unsigned").select_related("plan__patient")
    assert [(n.plan.patient.external_id, n.title) for n in unsigned] == [
        ("RCC-1003", "Treatment plan not yet signed — S.M.")
    ]
