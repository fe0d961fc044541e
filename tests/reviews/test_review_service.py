"""review_record and review_cosign: a review seals the plan's version, moves its review date, settles reminders.

Every refusal is checked against the database afterwards: a refused review wrote nothing (no review, no
version, no goal change, the plan's version and review date where they were).
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.audit import AuditContext
from accounts.concurrency import RecordClosed, StaleWrite
from accounts.models import AuditEvent, Role
from reviews.models import Notification, PlanReview, PlanVersion, ReminderKind, ReviewReminder
from reviews.services.reviews import review_cosign, review_record
from tests.factories import GoalFactory, PatientFactory, PlanFactory, UserFactory
from treatment.models import GoalStatus, TreatmentGoal, TreatmentPlan
from treatment.services import goal_intervention_update, plan_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(practice):
    return practice.today()


def by(user):
    return AuditContext.system("tests", user=user)


def record(user, plan, **fields):
    fields.setdefault("review_date", plan.patient.practice.today())
    fields.setdefault("summary", "Worry down; sleep still poor. Keep the breathing practice.")
    return review_record(by=by(user), plan=plan, **fields)


def state(plan):
    """Everything a refused review must leave as it was."""
    fresh = TreatmentPlan.objects.get(pk=plan.pk)
    goals = sorted(TreatmentGoal.objects.filter(plan=plan).values_list("id", "status", "progress_percentage"))
    return (
        PlanReview.objects.filter(plan=plan).count(),
        PlanVersion.objects.filter(plan=plan).count(),
        fresh.version,
        fresh.next_review_date,
        fresh.updated_at,
        goals,
    )


# --- recording ---------------------------------------------------------------------------------


def test_review_seals_version_and_moves_the_next_review_by_the_frequency(owner, plan, tree, today):
    review = record(owner, plan, goals_reviewed=3, goals_on_track=1, modifications_made="Added a sleep goal.")

    plan.refresh_from_db()
    assert review.version == 1
    assert plan.version == 2
    assert review.next_review_date == today + datetime.timedelta(days=90)
    assert plan.next_review_date == review.next_review_date
    assert (review.reviewer, review.goals_reviewed, review.goals_on_track) == (owner, 3, 1)
    assert review.modifications_made == "Added a sleep goal."
    version = PlanVersion.objects.get(plan=plan)
    assert (version.number, version.review, version.created_by) == (1, review, owner)


def test_given_next_review_date_is_kept(owner, plan, tree, today):
    wanted = today + datetime.timedelta(days=30)

    review = record(owner, plan, next_review_date=wanted)

    plan.refresh_from_db()
    assert review.next_review_date == wanted == plan.next_review_date


def test_review_frequency_of_the_plan_sets_the_default(owner, patient, today):
    plan = PlanFactory(patient=patient, review_frequency_days=30)

    review = record(owner, plan, review_date=today - datetime.timedelta(days=2))

    assert review.next_review_date == today + datetime.timedelta(days=28)


def test_the_snapshot_is_the_plan_as_reviewed(owner, plan, tree, today):
    objective = tree["objective"]
    link = objective.goal_interventions.get()
    goal_intervention_update(by=by(owner), link=link, effectiveness_rating=4)

    record(owner, plan)

    snapshot = PlanVersion.objects.get(plan=plan).snapshot
    assert snapshot["plan"]["title"] == "Anxiety Management Plan"
    assert snapshot["plan"]["version"] == 1
    assert snapshot["plan"]["status"] == "active"
    assert snapshot["plan"]["therapist"] == owner.get_full_name()
    assert [d["code"] for d in snapshot["plan"]["diagnosis_codes"]] == ["F41.1"]
    assert snapshot["plan"]["diagnosis_codes"][0]["description"]
    assert snapshot["plan"]["presenting_problems"] == ["chronic worry", "sleep difficulties"]
    assert snapshot["plan"]["start_date"] == "2026-09-01"
    # Tree order: the long-term goal, its short-term goal, the objective.
    assert [g["id"] for g in snapshot["goals"]] == [str(tree[k].pk) for k in ("long_term", "short_term", "objective")]
    goal = snapshot["goals"][2]
    assert goal["parent_goal_id"] == str(tree["short_term"].pk)
    assert (goal["goal_type"], goal["status"], goal["progress_percentage"]) == ("objective", "not_started", 0)
    assert goal["interventions"] == [
        {
            "intervention_id": str(link.intervention_id),
            "name": "Deep Breathing",
            "modality": link.intervention.modality,
            "frequency": "every session",
            "effectiveness_rating": 4,
        }
    ]


def test_goal_changes_are_applied_before_the_version_is_sealed(owner, plan, tree):
    objective, long_term = tree["objective"], tree["long_term"]

    review = record(
        owner,
        plan,
        goal_changes={
            str(objective.pk): {"status": "in_progress", "progress_percentage": 60, "current_value": "5 days a week"},
        },
    )

    objective.refresh_from_db()
    long_term.refresh_from_db()
    assert (objective.status, objective.progress_percentage, objective.current_value) == (
        GoalStatus.IN_PROGRESS,
        60,
        "5 days a week",
    )
    assert long_term.progress_percentage == 60  # rolled up through the short-term goal
    goals = {g["id"]: g for g in PlanVersion.objects.get(plan=plan).snapshot["goals"]}
    assert goals[str(objective.pk)]["status"] == "in_progress"
    assert goals[str(objective.pk)]["progress_percentage"] == 60
    assert goals[str(objective.pk)]["current_value"] == "5 days a week"
    assert goals[str(long_term.pk)]["progress_percentage"] == 60
    assert PlanVersion.objects.get(plan=plan).snapshot["plan"]["overall_progress"] == 60
    # The rollup started the goals above; all three are on track now.
    assert (review.goals_reviewed, review.goals_on_track) == (3, 3)


def test_default_counts_leave_out_discontinued_goals_and_count_achieved_and_in_progress(owner, plan, tree):
    review = record(
        owner,
        plan,
        goal_changes={
            str(tree["objective"].pk): {"status": "achieved"},
            str(tree["short_term"].pk): {"status": "discontinued"},
        },
    )

    # The long-term goal (in progress: its objective is achieved) and the objective; not the discontinued one.
    assert (review.goals_reviewed, review.goals_on_track) == (2, 2)


def test_default_counts_on_a_fresh_plan(owner, plan, tree):
    review = record(owner, plan)

    assert (review.goals_reviewed, review.goals_on_track) == (3, 0)


def test_each_review_seals_the_next_version(owner, plan, tree, today):
    first = record(owner, plan, review_date=today - datetime.timedelta(days=10))
    second = record(owner, plan, goal_changes={str(tree["objective"].pk): {"status": "achieved"}})

    plan.refresh_from_db()
    assert (first.version, second.version, plan.version) == (1, 2, 3)
    versions = {v.number: v.snapshot for v in PlanVersion.objects.filter(plan=plan)}
    assert sorted(versions) == [1, 2]
    assert versions[1]["goals"][2]["status"] == "not_started"
    assert versions[2]["goals"][2]["status"] == "achieved"
    # Version 2 was reviewed with the review date the first review set.
    assert versions[2]["plan"]["next_review_date"] == first.next_review_date.isoformat()


def test_the_plan_etag_changes(owner, plan, tree):
    before = TreatmentPlan.objects.get(pk=plan.pk).etag

    record(owner, plan)

    assert TreatmentPlan.objects.get(pk=plan.pk).etag != before


def test_the_review_and_the_plan_change_are_audited(owner, plan, tree):
    review = record(owner, plan)

    created = AuditEvent.objects.get(action="create", object_type="reviews.planreview", object_id=str(review.pk))
    assert created.patient == plan.patient
    assert created.user == owner
    assert created.changes["summary"][1].startswith("Worry down")
    updated = AuditEvent.objects.filter(action="update", object_type="treatment.treatmentplan", object_id=str(plan.pk))
    assert updated.get().changes["version"] == [1, 2]
    assert AuditEvent.objects.filter(action="create", object_type="reviews.planversion").count() == 1


# --- reminders ---------------------------------------------------------------------------------


def test_recording_a_review_settles_the_plans_open_reminders_and_their_notifications(owner, supervisor, patient, plan):
    other_plan = PlanFactory(patient=patient, title="Sleep plan")
    due = plan.next_review_date
    reminder = ReviewReminder.objects.create(plan=plan, kind=ReminderKind.DUE_SOON, due_date=due)
    overdue = ReviewReminder.objects.create(plan=plan, kind=ReminderKind.OVERDUE, due_date=due)
    elsewhere = ReviewReminder.objects.create(plan=other_plan, kind=ReminderKind.DUE_SOON, due_date=due)
    for r in (reminder, overdue, elsewhere):
        for user in (owner, supervisor):
            Notification.objects.create(recipient=user, kind="review_due", title="Review due", plan=r.plan, reminder=r)
    unrelated = Notification.objects.create(recipient=owner, kind="report_ready", title="Report ready", plan=plan)

    record(owner, plan)

    assert set(ReviewReminder.objects.filter(resolved_at__isnull=True)) == {elsewhere}
    # Still unread: the other plan's reminders, the unrelated notification, and the new request to co-sign.
    assert set(Notification.objects.filter(read_at__isnull=True)) == {
        *Notification.objects.filter(reminder=elsewhere),
        unrelated,
        Notification.objects.get(kind="cosign_requested", recipient=supervisor, plan=plan),
    }


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"summary": "   "}, "summary"),
        ({"review_date": "future"}, "review_date"),
        ({"review_date": datetime.date(2026, 8, 31)}, "review_date"),
        ({"next_review_date": "same"}, "next_review_date"),
        ({"next_review_date": "before"}, "next_review_date"),
        ({"goals_reviewed": 2, "goals_on_track": 3}, "goals_on_track"),
        ({"goals_reviewed": -1}, "goals_reviewed"),
        ({"goals_on_track": -1}, "goals_on_track"),
    ],
    ids=["blank-summary", "future", "before-start", "next-same-day", "next-before", "on-track-gt", "neg", "neg-track"],
)
def test_invalid_review_is_refused_naming_the_field_and_changes_nothing(owner, plan, tree, today, fields, field):
    fields = dict(fields)
    dates = {
        "future": today + datetime.timedelta(days=1),
        "same": today,
        "before": today - datetime.timedelta(days=1),
    }
    for name in ("review_date", "next_review_date"):
        if isinstance(fields.get(name), str):
            fields[name] = dates[fields[name]]
    # A goal change that would be valid is rolled back with the rest.
    fields["goal_changes"] = {str(tree["objective"].pk): {"status": "achieved"}}
    before = state(plan)

    with pytest.raises(ValidationError) as refused:
        record(owner, plan, **fields)

    assert field in refused.value.message_dict
    assert state(plan) == before


def test_every_invalid_field_is_named_at_once(owner, plan, today):
    with pytest.raises(ValidationError) as refused:
        record(owner, plan, summary="", review_date=today, next_review_date=today, goals_on_track=-2)

    assert {"summary", "next_review_date", "goals_on_track"} <= set(refused.value.message_dict)


def test_a_refused_goal_change_rolls_back_the_goal_changes_before_it(owner, plan, tree):
    before = state(plan)

    with pytest.raises(ValidationError) as refused:
        record(
            owner,
            plan,
            goal_changes={
                str(tree["objective"].pk): {"status": "achieved"},
                # A goal with sub-goals has its progress calculated.
                str(tree["long_term"].pk): {"progress_percentage": 10},
            },
        )

    assert f"goal_changes[{tree['long_term'].pk}].progress_percentage" in refused.value.message_dict
    assert state(plan) == before


def test_a_goal_of_another_plan_is_refused(owner, patient, plan, tree):
    other = PlanFactory(patient=patient, title="Sleep plan")

    stranger = GoalFactory(plan=other)
    before = state(plan)

    with pytest.raises(ValidationError) as refused:
        record(owner, plan, goal_changes={str(stranger.pk): {"status": "achieved"}})

    assert "goal_changes" in refused.value.message_dict
    assert state(plan) == before
    stranger.refresh_from_db()
    assert stranger.status == GoalStatus.NOT_STARTED


def test_a_review_changes_only_status_progress_and_current_value_of_a_goal(owner, plan, tree):
    with pytest.raises(ValidationError) as refused:
        record(owner, plan, goal_changes={str(tree["objective"].pk): {"description": "Something else"}})

    assert f"goal_changes[{tree['objective'].pk}]" in refused.value.message_dict


@pytest.mark.parametrize("status", ["completed", "discontinued"])
def test_a_closed_plan_is_not_reviewed(owner, plan, tree, status):
    plan_update(by=by(owner), plan=plan, status=status, status_reason="Closed in a test.")
    before = state(plan)

    with pytest.raises(RecordClosed) as refused:
        record(owner, plan)

    assert refused.value.message == f"This plan is {status}; its record is closed to changes."
    assert refused.value.url == plan.get_absolute_url()
    assert state(plan) == before


def test_a_plan_on_hold_is_reviewed(owner, plan, tree):
    plan_update(by=by(owner), plan=plan, status="on_hold")

    assert record(owner, plan).version == 1


def test_a_stale_if_match_is_refused(owner, plan, tree):
    etag = TreatmentPlan.objects.get(pk=plan.pk).etag
    plan_update(by=by(owner), plan=plan, title="Renamed by someone else")
    before = state(plan)

    with pytest.raises(StaleWrite):
        record(owner, plan, if_match=etag)

    assert state(plan) == before


def test_the_current_if_match_is_accepted(owner, plan, tree):
    etag = TreatmentPlan.objects.get(pk=plan.pk).etag

    assert record(owner, plan, if_match=etag).version == 1
    # The review changed the plan: the same tag is stale now.
    with pytest.raises(StaleWrite):
        record(owner, plan, if_match=etag)


@pytest.mark.parametrize("role", ["supervisor", "colleague", "outsider_admin"])
def test_only_who_may_change_the_plan_records_a_review(cast, plan, tree, role):
    before = state(plan)

    with pytest.raises(PermissionDenied):
        record(cast[role], plan)

    assert state(plan) == before


def test_a_practice_admin_records_a_review(practice_admin, plan, tree):
    assert record(practice_admin, plan).reviewer == practice_admin


# --- immutability ------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_refuses_to_change_or_delete_a_version(owner, plan, tree):
    record(owner, plan)
    version = PlanVersion.objects.get(plan=plan)

    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        PlanVersion.objects.filter(pk=version.pk).update(snapshot={"tampered": True})
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        PlanVersion.objects.filter(pk=version.pk).delete()

    assert PlanVersion.objects.get(pk=version.pk).snapshot["plan"]["title"] == "Anxiety Management Plan"


def test_a_version_number_is_sealed_once(owner, plan, tree):
    review = record(owner, plan)

    with pytest.raises(IntegrityError), transaction.atomic():
        PlanVersion.objects.create(plan=plan, number=review.version, snapshot={})


# --- co-signing --------------------------------------------------------------------------------


@pytest.fixture
def review(owner, plan, tree):
    return record(owner, plan)


def test_the_supervisor_of_the_plans_therapist_cosigns(supervisor, review):
    signed = review_cosign(by=by(supervisor), review=review)

    review.refresh_from_db()
    assert review.cosigned_by == supervisor == signed.cosigned_by
    assert review.cosigned_at is not None
    event = AuditEvent.objects.get(action="update", object_type="reviews.planreview", object_id=str(review.pk))
    assert event.changes["cosigned_by"] == [None, str(supervisor.pk)]


def test_a_review_is_cosigned_once(supervisor, review):
    review_cosign(by=by(supervisor), review=review)
    signed_at = PlanReview.objects.get(pk=review.pk).cosigned_at

    with pytest.raises(ValidationError):
        review_cosign(by=by(supervisor), review=review)

    assert PlanReview.objects.get(pk=review.pk).cosigned_at == signed_at


@pytest.mark.parametrize("role", ["owner", "colleague", "practice_admin", "outsider_admin"])
def test_nobody_else_cosigns(cast, review, role):
    with pytest.raises(PermissionDenied):
        review_cosign(by=by(cast[role]), review=review)

    review.refresh_from_db()
    assert review.cosigned_by is None and review.cosigned_at is None


def test_another_supervisor_does_not_cosign(practice, review):
    stranger = UserFactory(practice=practice, role=Role.SUPERVISOR)

    with pytest.raises(PermissionDenied):
        review_cosign(by=by(stranger), review=review)


def test_the_reviewers_supervisor_cosigns_and_the_reviewer_never(practice, owner, supervisor, today):
    """A care-team clinician with another supervisor reviews the owner's plan: either supervisor may co-sign."""
    second_supervisor = UserFactory(practice=practice, role=Role.SUPERVISOR)
    teammate = UserFactory(practice=practice, supervisor=second_supervisor)
    patient = PatientFactory(primary_therapist=owner, care_team=[teammate])
    plan = PlanFactory(patient=patient, therapist=owner)
    review = record(teammate, plan)

    with pytest.raises(PermissionDenied):
        review_cosign(by=by(teammate), review=review)
    assert review_cosign(by=by(second_supervisor), review=review).cosigned_by == second_supervisor


def test_a_supervisor_reviewing_their_supervisees_plan_cannot_cosign_their_own_review(practice, supervisor, owner):
    patient = PatientFactory(primary_therapist=owner, care_team=[supervisor])
    plan = PlanFactory(patient=patient, therapist=owner)
    review = record(supervisor, plan)

    with pytest.raises(PermissionDenied):
        review_cosign(by=by(supervisor), review=review)
