"""The plan detail and a plan's goals list, built from rows (`treatment.api.goal_tree`) and written by orjson
(`accounts.api.renderers`), answer byte for byte what `GoalSerializer` under DRF's JSON renderer answers.

The reference is computed here from the serializers the schema comes from (`PlanDetailSerializer` for the plan's
own fields, `GoalSerializer` over `treatment.selectors.plan_tree` for its goals), in the request's time zone.
The tree holds a goal of every status, interventions with ratings and notes, progress entries, a measure-driven
objective with a score, SMART answers, text needing JSON escapes, and a signed plan's amendment.
"""

import datetime

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from accounts.api.renderers import ORJSONRenderer
from accounts.audit import AuditContext
from accounts.models import AuditEvent
from tests.factories import GoalFactory, PlanFactory, intervention
from treatment.api.goal_tree import plan_goal_tree
from treatment.api.serializers import GoalSerializer, PlanDetailSerializer
from treatment.models import GoalIntervention, GoalStatus, TreatmentGoal, TreatmentPlan
from treatment.selectors import plan_tree
from treatment.services import goal_intervention_update, goal_update, measurement_record, progress_record

pytestmark = pytest.mark.django_db

#: Characters JSON writes escaped (quotes, backslashes, control characters, JavaScript's line separators) and
#: characters it writes as they are (accents, emoji, U+007F).
AWKWARD = 'Say "no" \\ tab\there\nnew line \x01\x1f \u2028 \u2029 é ü 漢字 🙂 \x7f'


def _reference(plan: TreatmentPlan, request) -> bytes:
    """The plan detail as the serializers write it, under DRF's JSON renderer."""
    tree = plan_tree(plan)
    context = {"request": request, "tree": tree}
    goals = GoalSerializer([root.goal for root in tree.roots], many=True, context=context).data
    reference_tree = plan_goal_tree(plan)
    body = PlanDetailSerializer(plan, context={**context, "goal_tree": reference_tree}).data
    assert body["progress_summary"] == tree.summary
    body["goals"] = goals
    return JSONRenderer().render(body)


@pytest.fixture
def full_tree(owner, patient):
    by = AuditContext(user=owner)
    plan = PlanFactory(patient=patient, title=f"Plan {AWKWARD}", notes=AWKWARD, start_date=datetime.date(2026, 9, 1))
    breathing, journal = intervention("Deep Breathing"), intervention("Thought Records")
    goals = []
    for i, status in enumerate(GoalStatus.values):
        long_term = GoalFactory(
            plan=plan,
            description=f"Long-term {status} {AWKWARD}",
            priority=1 + i % 3,
            measurable_criteria="GAD-7 under 5" if i % 2 else "",
            target_date=datetime.date(2027, 3, 1) if i % 2 else None,
            smart={"achievable": {"resources": "Weekly sessions"}} if i == 1 else {},
            interventions=[{"intervention": breathing, "frequency": "every session", "notes": AWKWARD}],
        )
        short_term = GoalFactory(
            parent_goal=long_term,
            goal_type="short_term",
            description=f"Short-term {i}",
            baseline_value="14",
            target_value="3",
            current_value="9",
            interventions=[{"intervention": journal, "frequency": "weekly"}],
        )
        objective = GoalFactory(parent_goal=short_term, goal_type="objective", description=f"Objective {i}")
        goals += [long_term, short_term, objective]
        for goal in (short_term, objective):
            progress_record(by=by, goal=goal, progress_note=f"Entry {AWKWARD}", progress_value="7", rating=3 + i)
        goal_update(by=by, goal=TreatmentGoal.objects.get(pk=long_term.pk), status=status)
    link = GoalIntervention.objects.get(goal=goals[0])
    goal_intervention_update(by=by, link=link, effectiveness_rating=4, notes="Helps before sleep")
    # A measure-driven objective with a score behind it (its flags are set), beside one with no score yet.
    GoalFactory(
        parent_goal=goals[1],
        goal_type="objective",
        description="PHQ-9 under 5",
        measure_instrument="phq9",
        measure_baseline_score=15,
        measure_target_score=4,
    )
    GoalFactory(
        parent_goal=goals[4],
        goal_type="objective",
        description="GAD-7",
        measure_instrument="gad7",
        measure_target_score=4,
    )
    measurement_record(
        by=by, patient=patient, instrument="phq9", answers=[1, 1, 1, 0, 0, 1, 0, 0, 0], administered_on=plan.start_date
    )
    return TreatmentPlan.objects.select_related("therapist", "patient__practice").get(pk=plan.pk)


def test_the_plan_detail_is_the_serializers_answer_byte_for_byte(api, owner, full_tree):
    plan = full_tree
    objective = TreatmentGoal.objects.get(plan=plan, measure_instrument="phq9")
    assert (objective.measure_last_score, objective.measure_response) == (4, True)
    assert sorted(set(plan.goals.values_list("status", flat=True))) == sorted(GoalStatus.values)
    response = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}")
    assert response.status_code == 200
    request = APIRequestFactory().get("/")
    request.user = owner
    assert response.content == _reference(plan, request)
    body = response.json()
    assert (body["notes"], body["goals"][0]["description"]) == (AWKWARD, f"Long-term not_started {AWKWARD}")
    assert body["goals"][0]["interventions"][0]["effectiveness_rating"] == 4


def test_the_detail_keeps_the_practices_time_zone(api, owner, full_tree, practice):
    """Timestamps come out in the request's time zone, as DRF's DateTimeField writes them."""
    plan = full_tree
    request = APIRequestFactory().get("/")
    with timezone.override("America/Chicago"):
        built = ORJSONRenderer().render(
            PlanDetailSerializer(plan, context={"request": request, "goal_tree": plan_goal_tree(plan)}).data
        )
        assert built == _reference(plan, request)
    assert b"-06:00" in built or b"-05:00" in built


def test_the_goals_list_is_the_serializers_answer_byte_for_byte(api, owner, full_tree):
    plan = full_tree
    before = AuditEvent.objects.count()
    response = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}/goals")
    assert response.status_code == 200
    goals = list(
        TreatmentGoal.objects.filter(plan=plan).select_related("plan__patient").prefetch_related("goal_interventions")
    )
    request = APIRequestFactory().get("/")
    request.user = owner
    reference = JSONRenderer().render(GoalSerializer(goals, many=True, context={"request": request}).data)
    assert response.content == reference
    # Each goal listed is a read of the patient's record, as before (nothing else read a goal).
    events = AuditEvent.objects.filter(action="view", object_type="treatment.treatmentgoal")
    assert AuditEvent.objects.count() == before + len(goals)
    assert sorted((e.object_id, e.patient_id) for e in events) == sorted((str(g.pk), plan.patient_id) for g in goals)


def test_the_renderer_leaves_an_indent_to_drf(api, owner, plan):
    response = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}", HTTP_ACCEPT="application/json; indent=2")
    assert response.status_code == 200
    assert response.content == JSONRenderer().render(response.data, "application/json; indent=2")
    assert response.content.startswith(b'{\n  "id"')


def test_the_renderer_writes_what_drf_writes_for_other_values():
    data = {
        "when": datetime.datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=datetime.UTC),
        "day": datetime.date(2026, 12, 1),
        "text": AWKWARD,
        "nested": [1, True, None, {"a": "b"}, (2, "tuple")],
        "errors": {0: {"intervention_id": ["Not found."]}, 3: ["x"]},
    }
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)
    assert ORJSONRenderer().render(None) == b""
