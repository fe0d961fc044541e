"""The treatment reads cost the same number of queries whatever their size (measured, not timed).

Each test measures a small case under an absolute bound, grows the data (more goals, entries, plans, sessions,
interventions), and asserts the large case costs exactly the same. The client is force-authenticated, so
authentication costs nothing; what is counted is the access check, the page, the audit INSERT and the prefetches.
"""

import datetime

import pytest

from accounts.audit import AuditContext
from interventions import services as intervention_services
from interventions.models import Intervention
from tests.factories import GoalFactory, PatientFactory, PlanFactory, UserFactory, intervention
from treatment.services import progress_record, session_addendum_add, session_record

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def _get(client, url, params=None):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def _chain(plan, n, *, entries=0, by=None):
    """`n` long-term goals, each with a short-term goal with an objective; every goal has an intervention
    and `entries` progress entries. Returns the objectives."""
    library = list(Intervention.objects.filter(is_system=True).order_by("name")[:3])
    objectives = []
    for i in range(n):
        links = [{"intervention": library[i % 3], "frequency": "weekly"}]
        long_term = GoalFactory(plan=plan, priority=1 + i % 10, interventions=links)
        short_term = GoalFactory(parent_goal=long_term, goal_type="short_term", interventions=links)
        objective = GoalFactory(parent_goal=short_term, goal_type="objective", interventions=links)
        objectives.append(objective)
        for goal in (long_term, short_term, objective):
            for k in range(entries):
                progress_record(by=by, goal=goal, progress_note=f"Observation {k}", progress_value=str(k), rating=k + 1)
    return objectives


def _count_goals(goals) -> int:
    return sum(1 + _count_goals(g["sub_goals"]) for g in goals)


@pytest.fixture
def by(owner):
    return AuditContext.system("tests", user=owner)


def test_plan_detail_costs_the_same_for_3_and_60_goals(
    api, owner, patient, by, django_assert_max_num_queries, django_assert_num_queries
):
    client = api.as_(owner)
    small_plan = PlanFactory(patient=patient, title="Small plan")
    _chain(small_plan, 1, entries=3, by=by)
    large_plan = PlanFactory(patient=patient, title="Large plan")
    _chain(large_plan, 20, entries=3, by=by)
    _get(client, f"/api/v1/treatment-plans/{small_plan.pk}")  # warm the per-process caches (content types)

    # The plan (with therapist and practice, access as a subquery), the audit append (the chain's end, the
    # INSERT), the goals, the links.
    with django_assert_max_num_queries(5) as small:
        body = _get(client, f"/api/v1/treatment-plans/{small_plan.pk}")
    assert _count_goals(body["goals"]) == 3

    with django_assert_num_queries(len(small.captured_queries)):
        body = _get(client, f"/api/v1/treatment-plans/{large_plan.pk}")
    assert _count_goals(body["goals"]) == 60
    assert body["progress_summary"]["total_goals"] == 60
    assert all(g["interventions"] for g in body["goals"])


def test_goal_history_costs_the_same_for_3_and_40_entries(
    api, owner, practice_admin, patient, by, django_assert_max_num_queries, django_assert_num_queries
):
    client = api.as_(owner)
    plan = PlanFactory(patient=patient)
    small_goal, large_goal = _chain(plan, 2)
    admin = AuditContext.system("tests", user=practice_admin)
    for k in range(3):
        progress_record(by=by, goal=small_goal, progress_note=f"Entry {k}", rating=k + 1)
    for k in range(40):  # two recorders, so the recorder is not one cached row
        progress_record(by=by if k % 2 else admin, goal=large_goal, progress_note=f"Entry {k}", rating=1 + k % 10)
    _get(client, f"/api/v1/goals/{small_goal.pk}/history")

    # The goal (with plan, patient, practice; access as a subquery), the entries with recorders, the audit append
    # (the chain's end, the INSERT).
    with django_assert_max_num_queries(4) as small:
        assert len(_get(client, f"/api/v1/goals/{small_goal.pk}/history")) == 3

    with django_assert_num_queries(len(small.captured_queries)):
        entries = _get(client, f"/api/v1/goals/{large_goal.pk}/history")
    assert len(entries) == 40
    assert {e["recorded_by"]["id"] for e in entries} == {str(owner.pk), str(practice_admin.pk)}


#: The plan lists: (url, bound). The patient's list also loads the patient (the 404 check).
PLAN_LISTS = [
    # The patient, the count, the page (goal counts annotated, therapist and patient joined), the audit append
    # (the chain's end, the INSERT).
    ("/api/v1/patients/{patient}/treatment-plans", 5),
    # The count, the page, the audit append.
    ("/api/v1/treatment-plans?patient={patient}", 4),
]


@pytest.mark.parametrize(("url", "bound"), PLAN_LISTS, ids=["patient-plans", "treatment-plans"])
def test_plan_lists_cost_the_same_for_1_and_10_plans(
    api, owner, practice, by, url, bound, django_assert_max_num_queries, django_assert_num_queries
):
    client = api.as_(owner)
    teammate = UserFactory(practice=practice)
    patient = PatientFactory(primary_therapist=owner, care_team=[teammate])
    url = url.format(patient=patient.pk)
    _chain(PlanFactory(patient=patient), 1)
    _get(client, url)

    with django_assert_max_num_queries(bound) as small:
        assert _get(client, url)["count"] == 1

    for i in range(9):
        # Plans owned by two therapists, so the therapist is not one cached row.
        plan = PlanFactory(patient=patient, therapist=teammate if i % 2 else owner, start_date=TODAY.replace(day=1))
        _chain(plan, 1)
    with django_assert_num_queries(len(small.captured_queries)):
        body = _get(client, url)
    assert body["count"] == 10
    assert all(row["progress_summary"]["total_goals"] == 3 for row in body["results"])
    assert {row["therapist"]["id"] for row in body["results"]} == {str(owner.pk), str(teammate.pk)}


def test_plan_goal_list_costs_the_same_for_3_and_60_goals(
    api, owner, patient, by, django_assert_max_num_queries, django_assert_num_queries
):
    client = api.as_(owner)
    small_plan = PlanFactory(patient=patient, title="Small plan")
    _chain(small_plan, 1)
    large_plan = PlanFactory(patient=patient, title="Large plan")
    _chain(large_plan, 20)
    _get(client, f"/api/v1/treatment-plans/{small_plan.pk}/goals")

    # The plan (with patient and practice), the goals, their interventions, the audit append (chain's end, INSERT).
    with django_assert_max_num_queries(5) as small:
        assert len(_get(client, f"/api/v1/treatment-plans/{small_plan.pk}/goals")) == 3

    with django_assert_num_queries(len(small.captured_queries)):
        goals = _get(client, f"/api/v1/treatment-plans/{large_plan.pk}/goals")
    assert len(goals) == 60
    assert all(g["interventions"] for g in goals)


#: The session lists: (url, bound).
SESSION_LISTS = [
    # The patient, the count, the page with therapists, goals, interventions, progress with recorders, addenda with
    # authors, the audit append (the chain's end, the INSERT).
    ("/api/v1/patients/{patient}/sessions", 9),
    # The same without the patient.
    ("/api/v1/sessions?patient={patient}", 8),
]


@pytest.mark.parametrize(("url", "bound"), SESSION_LISTS, ids=["patient-sessions", "sessions"])
def test_session_lists_cost_the_same_for_1_and_10_sessions(
    api, owner, patient, by, url, bound, django_assert_max_num_queries, django_assert_num_queries
):
    client = api.as_(owner)
    url = url.format(patient=patient.pk)
    plan = PlanFactory(patient=patient)
    objectives = _chain(plan, 2)
    library = [intervention("Deep Breathing"), intervention("Guided Imagery")]

    def record(day):
        goals = objectives[: 1 + day % 2]
        session = session_record(
            by=by,
            patient=patient,
            session_date=TODAY - datetime.timedelta(days=day),
            duration_minutes=50,
            plan=plan,
            goals=goals,
            interventions=[{"intervention": i, "goal": g} for i in library for g in goals],
            progress=[{"goal": g, "progress_note": f"Day {day}", "rating": 5} for g in goals],
        )
        session_addendum_add(by=by, session=session, text=f"Addendum to day {day}")

    record(1)
    _get(client, url)

    with django_assert_max_num_queries(bound) as small:
        assert _get(client, url)["count"] == 1

    for day in range(2, 11):
        record(day)
    with django_assert_num_queries(len(small.captured_queries)):
        body = _get(client, url)
    assert body["count"] == 10
    for row in body["results"]:
        assert row["goal_ids"]
        assert len(row["interventions_delivered"]) == 2 * len(row["goal_ids"])
        assert len(row["progress_entries"]) == len(row["goal_ids"])
        day = (TODAY - datetime.date.fromisoformat(row["session_date"])).days
        assert [a["text"] for a in row["addenda"]] == [f"Addendum to day {day}"]


def test_intervention_list_costs_the_same_for_one_entry_and_the_whole_library(
    api, owner, practice, django_assert_max_num_queries, django_assert_num_queries
):
    client = api.as_(owner)
    url = "/api/v1/interventions"
    _get(client, url)

    # The count and the page: the library is not patient data, so nothing is audited.
    with django_assert_max_num_queries(2) as small:
        assert _get(client, url, {"search": "Deep Breathing"})["count"] == 1

    with django_assert_num_queries(len(small.captured_queries)):
        assert _get(client, url)["count"] == 55

    for i in range(20):
        intervention_services.intervention_create(
            practice=practice, created_by=owner, name=f"Custom technique {i}", modality="CBT"
        )
    with django_assert_num_queries(len(small.captured_queries)):
        body = _get(client, url)
    assert body["count"] == 75
    assert len(body["results"]) == 50


GRANTS_TABLE = "accounts_patientuserobjectpermission"


def test_an_htmx_goal_save_asks_the_access_question_once(client, owner, plan, tree, django_assert_num_queries):
    """The page base reads the goal, its plan and both access answers in one query and hands all of it on:
    the service takes the change right as confirmed and the tree is drawn from the plan the write left."""
    from tests.treatment.test_goal_pages import HTMX, edit_data

    client.force_login(owner)
    goal = tree["objective"]
    client.get(f"/plans/{plan.pk}/")  # warm the per-process caches (content types)
    # The session and the user; the goal with its plan, patient, practice, therapist and the user's rights;
    # under the plan's lock: the plan, the goal, its UPDATE, the audit append (the chain's end under the audit
    # lock, the INSERT), the rollup's read of the tree;
    # the tree drawn again (goals, their interventions, their rated entries); the session saved (the idle
    # timeout slides). SAVEPOINT and RELEASE of the write's transaction and of the session's save are four
    # more (the test runs inside a transaction; outside one they are BEGIN and COMMIT, which are not queries).
    with django_assert_num_queries(17) as captured:
        response = client.post(f"/goals/{goal.pk}/edit/", edit_data(goal, description="Breathe slowly daily"), **HTMX)
    assert response.status_code == 200
    assert "Breathe slowly daily" in response.content.decode()
    assert sum(GRANTS_TABLE in query["sql"] for query in captured.captured_queries) == 1
