"""Plan snapshots and their differences: what a version seals, and what changed between two of them.

`snapshot_diff` is tested on hand-made snapshots (every kind of change, one at a time) and on real ones
(a plan reviewed, changed, reviewed again); the diff endpoint compares versions and a version with the
live plan, with constant queries.
"""

import copy
import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import PlanVersion
from reviews.services.reviews import review_record
from reviews.snapshots import goal_depths, is_empty, plan_snapshot, readable_diff, snapshot_diff
from tests.factories import GoalFactory, PlanFactory, intervention
from treatment.services import goal_intervention_add, goal_intervention_update, goal_update, plan_update

pytestmark = pytest.mark.django_db


def goal(goal_id, parent=None, **fields):
    return {
        "id": goal_id,
        "parent_goal_id": parent,
        "goal_type": "long_term" if parent is None else "short_term",
        "description": f"Goal {goal_id}",
        "measurable_criteria": "",
        "baseline_value": "",
        "target_value": "",
        "current_value": "",
        "target_date": None,
        "status": "not_started",
        "progress_percentage": 0,
        "priority": 1,
        "smart": {},
        "interventions": [],
        **fields,
    }


def link(intervention_id, **fields):
    return {
        "intervention_id": intervention_id,
        "name": f"Intervention {intervention_id}",
        "modality": "CBT",
        "frequency": "weekly",
        "effectiveness_rating": None,
        **fields,
    }


BASE = {
    "schema": 1,
    "plan": {
        "title": "Anxiety Management Plan",
        "status": "active",
        "therapist": "Dana Reyes",
        "therapist_id": "t1",
        "diagnosis_codes": [{"code": "F41.1", "description": "Generalized anxiety disorder"}],
        "presenting_problems": ["chronic worry"],
        "start_date": "2026-09-01",
        "target_end_date": None,
        "actual_end_date": None,
        "review_frequency_days": 90,
        "next_review_date": "2026-11-30",
        "overall_progress": 0,
        "version": 1,
        "notes": "",
    },
    "goals": [
        goal("a", interventions=[link("i1"), link("i2", effectiveness_rating=3)]),
        goal("b", parent="a"),
        goal("c"),
    ],
}


def changed(mutate):
    new = copy.deepcopy(BASE)
    mutate(new)
    return new


def by_id(snapshot, goal_id):
    return next(g for g in snapshot["goals"] if g["id"] == goal_id)


# --- snapshot_diff on hand-made snapshots ------------------------------------------------------


def test_identical_snapshots_have_no_difference():
    diff = snapshot_diff(BASE, copy.deepcopy(BASE))

    assert diff == {"plan": {}, "goals_added": [], "goals_removed": [], "goals_changed": []}
    assert is_empty(diff)


def test_plan_field_changes_are_old_and_new():
    def mutate(s):
        s["plan"]["title"] = "Anxiety and Sleep Plan"
        s["plan"]["diagnosis_codes"].append({"code": "G47.00", "description": "Insomnia, unspecified"})
        s["plan"]["next_review_date"] = "2027-02-28"

    diff = snapshot_diff(BASE, changed(mutate))

    assert diff["plan"] == {
        "title": ["Anxiety Management Plan", "Anxiety and Sleep Plan"],
        "diagnosis_codes": [
            [{"code": "F41.1", "description": "Generalized anxiety disorder"}],
            [
                {"code": "F41.1", "description": "Generalized anxiety disorder"},
                {"code": "G47.00", "description": "Insomnia, unspecified"},
            ],
        ],
        "next_review_date": ["2026-11-30", "2027-02-28"],
    }
    assert not diff["goals_changed"] and not is_empty(diff)


def test_a_new_therapist_is_named():
    def mutate(s):
        s["plan"]["therapist"], s["plan"]["therapist_id"] = "Sam Ortiz", "t2"

    assert snapshot_diff(BASE, changed(mutate))["plan"] == {"therapist": ["Dana Reyes", "Sam Ortiz"]}


def test_a_new_therapist_of_the_same_name_is_still_a_change():
    def mutate(s):
        s["plan"]["therapist_id"] = "t2"

    assert snapshot_diff(BASE, changed(mutate))["plan"] == {"therapist": ["Dana Reyes", "Dana Reyes"]}


def test_goals_added_and_removed():
    def mutate(s):
        s["goals"] = [g for g in s["goals"] if g["id"] != "c"] + [goal("d", parent="a", description="Sleep 7 hours")]

    diff = snapshot_diff(BASE, changed(mutate))

    assert [g["id"] for g in diff["goals_added"]] == ["d"]
    assert diff["goals_added"][0]["description"] == "Sleep 7 hours"
    assert [g["id"] for g in diff["goals_removed"]] == ["c"]
    assert diff["goals_changed"] == []


def test_goal_field_changes_name_the_goal():
    def mutate(s):
        by_id(s, "b").update(status="in_progress", progress_percentage=40, current_value="2 techniques")

    diff = snapshot_diff(BASE, changed(mutate))

    assert diff["goals_changed"] == [
        {
            "id": "b",
            "description": "Goal b",
            "goal_type": "short_term",
            "changes": {
                "current_value": ["", "2 techniques"],
                "status": ["not_started", "in_progress"],
                "progress_percentage": [0, 40],
            },
            "interventions_added": [],
            "interventions_removed": [],
            "interventions_changed": [],
        }
    ]


def test_a_goal_moved_to_another_parent_is_a_change():
    def mutate(s):
        by_id(s, "b")["parent_goal_id"] = "c"

    diff = snapshot_diff(BASE, changed(mutate))

    assert diff["goals_changed"][0]["changes"] == {"parent_goal_id": ["a", "c"]}


def test_interventions_added_removed_and_rated():
    def mutate(s):
        a = by_id(s, "a")
        a["interventions"] = [link("i2", effectiveness_rating=5, frequency="daily"), link("i3")]

    diff = snapshot_diff(BASE, changed(mutate))

    (entry,) = diff["goals_changed"]
    assert entry["id"] == "a" and entry["changes"] == {}
    assert [i["intervention_id"] for i in entry["interventions_added"]] == ["i3"]
    assert [i["intervention_id"] for i in entry["interventions_removed"]] == ["i1"]
    assert entry["interventions_changed"] == [
        {
            "intervention_id": "i2",
            "name": "Intervention i2",
            "changes": {"frequency": ["weekly", "daily"], "effectiveness_rating": [3, 5]},
        }
    ]


def test_changed_goals_come_in_the_new_tree_order():
    def mutate(s):
        for g in s["goals"]:
            g["priority"] = 2
        s["goals"] = [s["goals"][2], s["goals"][0], s["goals"][1]]

    diff = snapshot_diff(BASE, changed(mutate))

    assert [g["id"] for g in diff["goals_changed"]] == ["c", "a", "b"]


def test_a_snapshot_without_goals_or_fields_diffs_as_empty():
    diff = snapshot_diff({}, BASE)

    assert [g["id"] for g in diff["goals_added"]] == ["a", "b", "c"]
    assert diff["plan"]["title"] == [None, "Anxiety Management Plan"]


def test_goal_depths_follow_the_parents():
    goals = [goal("a"), goal("b", parent="a"), {**goal("c", parent="b"), "goal_type": "objective"}, goal("d")]

    assert goal_depths(goals) == {"a": 0, "b": 1, "c": 2, "d": 0}


def test_readable_diff_prints_labels_and_choice_names():
    def mutate(s):
        s["plan"]["status"] = "on_hold"
        s["plan"]["diagnosis_codes"] = []
        by_id(s, "b").update(status="achieved", parent_goal_id="c")

    readable = readable_diff(BASE, changed(mutate))

    assert {(r["label"], r["old"], r["new"]) for r in readable["plan_changes"]} == {
        ("Status", "Active", "On hold"),
        ("Diagnoses", "F41.1 Generalized anxiety disorder", "—"),
    }
    (goal_b,) = readable["goals_changed"]
    assert {(r["label"], r["old"], r["new"]) for r in goal_b["fields"]} == {
        ("Status", "Not started", "Achieved"),
        ("Parent goal", "Goal a", "Goal c"),
    }
    assert not readable["unchanged"]
    assert readable_diff(BASE, BASE)["unchanged"]


# --- real snapshots ----------------------------------------------------------------------------


def by(user):
    return AuditContext.system("tests", user=user)


def test_plan_snapshot_is_json_and_complete(owner, plan, tree):
    snapshot = plan_snapshot(plan)

    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["schema"] == 1
    assert set(snapshot["plan"]) >= {
        "title",
        "status",
        "therapist",
        "diagnosis_codes",
        "presenting_problems",
        "start_date",
        "target_end_date",
        "actual_end_date",
        "review_frequency_days",
        "next_review_date",
        "overall_progress",
        "version",
    }
    objective = by_id(snapshot, str(tree["objective"].pk))
    assert set(objective) >= {
        "id",
        "parent_goal_id",
        "goal_type",
        "description",
        "measurable_criteria",
        "baseline_value",
        "target_value",
        "current_value",
        "target_date",
        "status",
        "progress_percentage",
        "priority",
        "smart",
        "interventions",
    }
    assert objective["interventions"][0]["name"] == "Deep Breathing"


def test_plan_snapshot_costs_the_same_for_3_and_30_goals(owner, patient, django_assert_num_queries):
    small, large = PlanFactory(patient=patient), PlanFactory(patient=patient)
    breathing = intervention("Deep Breathing")
    for plan, n in ((small, 1), (large, 10)):
        for _ in range(n):
            top = GoalFactory(plan=plan, interventions=[{"intervention": breathing}])
            mid = GoalFactory(parent_goal=top, goal_type="short_term", interventions=[{"intervention": breathing}])
            GoalFactory(parent_goal=mid, goal_type="objective", interventions=[{"intervention": breathing}])
    small.therapist, large.therapist = owner, owner

    with django_assert_num_queries(2):
        assert len(plan_snapshot(small)["goals"]) == 3
    with django_assert_num_queries(2):
        assert len(plan_snapshot(large)["goals"]) == 30


def test_two_reviews_and_the_changes_between_them(owner, plan, tree, practice):
    today = practice.today()
    review_record(by=by(owner), plan=plan, review_date=today - datetime.timedelta(days=5), summary="First look.")
    objective = tree["objective"]
    goal_update(by=by(owner), goal=objective, status="in_progress", progress_percentage=50)
    link_ = objective.goal_interventions.get()
    goal_intervention_update(by=by(owner), link=link_, effectiveness_rating=4)
    goal_intervention_add(by=by(owner), goal=objective, intervention=intervention("Progressive Muscle Relaxation"))
    sleep = GoalFactory(plan=plan, description="Sleep seven hours on most nights", priority=2)
    plan_update(by=by(owner), plan=plan, title="Anxiety and Sleep Plan")
    review_record(by=by(owner), plan=plan, review_date=today, summary="Second look.")

    v1, v2 = (PlanVersion.objects.get(plan=plan, number=n).snapshot for n in (1, 2))
    diff = snapshot_diff(v1, v2)

    assert diff["plan"]["title"] == ["Anxiety Management Plan", "Anxiety and Sleep Plan"]
    assert diff["plan"]["version"] == [1, 2]
    assert [g["id"] for g in diff["goals_added"]] == [str(sleep.pk)]
    changes = {g["id"]: g for g in diff["goals_changed"]}
    entry = changes[str(objective.pk)]
    assert entry["changes"]["status"] == ["not_started", "in_progress"]
    assert entry["changes"]["progress_percentage"] == [0, 50]
    assert [i["name"] for i in entry["interventions_added"]] == ["Progressive Muscle Relaxation"]
    assert entry["interventions_changed"][0]["changes"] == {"effectiveness_rating": [None, 4]}
    # The goals above rolled up from the objective.
    assert changes[str(tree["long_term"].pk)]["changes"]["progress_percentage"] == [0, 50]


# --- the diff endpoint -------------------------------------------------------------------------


@pytest.fixture
def reviewed(owner, plan, tree, practice):
    """A plan with version 1 sealed, then its objective achieved, then version 2 sealed, then renamed."""
    today = practice.today()
    review_record(by=by(owner), plan=plan, review_date=today - datetime.timedelta(days=3), summary="First look.")
    goal_update(by=by(owner), goal=tree["objective"], status="achieved")
    review_record(by=by(owner), plan=plan, review_date=today, summary="Second look.")
    plan_update(by=by(owner), plan=plan, title="Renamed after the review")
    return plan


def diff_url(plan, number, against=None):
    url = f"/api/v1/treatment-plans/{plan.pk}/versions/{number}/diff"
    return url if against is None else f"{url}?against={against}"


def test_diff_between_two_versions(api, owner, reviewed, tree):
    response = api.as_(owner).get(diff_url(reviewed, 1, 2))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from_version"], body["to_version"]) == (1, "2")
    changes = {g["id"]: g["changes"] for g in body["goals_changed"]}
    assert changes[str(tree["objective"].pk)]["status"] == ["not_started", "achieved"]
    assert "title" not in body["plan"]


def test_diff_against_the_live_plan(api, owner, reviewed, tree):
    response = api.as_(owner).get(diff_url(reviewed, 2, "current"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["to_version"] == "current"
    assert body["plan"]["title"] == ["Anxiety Management Plan", "Renamed after the review"]
    assert body["plan"]["version"] == [2, 3]
    assert body["goals_changed"] == []


def test_diff_defaults_to_the_live_plan(api, owner, reviewed):
    body = api.as_(owner).get(diff_url(reviewed, 1)).json()

    assert body["to_version"] == "current"
    assert body["plan"]["title"][1] == "Renamed after the review"


@pytest.mark.parametrize(("against", "status"), [("9", 404), ("latest", 400)])
def test_diff_against_a_missing_or_malformed_version(api, owner, reviewed, against, status):
    response = api.as_(owner).get(diff_url(reviewed, 1, against))

    assert response.status_code == status, response.content
    if status == 400:
        assert "against" in response.json()


def test_diff_of_a_missing_version_is_404(api, owner, reviewed):
    assert api.as_(owner).get(diff_url(reviewed, 7)).status_code == 404


def test_the_diff_is_an_audited_read_of_both_sides(api, supervisor, reviewed):
    api.as_(supervisor).get(diff_url(reviewed, 1, "current"))

    views = AuditEvent.objects.filter(user=supervisor, action="view")
    assert set(views.values_list("object_type", flat=True)) == {"reviews.planversion", "treatment.treatmentplan"}
    assert all(e.patient_id == reviewed.patient_id for e in views)


def test_the_diff_costs_the_same_for_3_and_30_goals(api, owner, patient, practice):
    client = api.as_(owner)
    plans = []
    for n in (1, 10):
        plan = PlanFactory(patient=patient)
        for _ in range(n):
            top = GoalFactory(plan=plan, interventions=[{"intervention": intervention("Deep Breathing")}])
            mid = GoalFactory(parent_goal=top, goal_type="short_term")
            GoalFactory(parent_goal=mid, goal_type="objective")
        review_record(by=by(owner), plan=plan, review_date=practice.today(), summary="Looked at it.")
        plans.append(plan)
    client.get(diff_url(plans[0], 1, "current"))  # warm per-process caches

    small_count = _count(client, diff_url(plans[0], 1, "current"))
    large_count = _count(client, diff_url(plans[1], 1, "current"))
    assert small_count == large_count <= 8


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries.captured_queries)
