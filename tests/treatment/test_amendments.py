"""Amendments through the services (issue 13): after the first clinician signature every change to a plan's content
takes a reason and is recorded; before it, and for progress, status and ratings, none is asked.

Each refusal is checked to write nothing (the rows as they were, no audit event, no amendment); each amendment
for its `changes`, `amends_version`, author, the plan's signature status and its audit event.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.services.reviews import review_record
from tests.factories import GoalFactory, PlanFactory, intervention, make_tree, mark_signed
from treatment import services
from treatment.models import GoalIntervention, PlanAmendment, TreatmentGoal, TreatmentPlan
from treatment.services.amendments import REASON_REQUIRED

pytestmark = pytest.mark.django_db


@pytest.fixture
def by(owner):
    return AuditContext(user=owner)


@pytest.fixture
def signed_tree(plan):
    goals = make_tree(plan)
    mark_signed(plan)
    return goals


def refetch(obj):
    return type(obj).objects.get(pk=obj.pk)


def events():
    return AuditEvent.objects.count()


def refused(call) -> dict:
    before = events()
    with pytest.raises(ValidationError) as error:
        call()
    assert error.value.message_dict["amendment_reason"] == [REASON_REQUIRED]
    assert events() == before
    assert PlanAmendment.objects.count() == 0
    return error.value.message_dict


# --- refused without a reason, nothing written ---------------------------------------------------------------


def test_plan_update_of_a_signed_plan_needs_a_reason(plan, by):
    mark_signed(plan)
    refused(lambda: services.plan_update(by=by, plan=plan, title="Renamed"))
    refused(lambda: services.plan_update(by=by, plan=plan, title="Renamed", amendment_reason="   "))
    stored = refetch(plan)
    assert stored.title == "Anxiety Management Plan"
    assert stored.signature_status == "signed"


def test_plan_update_reports_every_error_at_once(plan, by):
    mark_signed(plan)
    errors = refused(lambda: services.plan_update(by=by, plan=plan, title="", review_frequency_days=400))
    assert set(errors) == {"title", "review_frequency_days", "amendment_reason"}


def test_goal_writes_of_a_signed_plan_need_a_reason(signed_tree, plan, by):
    long_term, objective = signed_tree["long_term"], signed_tree["objective"]
    link = GoalIntervention.objects.get(goal=objective)
    refused(lambda: services.goal_add(by=by, plan=plan, goal_type="long_term", description="Sleep better"))
    refused(lambda: services.goal_update(by=by, goal=long_term, description="Changed"))
    refused(lambda: services.goal_update(by=by, goal=long_term, status="achieved"))
    refused(lambda: services.goal_intervention_add(by=by, goal=objective, intervention=intervention("Thought Records")))
    refused(lambda: services.goal_intervention_update(by=by, link=link, frequency="daily"))
    assert TreatmentGoal.objects.filter(plan=plan).count() == 3
    assert refetch(long_term).description == "Reduce overall anxiety levels to a manageable state"
    assert refetch(long_term).status == "not_started"
    assert GoalIntervention.objects.filter(goal=objective).count() == 1
    assert refetch(link).frequency == "every session"


def test_a_move_of_a_signed_plan_needs_a_reason(plan, by):
    first = GoalFactory(plan=plan, description="First", priority=1)
    second = GoalFactory(plan=plan, description="Second", priority=2)
    mark_signed(plan)
    refused(lambda: services.goal_move(by=by, goal=second, direction="up"))
    assert (refetch(first).priority, refetch(second).priority) == (1, 2)


# --- recorded with a reason ---------------------------------------------------------------------------------


def test_a_plan_amendment_is_recorded_and_unsigns_the_plan(plan, by, owner):
    mark_signed(plan)
    first_signed_at = refetch(plan).first_signed_at
    services.plan_update(
        by=by, plan=plan, title="Anxiety and Sleep Plan", notes="Sleep added", amendment_reason="  Sleep worsened  "
    )
    amendment = PlanAmendment.objects.get()
    assert amendment.reason == "Sleep worsened"
    assert amendment.author == owner
    assert amendment.amends_version == 1
    assert amendment.changes == [
        {
            "object": "plan",
            "id": str(plan.pk),
            "label": "Anxiety and Sleep Plan",
            "action": "updated",
            "fields": ["title", "notes"],
        }
    ]
    stored = refetch(plan)
    assert (stored.signature_status, stored.signed_version) == ("amended_unsigned", 1)
    assert stored.first_signed_at == first_signed_at
    event = AuditEvent.objects.get(object_type="treatment.planamendment")
    assert event.object_id == str(amendment.pk)
    assert event.action == "create"
    assert event.changes["reason"] == [None, "Sleep worsened"]
    assert event.changes["signature_status"] == ["signed", "amended_unsigned"]


def test_an_amendment_before_the_plan_is_fully_signed_leaves_it_unsigned(patient, by):
    plan = PlanFactory(patient=patient, clinician_signed=True)
    assert refetch(plan).signature_status == "awaiting_client"
    services.plan_update(by=by, plan=plan, notes="More", amendment_reason="Client asked for a change")
    stored = refetch(plan)
    assert (stored.signature_status, stored.signed_version) == ("unsigned", None)
    assert PlanAmendment.objects.get().amends_version is None


def test_a_signed_factory_plan_is_signed_at_version_one(patient):
    plan = refetch(PlanFactory(patient=patient, signed=True))
    assert (plan.signature_status, plan.signed_version, plan.needs_amendment_reason) == ("signed", 1, True)


def test_a_goal_added_with_interventions_is_one_amendment(plan, by):
    mark_signed(plan)
    goal = services.goal_add(
        by=by,
        plan=plan,
        goal_type="long_term",
        description="Sleep seven hours",
        target_value="7 hours",
        interventions=[{"intervention": intervention("Thought Records"), "frequency": "weekly"}],
        amendment_reason="New problem: insomnia",
    )
    link = GoalIntervention.objects.get(goal=goal)
    amendment = PlanAmendment.objects.get()
    assert amendment.changes == [
        {
            "object": "goal",
            "id": str(goal.pk),
            "label": "Sleep seven hours",
            "action": "created",
            "fields": ["goal_type", "description", "target_value", "status", "priority"],
        },
        {
            "object": "goal_intervention",
            "id": str(link.pk),
            "label": "Thought Records",
            "action": "created",
            "fields": ["intervention", "frequency"],
            "goal_id": str(goal.pk),
            "intervention_id": str(link.intervention_id),
        },
    ]


def test_goal_and_link_updates_name_the_fields_changed(signed_tree, by):
    long_term, objective = signed_tree["long_term"], signed_tree["objective"]
    services.goal_update(by=by, goal=long_term, status="modified", target_value="GAD-7 under 5", amendment_reason="a")
    link = GoalIntervention.objects.get(goal=objective)
    services.goal_intervention_update(by=by, link=link, frequency="daily", notes="at bedtime", amendment_reason="b")
    goal_amendment, link_amendment = PlanAmendment.objects.order_by("created_at")
    assert goal_amendment.changes[0]["fields"] == ["target_value", "status"]
    assert goal_amendment.changes[0]["action"] == "updated"
    assert link_amendment.changes[0]["fields"] == ["frequency", "notes"]
    assert link_amendment.changes[0]["goal_id"] == str(objective.pk)


def test_a_move_is_one_amendment_naming_each_goal_renumbered(plan, by):
    first = GoalFactory(plan=plan, description="First", priority=1)
    second = GoalFactory(plan=plan, description="Second", priority=2)
    mark_signed(plan)
    assert services.goal_move(by=by, goal=second, direction="up", amendment_reason="Sleep comes first now") is True
    amendment = PlanAmendment.objects.get()
    assert [(c["id"], c["fields"]) for c in amendment.changes] == [
        (str(second.pk), ["priority"]),
        (str(first.pk), ["priority"]),
    ]
    assert (refetch(first).priority, refetch(second).priority) == (2, 1)


def test_a_review_that_changes_goals_amends_with_the_review_as_reason(signed_tree, plan, by):
    objective = signed_tree["objective"]
    review_record(
        by=by,
        plan=plan,
        review_date=datetime.date(2026, 10, 1),
        summary="Good progress",
        modifications_made="Breathing achieved",
        goal_changes={str(objective.pk): {"status": "achieved"}},
    )
    amendment = PlanAmendment.objects.get()
    assert amendment.reason == "Plan review of 1 Oct 2026: Breathing achieved"
    assert amendment.changes[0]["fields"] == ["status"]
    assert refetch(plan).signature_status == "amended_unsigned"


# --- what is not an amendment ----------------------------------------------------------------------------------


def test_no_reason_before_the_first_signature(plan, by):
    services.plan_update(by=by, plan=plan, title="Renamed")
    goal = services.goal_add(by=by, plan=plan, goal_type="long_term", description="Sleep", amendment_reason="ignored")
    services.goal_update(by=by, goal=goal, description="Sleep well")
    assert PlanAmendment.objects.count() == 0
    assert refetch(plan).signature_status == "unsigned"


def test_progress_ratings_status_and_unchanged_writes_are_not_amendments(signed_tree, plan, by):
    objective = signed_tree["objective"]
    services.progress_record(by=by, goal=objective, progress_note="Practised daily", rating=7)
    services.goal_update(by=by, goal=objective, current_value="5 minutes", progress_percentage=80)
    link = GoalIntervention.objects.get(goal=objective)
    services.goal_intervention_update(by=by, link=link, effectiveness_rating=4)
    services.goal_update(by=by, goal=objective, description=objective.description)
    services.plan_update(by=by, plan=plan, status="on_hold")
    assert PlanAmendment.objects.count() == 0
    assert refetch(plan).signature_status == "signed"
    assert refetch(objective).current_value == "5 minutes"


# --- append-only -----------------------------------------------------------------------------------------------


@pytest.fixture
def amendment(plan, by):
    mark_signed(plan)
    services.plan_update(by=by, plan=plan, notes="x", amendment_reason="Why")
    return PlanAmendment.objects.get()


def test_the_orm_refuses_to_change_or_remove_an_amendment(amendment):
    amendment.reason = "Rewritten"
    with pytest.raises(PermissionError):
        amendment.save()
    with pytest.raises(PermissionError):
        amendment.delete()
    with pytest.raises(PermissionError):
        PlanAmendment.objects.filter(pk=amendment.pk).update(reason="Rewritten")
    with pytest.raises(PermissionError):
        PlanAmendment.objects.filter(pk=amendment.pk).delete()
    assert refetch(amendment).reason == "Why"


@pytest.mark.parametrize(
    "sql", ["UPDATE treatment_planamendment SET reason = 'Rewritten'", "DELETE FROM treatment_planamendment"]
)
def test_the_database_refuses_to_change_or_remove_an_amendment(amendment, sql):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert refetch(amendment).reason == "Why"
    assert TreatmentPlan.objects.get(pk=amendment.plan_id).signature_status == "amended_unsigned"
