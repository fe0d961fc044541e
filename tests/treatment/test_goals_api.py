"""Goals through the v1 API (spec checklist "Goal hierarchy", "Add interventions to goals", goal updates).

Covers: the hierarchy rules of issue 3 (a long-term goal has no parent; a short-term goal's parent is a
long-term goal of the same plan; an objective's parent is a short-term goal of the same plan; anything
else is a 400 on parent_goal_id that writes nothing); a valid long-term -> short-term -> objective chain;
POST with the spec's body including `interventions` (GoalIntervention rows; an unknown intervention is a
400 naming `interventions` and writes no goal); GET/POST goals/{id}/interventions, duplicates, and PATCH of
a link's effectiveness rating (1-5); PUT/PATCH goals/{id} (description, status, priority, SMART answers,
fixed goal_type, calculated progress of a goal with sub-goals); and `smart_missing`.
Each test asserts the response AND what the database holds afterwards.
"""

import datetime
import uuid

import pytest

from tests.factories import GoalFactory, PlanFactory, intervention
from treatment.models import GoalIntervention, TreatmentGoal

pytestmark = pytest.mark.django_db


def goals_url(plan):
    return f"/api/v1/treatment-plans/{plan.pk}/goals"


def goal_count(plan):
    return TreatmentGoal.objects.filter(plan=plan).count()


def refetch(goal):
    return TreatmentGoal.objects.get(pk=goal.pk)


# --- hierarchy -----------------------------------------------------------------------------------


@pytest.fixture
def other_plan(patient):
    """A second plan of the same patient: its goals are visible to the owner but not valid parents here."""
    plan = PlanFactory(patient=patient, title="Sleep Plan")
    long_term = GoalFactory(plan=plan, description="Sleep through the night")
    short_term = GoalFactory(parent_goal=long_term, goal_type="short_term", description="Keep a sleep diary")
    return {"plan": plan, "long_term": long_term, "short_term": short_term}


BAD_PARENTS = [
    ("long_term", "long_term"),
    ("long_term", "short_term"),
    ("long_term", "objective"),
    ("short_term", None),
    ("short_term", "short_term"),
    ("short_term", "objective"),
    ("short_term", "other_plan_long_term"),
    ("objective", None),
    ("objective", "long_term"),
    ("objective", "objective"),
    ("objective", "other_plan_short_term"),
    ("short_term", "unknown"),
]


@pytest.mark.parametrize(("goal_type", "parent"), BAD_PARENTS)
def test_hierarchy_violations_answer_400_on_parent_goal_id(api, owner, plan, tree, other_plan, goal_type, parent):
    parents = {
        None: None,
        "long_term": tree["long_term"].pk,
        "short_term": tree["short_term"].pk,
        "objective": tree["objective"].pk,
        "other_plan_long_term": other_plan["long_term"].pk,
        "other_plan_short_term": other_plan["short_term"].pk,
        "unknown": uuid.uuid4(),
    }
    payload = {"goal_type": goal_type, "description": "A misplaced goal"}
    if parents[parent] is not None:
        payload["parent_goal_id"] = str(parents[parent])
    before = goal_count(plan), goal_count(other_plan["plan"])

    response = api.as_(owner).post(goals_url(plan), payload, format="json")

    assert response.status_code == 400, response.content
    assert "parent_goal_id" in response.json()
    assert (goal_count(plan), goal_count(other_plan["plan"])) == before
    assert not TreatmentGoal.objects.filter(description="A misplaced goal").exists()


def test_a_valid_chain_is_built_and_read_back_as_a_tree(api, owner, plan):
    client = api.as_(owner)
    long_term = client.post(
        goals_url(plan),
        {"goal_type": "long_term", "description": "Reduce overall anxiety levels to manageable state"},
        format="json",
    )
    assert long_term.status_code == 201, long_term.content
    short_term = client.post(
        goals_url(plan),
        {
            "goal_type": "short_term",
            "parent_goal_id": long_term.json()["id"],
            "description": "Learn and practice 3 relaxation techniques",
        },
        format="json",
    )
    assert short_term.status_code == 201, short_term.content
    objective = client.post(
        goals_url(plan),
        {"goal_type": "objective", "parent_goal_id": short_term.json()["id"], "description": "Breathe daily"},
        format="json",
    )
    assert objective.status_code == 201, objective.content

    assert long_term.json()["parent_goal_id"] is None
    assert short_term.json()["parent_goal_id"] == long_term.json()["id"]
    assert objective.json()["parent_goal_id"] == short_term.json()["id"]
    lt = TreatmentGoal.objects.get(pk=long_term.json()["id"])
    st = TreatmentGoal.objects.get(pk=short_term.json()["id"])
    ob = TreatmentGoal.objects.get(pk=objective.json()["id"])
    assert (lt.goal_type, lt.parent_goal_id, lt.plan_id) == ("long_term", None, plan.pk)
    assert (st.goal_type, st.parent_goal_id, st.plan_id) == ("short_term", lt.pk, plan.pk)
    assert (ob.goal_type, ob.parent_goal_id, ob.plan_id) == ("objective", st.pk, plan.pk)
    assert ob.created_by == owner

    detail = client.get(f"/api/v1/treatment-plans/{plan.pk}").json()
    assert [g["id"] for g in detail["goals"]] == [str(lt.pk)]
    assert [g["id"] for g in detail["goals"][0]["sub_goals"]] == [str(st.pk)]
    assert [g["id"] for g in detail["goals"][0]["sub_goals"][0]["sub_goals"]] == [str(ob.pk)]

    flat = client.get(goals_url(plan))
    assert flat.status_code == 200, flat.content
    assert {g["id"] for g in flat.json()} == {str(lt.pk), str(st.pk), str(ob.pk)}


def test_a_goal_cannot_be_moved_under_the_wrong_parent(api, owner, tree, other_plan):
    for goal, parent in [
        (tree["short_term"], other_plan["long_term"]),
        (tree["objective"], tree["long_term"]),
        (tree["long_term"], tree["long_term"]),
    ]:
        response = api.as_(owner).patch(f"/api/v1/goals/{goal.pk}", {"parent_goal_id": str(parent.pk)}, format="json")
        assert response.status_code == 400, response.content
        assert "parent_goal_id" in response.json()
        assert refetch(goal).parent_goal_id == goal.parent_goal_id


# --- interventions on goals ----------------------------------------------------------------------


def test_the_spec_goal_body_with_interventions_creates_the_links(api, owner, plan, tree):
    breathing = intervention("Deep Breathing")
    relaxation = intervention("Progressive Muscle Relaxation")
    payload = {
        "goal_type": "short_term",
        "parent_goal_id": str(tree["long_term"].pk),
        "description": "Learn and practice 3 relaxation techniques",
        "measurable_criteria": "Patient can demonstrate techniques independently",
        "baseline_value": "No techniques known",
        "target_value": "3 techniques mastered",
        "target_date": "2026-12-15",
        "interventions": [
            {"intervention_id": str(breathing.pk), "frequency": "every session"},
            {"intervention_id": str(relaxation.pk), "frequency": "weekly", "notes": "Home practice sheet"},
        ],
    }

    response = api.as_(owner).post(goals_url(plan), payload, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["goal_type"] == "short_term"
    assert data["parent_goal_id"] == str(tree["long_term"].pk)
    assert data["measurable_criteria"] == "Patient can demonstrate techniques independently"
    assert data["baseline_value"] == "No techniques known"
    assert data["target_value"] == "3 techniques mastered"
    assert data["target_date"] == "2026-12-15"
    assert data["status"] == "not_started"
    assert data["priority"] == 1
    assert response["ETag"]
    by_name = {i["intervention"]["name"]: i for i in data["interventions"]}
    assert set(by_name) == {"Deep Breathing", "Progressive Muscle Relaxation"}
    assert by_name["Deep Breathing"]["frequency"] == "every session"
    assert by_name["Progressive Muscle Relaxation"]["notes"] == "Home practice sheet"

    goal = TreatmentGoal.objects.get(pk=data["id"])
    assert goal.target_date == datetime.date(2026, 12, 15)
    links = {link.intervention_id: link for link in GoalIntervention.objects.filter(goal=goal)}
    assert set(links) == {breathing.pk, relaxation.pk}
    assert links[breathing.pk].frequency == "every session"
    assert links[relaxation.pk].frequency == "weekly"
    assert links[relaxation.pk].notes == "Home practice sheet"


@pytest.mark.parametrize("bad_id", ["random", "not-a-uuid"])
def test_an_unknown_intervention_answers_400_and_writes_no_goal(api, owner, plan, tree, bad_id):
    bad = str(uuid.uuid4()) if bad_id == "random" else bad_id
    payload = {
        "goal_type": "short_term",
        "parent_goal_id": str(tree["long_term"].pk),
        "description": "Goal with a bad intervention",
        "interventions": [
            {"intervention_id": str(intervention("Deep Breathing").pk)},
            {"intervention_id": bad},
        ],
    }
    links_before = GoalIntervention.objects.count()

    response = api.as_(owner).post(goals_url(plan), payload, format="json")

    assert response.status_code == 400, response.content
    assert "interventions" in response.json()
    assert goal_count(plan) == 3
    assert not TreatmentGoal.objects.filter(description="Goal with a bad intervention").exists()
    assert GoalIntervention.objects.count() == links_before


def test_the_same_intervention_twice_in_one_body_writes_nothing(api, owner, plan):
    breathing = str(intervention("Deep Breathing").pk)
    payload = {
        "goal_type": "long_term",
        "description": "Twice linked",
        "interventions": [{"intervention_id": breathing}, {"intervention_id": breathing}],
    }

    response = api.as_(owner).post(goals_url(plan), payload, format="json")

    assert response.status_code == 400, response.content
    assert any(key.startswith("interventions") for key in response.json())
    assert not TreatmentGoal.objects.filter(description="Twice linked").exists()
    assert not GoalIntervention.objects.exists()


def links_url(goal):
    return f"/api/v1/goals/{goal.pk}/interventions"


def test_list_and_link_interventions_of_a_goal(api, owner, tree):
    goal = tree["short_term"]
    imagery = intervention("Guided Imagery")

    created = api.as_(owner).post(
        links_url(goal),
        {"intervention_id": str(imagery.pk), "frequency": "weekly", "notes": "Beach scene"},
        format="json",
    )

    assert created.status_code == 201, created.content
    assert created.json()["intervention"]["name"] == "Guided Imagery"
    assert created.json()["goal_id"] == str(goal.pk)
    link = GoalIntervention.objects.get(pk=created.json()["id"])
    assert (link.goal_id, link.intervention_id, link.frequency, link.notes) == (
        goal.pk,
        imagery.pk,
        "weekly",
        "Beach scene",
    )
    assert link.effectiveness_rating is None

    listed = api.as_(owner).get(links_url(goal))
    assert listed.status_code == 200, listed.content
    assert [i["id"] for i in listed.json()] == [str(link.pk)]

    objective_links = api.as_(owner).get(links_url(tree["objective"])).json()
    assert [i["intervention"]["name"] for i in objective_links] == ["Deep Breathing"]


def test_linking_an_intervention_twice_answers_400(api, owner, tree):
    goal = tree["objective"]  # already uses Deep Breathing

    response = api.as_(owner).post(
        links_url(goal), {"intervention_id": str(intervention("Deep Breathing").pk)}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "intervention_id" in response.json()
    assert GoalIntervention.objects.filter(goal=goal).count() == 1


def test_linking_an_unknown_intervention_answers_400(api, owner, tree):
    response = api.as_(owner).post(links_url(tree["short_term"]), {"intervention_id": str(uuid.uuid4())}, format="json")

    assert response.status_code == 400, response.content
    assert "intervention_id" in response.json()
    assert not GoalIntervention.objects.filter(goal=tree["short_term"]).exists()


@pytest.fixture
def link(tree):
    return GoalIntervention.objects.get(goal=tree["objective"])


def test_rate_a_goals_intervention(api, owner, tree, link):
    response = api.as_(owner).patch(
        f"{links_url(tree['objective'])}/{link.pk}",
        {"effectiveness_rating": 4, "notes": "Works best at night"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["effectiveness_rating"] == 4
    saved = GoalIntervention.objects.get(pk=link.pk)
    assert saved.effectiveness_rating == 4
    assert saved.notes == "Works best at night"
    assert saved.frequency == "every session"
    assert saved.intervention_id == link.intervention_id


@pytest.mark.parametrize("rating", [0, 6, -1, "high"])
def test_an_effectiveness_rating_outside_1_to_5_answers_400(api, owner, tree, link, rating):
    GoalIntervention.objects.filter(pk=link.pk).update(effectiveness_rating=3)

    response = api.as_(owner).patch(
        f"{links_url(tree['objective'])}/{link.pk}", {"effectiveness_rating": rating, "notes": "x"}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "effectiveness_rating" in response.json()
    saved = GoalIntervention.objects.get(pk=link.pk)
    assert saved.effectiveness_rating == 3
    assert saved.notes == ""


def test_the_intervention_of_a_link_is_fixed(api, owner, tree, link):
    response = api.as_(owner).patch(
        f"{links_url(tree['objective'])}/{link.pk}",
        {"intervention_id": str(intervention("Guided Imagery").pk), "frequency": "weekly"},
        format="json",
    )

    assert response.status_code in (200, 400), response.content
    assert GoalIntervention.objects.get(pk=link.pk).intervention == intervention("Deep Breathing")


# --- updating goals --------------------------------------------------------------------------------


def goal_url(goal):
    return f"/api/v1/goals/{goal.pk}"


def test_patch_a_goal(api, owner, tree):
    goal = tree["objective"]
    smart = {
        "specific": {"what": "Diaphragmatic breathing", "who": "Patient", "where": "At home"},
        "achievable": {"resources": "Breathing app"},
    }

    response = api.as_(owner).patch(
        goal_url(goal),
        {"description": "Practice deep breathing twice a day", "status": "in_progress", "priority": 3, "smart": smart},
        format="json",
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["description"] == "Practice deep breathing twice a day"
    assert data["status"] == "in_progress"
    assert data["priority"] == 3
    assert data["smart"] == smart
    saved = refetch(goal)
    assert saved.description == "Practice deep breathing twice a day"
    assert saved.status == "in_progress"
    assert saved.priority == 3
    assert saved.smart == smart
    assert saved.goal_type == "objective"
    assert saved.parent_goal_id == tree["short_term"].pk


def test_put_a_goal(api, owner, tree):
    goal = tree["long_term"]

    response = api.as_(owner).put(
        goal_url(goal),
        {
            "goal_type": "long_term",
            "description": "Anxiety no longer limits daily life",
            "measurable_criteria": "GAD-7 below 5",
            "baseline_value": "GAD-7 16",
            "target_value": "GAD-7 < 5",
            "target_date": "2027-03-01",
            "priority": 2,
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["measurable_criteria"] == "GAD-7 below 5"
    saved = refetch(goal)
    assert saved.description == "Anxiety no longer limits daily life"
    assert saved.measurable_criteria == "GAD-7 below 5"
    assert saved.baseline_value == "GAD-7 16"
    assert saved.target_value == "GAD-7 < 5"
    assert saved.target_date == datetime.date(2027, 3, 1)
    assert saved.priority == 2
    assert saved.parent_goal_id is None


@pytest.mark.parametrize(
    "smart",
    [
        {"spicy": {"what": "x"}},
        {"specific": {"why": "x"}},
        {"specific": "not an object"},
        {"measurable": {"indicator": 5}},
        "not an object",
    ],
    ids=["unknown-part", "unknown-question", "part-not-object", "answer-not-text", "not-object"],
)
def test_bad_smart_answers_answer_400_on_smart(api, owner, tree, smart):
    goal = tree["objective"]

    response = api.as_(owner).patch(goal_url(goal), {"smart": smart, "priority": 5}, format="json")

    assert response.status_code == 400, response.content
    assert "smart" in response.json()
    saved = refetch(goal)
    assert saved.smart == {}
    assert saved.priority == 1


def test_bad_smart_on_create_writes_nothing(api, owner, plan):
    response = api.as_(owner).post(
        goals_url(plan), {"goal_type": "long_term", "description": "x", "smart": {"spicy": {}}}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "smart" in response.json()
    assert goal_count(plan) == 0


@pytest.mark.parametrize("new_type", ["short_term", "objective"])
def test_the_goal_type_is_fixed(api, owner, tree, new_type):
    goal = tree["long_term"]

    response = api.as_(owner).patch(goal_url(goal), {"goal_type": new_type, "priority": 4}, format="json")

    assert response.status_code == 400, response.content
    assert "goal_type" in response.json()
    saved = refetch(goal)
    assert saved.goal_type == "long_term"
    assert saved.priority == 1


@pytest.mark.parametrize("which", ["long_term", "short_term"])
def test_progress_of_a_goal_with_sub_goals_is_calculated_not_set(api, owner, tree, which):
    goal = tree[which]

    response = api.as_(owner).patch(goal_url(goal), {"progress_percentage": 80}, format="json")

    assert response.status_code == 400, response.content
    assert "progress_percentage" in response.json()
    assert refetch(goal).progress_percentage == 0


def test_progress_of_a_leaf_goal_can_be_set(api, owner, tree):
    response = api.as_(owner).patch(goal_url(tree["objective"]), {"progress_percentage": 40}, format="json")

    assert response.status_code == 200, response.content
    assert refetch(tree["objective"]).progress_percentage == 40
    assert refetch(tree["short_term"]).progress_percentage == 40
    assert refetch(tree["long_term"]).progress_percentage == 40


@pytest.mark.parametrize(
    ("field", "value"),
    [("priority", 0), ("priority", 11), ("progress_percentage", 101), ("status", "paused"), ("description", "")],
)
def test_bad_goal_fields_answer_400_naming_them(api, owner, tree, field, value):
    goal = tree["objective"]
    before = refetch(goal)

    response = api.as_(owner).patch(goal_url(goal), {field: value}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    after = refetch(goal)
    assert getattr(after, field) == getattr(before, field)
    assert after.updated_at == before.updated_at


# --- SMART completeness ----------------------------------------------------------------------------


def test_smart_missing_lists_the_empty_parts(api, owner, plan):
    created = api.as_(owner).post(
        goals_url(plan), {"goal_type": "long_term", "description": "Sleep 7 hours a night"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["smart_missing"] == ["measurable", "achievable", "relevant", "time_bound"]
    goal_id = created.json()["id"]

    read = api.as_(owner).get(f"/api/v1/goals/{goal_id}")
    assert read.json()["smart_missing"] == ["measurable", "achievable", "relevant", "time_bound"]

    updated = api.as_(owner).patch(
        f"/api/v1/goals/{goal_id}",
        {
            "target_value": "7 hours",
            "smart": {"relevant": {"importance": "Sleep loss feeds the worry"}, "achievable": {"barriers": ""}},
        },
        format="json",
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["smart_missing"] == ["achievable", "time_bound"]
    saved = TreatmentGoal.objects.get(pk=goal_id)
    assert saved.smart == {"relevant": {"importance": "Sleep loss feeds the worry"}}  # blank answers dropped
    assert saved.target_value == "7 hours"

    done = api.as_(owner).patch(
        f"/api/v1/goals/{goal_id}",
        {"target_date": "2027-01-31", "smart": {**saved.smart, "achievable": {"resources": "Sleep diary"}}},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["smart_missing"] == []
    assert TreatmentGoal.objects.get(pk=goal_id).smart["achievable"] == {"resources": "Sleep diary"}
