"""Progress: the rollup rules of issue 3, pure and through the API (checklist "Record progress entries",
"Progress percentage calculation").

Covers: `treatment.progress` (weight = 1/priority with the issue's 70%/40% -> 60 example, discontinued
sub-goals left out, achieved = 100, rounding half up, the plan's overall figure and summary); POST
goals/{id}/progress (a rating sets the leaf to rating*10, progress_value becomes current_value, a
not_started goal starts; parents and the plan roll up); discontinuing and achieving goals; bad entries
(rating 0/11, empty note, another patient's session, a future time) answer 400 and write nothing;
GET goals/{id}/history (all entries, oldest first); a backdated entry never overrules a newer one.
Each API test asserts the response AND what the database holds afterwards.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.audit import AuditContext
from tests.factories import GoalFactory, PatientFactory
from treatment.models import GoalProgress, TreatmentGoal, TreatmentPlan
from treatment.progress import rating_to_percentage, rollup, summarize, weighted_progress
from treatment.services import session_record

# --- the pure functions ----------------------------------------------------------------------------


def test_the_issues_example_weights_by_one_over_priority():
    # (70*1 + 40*0.5) / 1.5 = 60; the spec's formula (weight = priority) would give 50.
    assert weighted_progress([(70, 1), (40, 2)]) == 60


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([(50, 1)], 50),
        ([(100, 1), (0, 1)], 50),
        ([(100, 1), (0, 10)], 91),  # 100 / 1.1 = 90.9
        ([(0, 1), (100, 10)], 9),  # 10 / 1.1 = 9.09
        ([(30, 3), (60, 3), (90, 3)], 60),
        ([(1, 1), (0, 1)], 1),  # 0.5 -> 1 (banker's rounding would give 0)
        ([(5, 1), (0, 1)], 3),  # 2.5 -> 3 (banker's rounding would give 2)
        ([(25, 1), (0, 1)], 13),  # 12.5 -> 13
        ([(10, 1), (0, 3)], 8),  # 10 / (4/3) = 7.5 -> 8
        ([(45, 1), (0, 2), (0, 2)], 23),  # 45 / 2 = 22.5 -> 23
        ([(1, 1), (0, 1), (0, 1)], 0),  # 0.33 -> 0
    ],
)
def test_weighted_progress(items, expected):
    assert weighted_progress(items) == expected


def test_weighted_progress_of_nothing_is_none():
    assert weighted_progress([]) is None


@pytest.mark.parametrize(("rating", "expected"), [(1, 10), (4, 40), (7, 70), (10, 100)])
def test_rating_to_percentage(rating, expected):
    assert rating_to_percentage(rating) == expected


def node(name, goal_type="long_term", parent=None, status="in_progress", priority=1, progress=0):
    return SimpleNamespace(
        id=name,
        parent_goal_id=parent,
        goal_type=goal_type,
        status=status,
        priority=priority,
        progress_percentage=progress,
    )


def test_rollup_weights_sub_goals_and_the_plan_by_one_over_priority():
    goals = [
        node("L1", priority=1),
        node("S1", "short_term", "L1", priority=1),
        node("S2", "short_term", "L1", priority=2),
        node("O1", "objective", "S1", progress=70),
        node("S2a", "objective", "S2", progress=40),
        node("L2", priority=2),
        node("S3", "short_term", "L2", progress=30),
    ]

    computed, overall = rollup(goals)

    assert computed["S1"] == 70
    assert computed["S2"] == 40
    assert computed["L1"] == 60
    assert computed["L2"] == 30
    assert overall == 50  # (60*1 + 30*0.5) / 1.5


def test_rollup_leaves_out_discontinued_sub_goals_and_long_term_goals():
    goals = [
        node("L1"),
        node("S1", "short_term", "L1", progress=70),
        node("S2", "short_term", "L1", status="discontinued", priority=1, progress=0),
        node("L2", status="discontinued", progress=0),
    ]

    computed, overall = rollup(goals)

    assert computed["L1"] == 70
    assert overall == 70


def test_rollup_counts_an_achieved_goal_as_100_whatever_its_stored_figure():
    goals = [
        node("L1"),
        node("S1", "short_term", "L1", status="achieved", progress=30),
        node("S2", "short_term", "L1", progress=40, priority=2),
        node("L2", status="achieved", progress=0),
        node("S3", "short_term", "L2", progress=10),
    ]

    computed, overall = rollup(goals)

    assert computed["S1"] == 100
    assert computed["L1"] == 80  # (100 + 40*0.5) / 1.5
    assert computed["L2"] == 100  # achieved wins over its sub-goals' 10
    assert overall == 90


def test_rollup_of_a_goal_whose_sub_goals_are_all_discontinued_keeps_its_own_figure():
    goals = [node("L1", progress=20), node("S1", "short_term", "L1", status="discontinued", progress=90)]

    computed, overall = rollup(goals)

    assert computed["L1"] == 20
    assert overall == 20


def test_rollup_of_no_goals_is_zero():
    assert rollup([]) == ({}, 0)


def test_summarize_counts_every_level_by_status():
    goals = [
        node("L1", status="in_progress"),
        node("S1", "short_term", "L1", status="achieved"),
        node("S2", "short_term", "L1", status="not_started"),
        node("O1", "objective", "S1", status="modified"),
        node("O2", "objective", "S2", status="discontinued"),
    ]

    assert summarize(goals, 42) == {
        "total_goals": 5,
        "not_started": 1,
        "in_progress": 1,
        "achieved": 1,
        "modified": 1,
        "discontinued": 1,
        "overall_progress": 42,
    }


# --- through the API -------------------------------------------------------------------------------


def progress_url(goal):
    return f"/api/v1/goals/{goal.pk}/progress"


def refetch(goal):
    return TreatmentGoal.objects.get(pk=goal.pk)


def record(api, user, goal, **body):
    body.setdefault("progress_note", "Practised in session and at home.")
    return api.as_(user).post(progress_url(goal), body, format="json")


@pytest.fixture
def forest(plan):
    """Two long-term goals: L1 (priority 1) with S1 (priority 1) and S2 (priority 2); L2 (priority 2) with S3."""
    l1 = GoalFactory(plan=plan, description="Reduce anxiety", priority=1)
    s1 = GoalFactory(parent_goal=l1, goal_type="short_term", description="Relaxation skills", priority=1)
    s2 = GoalFactory(parent_goal=l1, goal_type="short_term", description="Challenge worries", priority=2)
    l2 = GoalFactory(plan=plan, description="Sleep better", priority=2)
    s3 = GoalFactory(parent_goal=l2, goal_type="short_term", description="Sleep routine", priority=1)
    return {"L1": l1, "S1": s1, "S2": s2, "L2": l2, "S3": s3}


@pytest.mark.django_db
def test_a_rating_sets_the_leaf_goal(api, owner, tree):
    goal = tree["objective"]

    response = api.as_(owner).post(
        progress_url(goal),
        {
            "progress_note": "Patient successfully practiced deep breathing. Reported using it twice this week.",
            "progress_value": "1 technique learned",
            "rating": 7,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["goal_id"] == str(goal.pk)
    assert data["rating"] == 7
    assert data["progress_value"] == "1 technique learned"
    assert data["recorded_by"]["id"] == str(owner.pk)
    entry = GoalProgress.objects.get(pk=data["id"])
    assert entry.goal_id == goal.pk
    assert entry.recorded_by == owner
    assert entry.rating == 7
    assert entry.progress_note.startswith("Patient successfully practiced deep breathing.")
    assert entry.session is None
    saved = refetch(goal)
    assert saved.progress_percentage == 70
    assert saved.current_value == "1 technique learned"
    assert saved.status == "in_progress"
    # The parents roll up and start too; the plan's overall figure follows.
    assert refetch(tree["short_term"]).progress_percentage == 70
    assert refetch(tree["short_term"]).status == "in_progress"
    assert refetch(tree["long_term"]).progress_percentage == 70
    assert TreatmentPlan.objects.get(pk=goal.plan_id).overall_progress == 70


@pytest.mark.django_db
def test_an_entry_without_a_rating_keeps_the_percentage(api, owner, tree):
    goal = tree["objective"]
    assert record(api, owner, goal, rating=6).status_code == 201

    response = record(api, owner, goal, progress_value="Twice this week")

    assert response.status_code == 201, response.content
    saved = refetch(goal)
    assert saved.progress_percentage == 60
    assert saved.current_value == "Twice this week"
    assert GoalProgress.objects.filter(goal=goal).count() == 2


@pytest.mark.django_db
def test_progress_rolls_up_with_weight_one_over_priority(api, owner, plan, forest):
    assert record(api, owner, forest["S1"], rating=7).status_code == 201
    assert record(api, owner, forest["S2"], rating=4).status_code == 201
    assert record(api, owner, forest["S3"], rating=3).status_code == 201

    assert refetch(forest["S1"]).progress_percentage == 70
    assert refetch(forest["S2"]).progress_percentage == 40
    assert refetch(forest["L1"]).progress_percentage == 60  # (70*1 + 40*0.5) / 1.5
    assert refetch(forest["L2"]).progress_percentage == 30
    assert TreatmentPlan.objects.get(pk=plan.pk).overall_progress == 50  # (60*1 + 30*0.5) / 1.5

    detail = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}").json()
    assert detail["progress_summary"]["overall_progress"] == 50
    assert detail["overall_progress"] == 50
    assert {g["id"]: g["progress_percentage"] for g in detail["goals"]} == {
        str(forest["L1"].pk): 60,
        str(forest["L2"].pk): 30,
    }
    assert detail["progress_summary"]["in_progress"] == 5


@pytest.mark.django_db
def test_discontinuing_a_sub_goal_takes_it_out_of_the_average(api, owner, plan, forest):
    record(api, owner, forest["S1"], rating=7)
    record(api, owner, forest["S2"], rating=4)
    assert refetch(forest["L1"]).progress_percentage == 60

    response = api.as_(owner).patch(f"/api/v1/goals/{forest['S2'].pk}", {"status": "discontinued"}, format="json")

    assert response.status_code == 200, response.content
    assert refetch(forest["S2"]).status == "discontinued"
    assert refetch(forest["L1"]).progress_percentage == 70
    assert TreatmentPlan.objects.get(pk=plan.pk).overall_progress == 47  # (70 + 0*0.5) / 1.5 = 46.7


@pytest.mark.django_db
def test_no_progress_on_a_discontinued_goal(api, owner, forest):
    api.as_(owner).patch(f"/api/v1/goals/{forest['S2'].pk}", {"status": "discontinued"}, format="json")

    response = record(api, owner, forest["S2"], rating=9)

    assert response.status_code == 400, response.content
    assert not GoalProgress.objects.filter(goal=forest["S2"]).exists()
    assert refetch(forest["S2"]).progress_percentage == 0


@pytest.mark.django_db
def test_marking_a_goal_achieved_makes_it_100(api, owner, plan, forest):
    record(api, owner, forest["S2"], rating=4)

    response = api.as_(owner).patch(f"/api/v1/goals/{forest['S1'].pk}", {"status": "achieved"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["progress_percentage"] == 100
    assert refetch(forest["S1"]).progress_percentage == 100
    assert refetch(forest["L1"]).progress_percentage == 80  # (100 + 40*0.5) / 1.5


@pytest.mark.django_db
def test_an_achieved_long_term_goal_counts_100_in_the_plan(api, owner, plan, forest):
    response = api.as_(owner).patch(f"/api/v1/goals/{forest['L2'].pk}", {"status": "achieved"}, format="json")

    assert response.status_code == 200, response.content
    assert refetch(forest["L2"]).progress_percentage == 100
    assert TreatmentPlan.objects.get(pk=plan.pk).overall_progress == 33  # (0 + 100*0.5) / 1.5


@pytest.mark.django_db
def test_reopening_an_achieved_leaf_goes_back_to_its_last_rating(api, owner, tree):
    goal = tree["objective"]
    record(api, owner, goal, rating=5)
    api.as_(owner).patch(f"/api/v1/goals/{goal.pk}", {"status": "achieved"}, format="json")
    assert refetch(goal).progress_percentage == 100

    response = api.as_(owner).patch(f"/api/v1/goals/{goal.pk}", {"status": "in_progress"}, format="json")

    assert response.status_code == 200, response.content
    assert refetch(goal).progress_percentage == 50
    assert refetch(tree["long_term"]).progress_percentage == 50


@pytest.mark.django_db
@pytest.mark.parametrize("rating", [0, 11, -3, "seven"])
def test_a_rating_outside_1_to_10_answers_400_and_writes_nothing(api, owner, tree, rating):
    goal = tree["objective"]

    response = record(api, owner, goal, rating=rating, progress_value="should not land")

    assert response.status_code == 400, response.content
    assert "rating" in response.json()
    assert not GoalProgress.objects.filter(goal=goal).exists()
    saved = refetch(goal)
    assert (saved.progress_percentage, saved.current_value, saved.status) == (0, "", "not_started")


@pytest.mark.django_db
@pytest.mark.parametrize("note", ["", "   ", None], ids=["empty", "blank", "missing"])
def test_a_progress_note_is_required(api, owner, tree, note):
    goal = tree["objective"]
    body = {"rating": 7}
    if note is not None:
        body["progress_note"] = note

    response = api.as_(owner).post(progress_url(goal), body, format="json")

    assert response.status_code == 400, response.content
    assert "progress_note" in response.json()
    assert not GoalProgress.objects.exists()
    assert refetch(goal).progress_percentage == 0


def make_session(patient, plan=None, days_ago=1):
    return session_record(
        by=AuditContext.system("tests"),
        patient=patient,
        plan=plan,
        session_date=timezone.localdate() - datetime.timedelta(days=days_ago),
        duration_minutes=50,
    )


@pytest.mark.django_db
def test_a_session_of_the_same_patient_is_linked(api, owner, patient, plan, tree):
    session = make_session(patient, plan)

    response = record(api, owner, tree["objective"], rating=6, session_id=str(session.pk))

    assert response.status_code == 201, response.content
    assert response.json()["session_id"] == str(session.pk)
    assert GoalProgress.objects.get(pk=response.json()["id"]).session == session


@pytest.mark.django_db
def test_another_patients_session_answers_400(api, owner, tree):
    other = PatientFactory(primary_therapist=owner, first_name="Noah")
    session = make_session(other)

    response = record(api, owner, tree["objective"], rating=6, session_id=str(session.pk))

    assert response.status_code == 400, response.content
    assert "session_id" in response.json()
    assert not GoalProgress.objects.exists()
    assert refetch(tree["objective"]).progress_percentage == 0


@pytest.mark.django_db
def test_progress_cannot_be_recorded_in_the_future(api, owner, tree):
    future = timezone.now() + datetime.timedelta(hours=2)

    response = record(api, owner, tree["objective"], rating=6, recorded_at=future.isoformat())

    assert response.status_code == 400, response.content
    assert "recorded_at" in response.json()
    assert not GoalProgress.objects.exists()
    assert refetch(tree["objective"]).progress_percentage == 0


@pytest.mark.django_db
def test_history_lists_every_entry_oldest_first(api, owner, tree):
    goal = tree["objective"]
    now = timezone.now()
    posted = [(10, 6, "ten days ago"), (30, 2, "thirty days ago"), (20, 4, "twenty days ago")]
    for days, rating, value in posted:
        response = record(
            api,
            owner,
            goal,
            rating=rating,
            progress_value=value,
            recorded_at=(now - datetime.timedelta(days=days)).isoformat(),
        )
        assert response.status_code == 201, response.content
    other_goal_entry = record(api, owner, tree["short_term"], rating=9)
    assert other_goal_entry.status_code == 201

    response = api.as_(owner).get(f"/api/v1/goals/{goal.pk}/history")

    assert response.status_code == 200, response.content
    history = response.json()
    assert isinstance(history, list)
    assert [e["progress_value"] for e in history] == ["thirty days ago", "twenty days ago", "ten days ago"]
    assert [e["rating"] for e in history] == [2, 4, 6]
    assert all(e["goal_id"] == str(goal.pk) for e in history)
    assert GoalProgress.objects.filter(goal=goal).count() == 3
    # Whatever order they were posted in, the newest observation speaks for the goal.
    saved = refetch(goal)
    assert saved.progress_percentage == 60
    assert saved.current_value == "ten days ago"


@pytest.mark.django_db
def test_a_backdated_entry_does_not_overrule_a_newer_one(api, owner, tree):
    goal = tree["objective"]
    assert record(api, owner, goal, rating=8, progress_value="3 techniques").status_code == 201

    backdated = (timezone.now() - datetime.timedelta(days=14)).isoformat()
    response = record(api, owner, goal, rating=3, progress_value="1 technique", recorded_at=backdated)

    assert response.status_code == 201, response.content
    assert GoalProgress.objects.filter(goal=goal).count() == 2
    saved = refetch(goal)
    assert saved.progress_percentage == 80
    assert saved.current_value == "3 techniques"
    assert refetch(tree["long_term"]).progress_percentage == 80
    history = api.as_(owner).get(f"/api/v1/goals/{goal.pk}/history").json()
    assert [e["rating"] for e in history] == [3, 8]


@pytest.mark.django_db
def test_a_newer_entry_does_overrule_an_older_one(api, owner, tree):
    goal = tree["objective"]
    older = (timezone.now() - datetime.timedelta(days=14)).isoformat()
    assert record(api, owner, goal, rating=3, progress_value="1 technique", recorded_at=older).status_code == 201

    assert record(api, owner, goal, rating=8, progress_value="3 techniques").status_code == 201

    saved = refetch(goal)
    assert saved.progress_percentage == 80
    assert saved.current_value == "3 techniques"


@pytest.mark.django_db
def test_progress_on_a_goal_with_sub_goals_is_overwritten_by_the_rollup(api, owner, tree):
    record(api, owner, tree["objective"], rating=4)

    response = record(api, owner, tree["short_term"], rating=9)

    assert response.status_code == 201, response.content
    assert GoalProgress.objects.filter(goal=tree["short_term"]).count() == 1
    assert refetch(tree["short_term"]).progress_percentage == 40  # calculated from its objective
