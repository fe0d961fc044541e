"""`amendment_reason` on every write endpoint of plans, goals and goal interventions (issue 13).

On a signed plan a write that changes its content without a reason is a 400 naming `amendment_reason` and
changes nothing; with one it succeeds and records the amendment. On an unsigned plan the reason is optional and
no amendment is recorded. Every path is tried with and without its trailing slash.
"""

import pytest

from tests.factories import intervention, make_tree, mark_signed
from treatment.models import GoalIntervention, PlanAmendment, TreatmentGoal, TreatmentPlan
from treatment.services.amendments import REASON_REQUIRED

pytestmark = pytest.mark.django_db


@pytest.fixture
def goals(plan):
    return make_tree(plan)


def link_of(goal):
    return GoalIntervention.objects.get(goal=goal)


PLAN_PUT = {"title": "Anxiety and Sleep Plan", "start_date": "2026-09-01", "diagnosis_codes": [{"code": "F41.1"}]}


def writes(plan, goals):
    """(method, path, body, what the database must still hold when refused) for each write endpoint."""
    long_term, objective = goals["long_term"], goals["objective"]
    link = link_of(objective)
    stored_title = lambda: TreatmentPlan.objects.get(pk=plan.pk).title  # noqa: E731
    description = lambda: TreatmentGoal.objects.get(pk=long_term.pk).description  # noqa: E731
    frequency = lambda: GoalIntervention.objects.get(pk=link.pk).frequency  # noqa: E731
    links = lambda: GoalIntervention.objects.filter(goal=objective).count()  # noqa: E731
    goal_count = lambda: TreatmentGoal.objects.filter(plan=plan).count()  # noqa: E731
    new_goal = {"goal_type": "long_term", "description": "Sleep seven hours"}
    goal_put = {"goal_type": "long_term", "description": "Changed", "priority": 1}
    return [
        ("patch", f"/api/v1/treatment-plans/{plan.pk}", {"title": "Renamed"}, stored_title),
        ("put", f"/api/v1/treatment-plans/{plan.pk}/", PLAN_PUT, stored_title),
        ("post", f"/api/v1/treatment-plans/{plan.pk}/goals", new_goal, goal_count),
        ("post", f"/api/v1/treatment-plans/{plan.pk}/goals/", new_goal, goal_count),
        ("patch", f"/api/v1/goals/{long_term.pk}/", {"description": "Changed"}, description),
        ("put", f"/api/v1/goals/{long_term.pk}", goal_put, description),
        (
            "post",
            f"/api/v1/goals/{objective.pk}/interventions",
            {"intervention_id": str(intervention("Thought Records").pk)},
            links,
        ),
        ("patch", f"/api/v1/goals/{objective.pk}/interventions/{link.pk}/", {"frequency": "daily"}, frequency),
        ("put", f"/api/v1/goals/{objective.pk}/interventions/{link.pk}", {"frequency": "daily"}, frequency),
    ]


INDEXES = range(9)


@pytest.mark.parametrize("index", INDEXES)
def test_a_write_to_a_signed_plan_without_a_reason_is_a_400_that_changes_nothing(api, owner, plan, goals, index):
    mark_signed(plan)
    method, path, body, held = writes(plan, goals)[index]
    before = held()
    response = getattr(api.as_(owner), method)(path, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {"amendment_reason": [REASON_REQUIRED]}
    assert held() == before
    assert PlanAmendment.objects.count() == 0
    assert TreatmentPlan.objects.get(pk=plan.pk).signature_status == "signed"


@pytest.mark.parametrize("index", INDEXES)
def test_a_write_to_a_signed_plan_with_a_reason_records_the_amendment(api, owner, plan, goals, index):
    mark_signed(plan)
    method, path, body, held = writes(plan, goals)[index]
    before = held()
    response = getattr(api.as_(owner), method)(path, {**body, "amendment_reason": "Client's new goal"}, format="json")
    assert response.status_code == (201 if method == "post" else 200), response.content
    assert "amendment_reason" not in response.json()
    assert held() != before
    amendment = PlanAmendment.objects.get()
    assert (amendment.reason, amendment.author, amendment.amends_version) == ("Client's new goal", owner, 1)
    assert amendment.changes[0]["fields"]
    assert TreatmentPlan.objects.get(pk=plan.pk).signature_status == "amended_unsigned"


@pytest.mark.parametrize("index", INDEXES)
def test_on_an_unsigned_plan_the_reason_is_optional_and_nothing_is_recorded(api, owner, plan, goals, index):
    method, path, body, _held = writes(plan, goals)[index]
    response = getattr(api.as_(owner), method)(path, body, format="json")
    assert response.status_code == (201 if method == "post" else 200), response.content
    assert PlanAmendment.objects.count() == 0
    assert TreatmentPlan.objects.get(pk=plan.pk).signature_status == "unsigned"


def test_the_reason_is_a_json_string(api, owner, plan):
    mark_signed(plan)
    path = f"/api/v1/treatment-plans/{plan.pk}"
    response = api.as_(owner).patch(path, {"title": "Renamed", "amendment_reason": 5}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["amendment_reason"]
    assert TreatmentPlan.objects.get(pk=plan.pk).title == "Anxiety Management Plan"


def test_an_effectiveness_rating_needs_no_reason(api, owner, plan, goals):
    mark_signed(plan)
    link = link_of(goals["objective"])
    path = f"/api/v1/goals/{goals['objective'].pk}/interventions/{link.pk}"
    response = api.as_(owner).patch(path, {"effectiveness_rating": 4}, format="json")
    assert response.status_code == 200
    assert GoalIntervention.objects.get(pk=link.pk).effectiveness_rating == 4
    assert PlanAmendment.objects.count() == 0


@pytest.mark.parametrize("who", ["colleague", "supervisor", "outsider_admin"])
def test_a_reason_widens_no_access(api, cast, plan, who):
    """The reason is read after the access check: whoever could not write without it cannot with it."""
    mark_signed(plan)
    response = api.as_(cast[who]).patch(
        f"/api/v1/treatment-plans/{plan.pk}", {"title": "Renamed", "amendment_reason": "Because"}, format="json"
    )
    assert response.status_code == (403 if who == "supervisor" else 404)
    assert PlanAmendment.objects.count() == 0


def test_the_plan_detail_lists_the_amendments_since_the_signed_version(api, owner, plan, goals):
    path = f"/api/v1/treatment-plans/{plan.pk}"
    assert api.as_(owner).get(path).json()["amendments"] == []
    mark_signed(plan)
    api.as_(owner).patch(path, {"notes": "Sleep too", "amendment_reason": "Sleep worsened"}, format="json")
    TreatmentPlan.objects.filter(pk=plan.pk).update(signed_version=2, signature_status="signed")  # signed again
    goal_path = f"/api/v1/goals/{goals['long_term'].pk}"
    api.as_(owner).patch(goal_path, {"description": "Work again", "amendment_reason": "New job"}, format="json")

    body = api.as_(owner).get(path).json()
    assert [a["reason"] for a in body["amendments"]] == ["New job"]
    (amendment,) = body["amendments"]
    assert amendment["author"]["id"] == str(owner.pk)
    assert amendment["amends_version"] == 2
    assert amendment["changes"] == [
        {
            "object": "goal",
            "id": str(goals["long_term"].pk),
            "label": "Work again",
            "action": "updated",
            "fields": ["description"],
        }
    ]
