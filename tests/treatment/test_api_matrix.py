"""The permission matrix of the treatment-plan and intervention API: every endpoint x every member of the cast.

The care team (`owner`) reads and writes; the supervisor reads (writes -> 403); the practice admin reads and
writes; a colleague off the care team and another practice's admin get 404 on every path (the record's existence
is not disclosed). Unauthenticated -> 401. Each cell asserts the status AND the database afterwards: a denied
write changed nothing. Also: lists filter by the same rule, reads are audited only when allowed, id fields accept
only records the caller may see (400 naming the field), the intervention library's edit rights, and transfer of
care moving plan access to the new therapist.
"""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from interventions import services as intervention_services
from interventions.models import Intervention
from tests.factories import GoalFactory, PatientFactory, PlanFactory, UserFactory, intervention, make_plan, make_tree
from treatment.models import (
    GoalIntervention,
    GoalProgress,
    SessionIntervention,
    TherapySession,
    TreatmentGoal,
    TreatmentPlan,
)
from treatment.services import session_record

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
READ = {"owner": 200, "colleague": 404, "supervisor": 200, "practice_admin": 200, "outsider_admin": 404}
WRITE = {"owner": 200, "colleague": 404, "supervisor": 403, "practice_admin": 200, "outsider_admin": 404}
CREATE = {**WRITE, "owner": 201, "practice_admin": 201}
SEES_PATIENT = {role: READ[role] == 200 for role in ROLES}

SESSION_DATE = datetime.date.today() - datetime.timedelta(days=7)


def build_world(owner, patient, plan, tree) -> dict:
    """The owner's patient with a plan tree and one recorded session (a goal, an intervention, a progress entry)."""
    objective = tree["objective"]
    session = session_record(
        by=AuditContext.system("tests", user=owner),
        patient=patient,
        session_date=SESSION_DATE,
        duration_minutes=50,
        plan=plan,
        goals=[objective],
        interventions=[{"intervention": intervention("Deep Breathing"), "goal": objective}],
        progress=[{"goal": objective, "progress_note": "Practised deep breathing on four days", "rating": 5}],
    )
    return {
        "patient": patient,
        "plan": plan,
        "long_term": tree["long_term"],
        "short_term": tree["short_term"],
        "goal": objective,
        "link": GoalIntervention.objects.get(goal=objective),
        "entry": GoalProgress.objects.get(goal=objective),
        "session": session,
    }


@pytest.fixture
def world(owner, patient, plan, tree):
    return build_world(owner, patient, plan, tree)


def ids(w) -> dict:
    return {name: obj.pk for name, obj in w.items()}


# --- what each write changes -------------------------------------------------------------------


def plan_title(w):
    return TreatmentPlan.objects.get(pk=w["plan"].pk).title


def plan_count(w):
    return TreatmentPlan.objects.filter(patient=w["patient"]).count()


def goal_rows(w):
    return (TreatmentGoal.objects.filter(plan=w["plan"]).count(), GoalIntervention.objects.count())


def goal_fields(w):
    goal = TreatmentGoal.objects.get(pk=w["goal"].pk)
    return (goal.description, goal.priority)


def progress_rows(w):
    goal = TreatmentGoal.objects.get(pk=w["goal"].pk)
    return (GoalProgress.objects.count(), goal.progress_percentage)


def link_rows(w):
    return GoalIntervention.objects.filter(goal=w["goal"]).count()


def link_fields(w):
    link = GoalIntervention.objects.get(pk=w["link"].pk)
    return (link.frequency, link.notes, link.effectiveness_rating)


def session_rows(w):
    return (
        TherapySession.objects.count(),
        SessionIntervention.objects.count(),
        TherapySession.goals_addressed.through.objects.count(),
        GoalProgress.objects.count(),
    )


def plus_one(before):
    return tuple(n + 1 for n in before) if isinstance(before, tuple) else before + 1


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # formatted with the ids of `world`
    expected: dict  # role -> status
    body: Callable[[dict], dict] | None = None
    state: Callable[[dict], Any] | None = None  # the database fact a write changes
    changed: Callable[[Any], Any] | None = None  # that fact after an allowed write, from the one before
    returns: str | None = None  # the key of `world` whose id an allowed read returns

    def __str__(self):
        return self.name


ENDPOINTS = [
    Endpoint("patient-plans-list", "GET", "patients/{patient}/treatment-plans", READ, returns="plan"),
    Endpoint(
        "patient-plans-create",
        "POST",
        "patients/{patient}/treatment-plans",
        CREATE,
        body=lambda w: {
            "title": "Sleep Improvement Plan",
            "start_date": "2026-10-01",
            "diagnosis_codes": [{"code": "F41.1"}],
            "presenting_problems": ["insomnia"],
        },
        state=plan_count,
        changed=plus_one,
    ),
    Endpoint("plan-detail", "GET", "treatment-plans/{plan}", READ, returns="plan"),
    Endpoint(
        "plan-put",
        "PUT",
        "treatment-plans/{plan}",
        WRITE,
        body=lambda w: {
            "title": "Renamed plan",
            "start_date": "2026-09-01",
            "diagnosis_codes": [{"code": "F41.1"}],
            "presenting_problems": ["chronic worry"],
        },
        state=plan_title,
        changed=lambda before: "Renamed plan",
    ),
    Endpoint(
        "plan-patch",
        "PATCH",
        "treatment-plans/{plan}",
        WRITE,
        body=lambda w: {"title": "Renamed plan"},
        state=plan_title,
        changed=lambda before: "Renamed plan",
    ),
    Endpoint("plan-goals-list", "GET", "treatment-plans/{plan}/goals", READ, returns="goal"),
    Endpoint(
        "plan-goals-create",
        "POST",
        "treatment-plans/{plan}/goals",
        CREATE,
        body=lambda w: {
            "goal_type": "short_term",
            "parent_goal_id": str(w["long_term"].pk),
            "description": "Sleep seven hours on five nights a week",
            "priority": 2,
            "interventions": [{"intervention_id": str(intervention("Sleep Hygiene").pk), "frequency": "weekly"}],
        },
        state=goal_rows,
        changed=plus_one,
    ),
    Endpoint("goal-detail", "GET", "goals/{goal}", READ, returns="goal"),
    Endpoint(
        "goal-put",
        "PUT",
        "goals/{goal}",
        WRITE,
        body=lambda w: {
            "goal_type": "objective",
            "parent_goal_id": str(w["short_term"].pk),
            "description": "Practise deep breathing twice a day",
            "priority": 3,
        },
        state=goal_fields,
        changed=lambda before: ("Practise deep breathing twice a day", 3),
    ),
    Endpoint(
        "goal-patch",
        "PATCH",
        "goals/{goal}",
        WRITE,
        body=lambda w: {"description": "Practise deep breathing twice a day", "priority": 3},
        state=goal_fields,
        changed=lambda before: ("Practise deep breathing twice a day", 3),
    ),
    Endpoint(
        "goal-progress",
        "POST",
        "goals/{goal}/progress",
        CREATE,
        body=lambda w: {"progress_note": "Used the technique before a presentation", "rating": 8},
        state=progress_rows,
        changed=lambda before: (before[0] + 1, 80),
    ),
    Endpoint("goal-history", "GET", "goals/{goal}/history", READ, returns="entry"),
    Endpoint("goal-interventions-list", "GET", "goals/{goal}/interventions", READ, returns="link"),
    Endpoint(
        "goal-interventions-create",
        "POST",
        "goals/{goal}/interventions",
        CREATE,
        body=lambda w: {
            "intervention_id": str(intervention("Progressive Muscle Relaxation").pk),
            "frequency": "twice weekly",
        },
        state=link_rows,
        changed=plus_one,
    ),
    Endpoint("goal-intervention-detail", "GET", "goals/{goal}/interventions/{link}", READ, returns="link"),
    Endpoint(
        "goal-intervention-put",
        "PUT",
        "goals/{goal}/interventions/{link}",
        WRITE,
        body=lambda w: {"frequency": "daily", "notes": "Helps before sleep", "effectiveness_rating": 4},
        state=link_fields,
        changed=lambda before: ("daily", "Helps before sleep", 4),
    ),
    Endpoint(
        "goal-intervention-patch",
        "PATCH",
        "goals/{goal}/interventions/{link}",
        WRITE,
        body=lambda w: {"effectiveness_rating": 4},
        state=link_fields,
        changed=lambda before: (before[0], before[1], 4),
    ),
    Endpoint("patient-sessions-list", "GET", "patients/{patient}/sessions", READ, returns="session"),
    Endpoint(
        "patient-sessions-create",
        "POST",
        "patients/{patient}/sessions",
        CREATE,
        body=lambda w: {
            "session_date": str(datetime.date.today() - datetime.timedelta(days=1)),
            "duration_minutes": 50,
            "plan_id": str(w["plan"].pk),
            "goal_ids": [str(w["goal"].pk)],
            "interventions": [
                {"intervention_id": str(intervention("Guided Imagery").pk), "goal_id": str(w["goal"].pk)}
            ],
            "progress": [{"goal_id": str(w["goal"].pk), "progress_note": "Calmer at work this week", "rating": 7}],
        },
        state=session_rows,
        changed=plus_one,
    ),
    Endpoint("session-detail", "GET", "sessions/{session}", READ, returns="session"),
]

#: The lists of everything the caller may see (200 for everyone; the rows are filtered).
TOP_LISTS = [("treatment-plans", "plan"), ("sessions", "session")]
UNAUTHENTICATED = [*ENDPOINTS, *(Endpoint(f"{p}-list", "GET", p, READ) for p, _ in TOP_LISTS)]

#: Reading cells run on one world built for them all (`TestReads`); a write gets a world of its own.
READS = [e for e in ENDPOINTS if e.method == "GET"]
WRITES = [e for e in ENDPOINTS if e.method != "GET"]


def url(path: str, w: dict) -> str:
    return "/api/v1/" + path.format(**ids(w))


def rows_of(payload) -> list:
    return payload["results"] if isinstance(payload, dict) and "results" in payload else payload


def returned_ids(payload) -> set[str]:
    if isinstance(payload, dict) and "results" not in payload:
        return {payload["id"]}
    return {row["id"] for row in rows_of(payload)}


def write_events() -> int:
    return AuditEvent.objects.filter(action__in=["create", "update"]).count()


def check_cell(api, cast, world, endpoint, role):
    expected = endpoint.expected[role]
    before = endpoint.state(world) if endpoint.state else None
    events_before = write_events()
    body = endpoint.body(world) if endpoint.body else None

    response = getattr(api.as_(cast[role]), endpoint.method.lower())(url(endpoint.path, world), body)

    assert response.status_code == expected, response.content
    if endpoint.returns and expected == 200:
        assert str(world[endpoint.returns].pk) in returned_ids(response.json())
    if endpoint.state is None:
        return
    after = endpoint.state(world)
    if expected in (200, 201):
        assert after == endpoint.changed(before)
        assert write_events() > events_before
    else:
        assert after == before
        assert write_events() == events_before


def check_unauthenticated(world, endpoint):
    before = endpoint.state(world) if endpoint.state else None
    events = AuditEvent.objects.count()
    body = endpoint.body(world) if endpoint.body else None

    response = getattr(APIClient(), endpoint.method.lower())(url(endpoint.path, world), body, format="json")

    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Token")
    if endpoint.state:
        assert endpoint.state(world) == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", WRITES, ids=str)
def test_matrix(api, cast, world, endpoint, role):
    check_cell(api, cast, world, endpoint, role)


@pytest.mark.parametrize("endpoint", [e for e in UNAUTHENTICATED if e.method != "GET"], ids=str)
def test_unauthenticated_gets_401_and_changes_nothing(world, endpoint):
    check_unauthenticated(world, endpoint)


AUDITED_READS = [
    ("patients/{patient}/treatment-plans", "plan", "treatment.treatmentplan"),
    ("treatment-plans/{plan}", "plan", "treatment.treatmentplan"),
    ("treatment-plans", "plan", "treatment.treatmentplan"),
    ("treatment-plans/{plan}/goals", "goal", "treatment.treatmentgoal"),
    ("goals/{goal}", "goal", "treatment.treatmentgoal"),
    ("goals/{goal}/history", "entry", "treatment.goalprogress"),
    ("goals/{goal}/interventions", "link", "treatment.goalintervention"),
    ("goals/{goal}/interventions/{link}", "link", "treatment.goalintervention"),
    ("patients/{patient}/sessions", "session", "treatment.therapysession"),
    ("sessions", "session", "treatment.therapysession"),
    ("sessions/{session}", "session", "treatment.therapysession"),
]


class TestReads:
    """The cells that only read, on one world built once for them all (`shared_cast`, tests/conftest.py): each
    runs in a savepoint of the class's transaction, so the audit event a read writes is gone before the next."""

    @pytest.fixture(scope="class")
    @classmethod
    def shared_data(cls, shared_cast):
        c = shared_cast
        plan = make_plan(c["patient"])
        return {"cast": c["cast"], "world": build_world(c["owner"], c["patient"], plan, make_tree(plan))}

    @pytest.fixture
    def cast(self, shared):
        return shared["cast"]

    @pytest.fixture
    def world(self, shared):
        return shared["world"]

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("endpoint", READS, ids=str)
    def test_matrix(self, api, cast, world, endpoint, role):
        check_cell(api, cast, world, endpoint, role)

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize(("path", "key"), TOP_LISTS, ids=[p for p, _ in TOP_LISTS])
    def test_lists_show_only_what_the_caller_may_see(self, api, cast, world, path, key, role):
        response = api.as_(cast[role]).get(f"/api/v1/{path}")

        assert response.status_code == 200, response.content
        assert (str(world[key].pk) in returned_ids(response.json())) is SEES_PATIENT[role]

    @pytest.mark.parametrize("role", ROLES)
    def test_lists_filtered_by_patient_are_filtered_by_access_too(self, api, cast, world, role):
        for path, key in TOP_LISTS:
            response = api.as_(cast[role]).get(f"/api/v1/{path}", {"patient": str(world["patient"].pk)})
            assert response.status_code == 200, response.content
            assert returned_ids(response.json()) == ({str(world[key].pk)} if SEES_PATIENT[role] else set())

    @pytest.mark.parametrize("endpoint", [e for e in UNAUTHENTICATED if e.method == "GET"], ids=str)
    def test_unauthenticated_gets_401_and_changes_nothing(self, world, endpoint):
        check_unauthenticated(world, endpoint)

    # --- audit of reads ------------------------------------------------------------------------

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize(("path", "key", "object_type"), AUDITED_READS, ids=[p for p, _, _ in AUDITED_READS])
    def test_reads_are_audited_only_when_allowed(self, api, cast, world, path, key, object_type, role):
        user = cast[role]
        object_id = str(world[key].pk)
        about_it = AuditEvent.objects.filter(object_id=object_id)
        before = about_it.count()

        response = api.as_(user).get(url(path, world))

        views = about_it.filter(action="view", user=user)
        if SEES_PATIENT[role]:
            assert response.status_code == 200, response.content
            event = views.get()
            assert event.object_type == object_type
            assert event.patient == world["patient"]
            assert event.channel == "api"
        else:
            top_list = any(path == p for p, _ in TOP_LISTS)
            assert response.status_code == (200 if top_list else 404), response.content  # a list without it
            assert about_it.exclude(action="denied").count() == before
            assert not AuditEvent.objects.filter(user=user).exclude(action="denied").exists()
            # The refusal itself is recorded (`accounts.audit_denied`).
            assert AuditEvent.objects.filter(user=user, action="denied").count() == (0 if top_list else 1)


# --- id fields accept only what the caller may see -----------------------------------------------


@pytest.fixture
def hidden(colleague):
    """A patient of the colleague, with a plan, a goal and a session: none of it visible to the owner."""
    other = PatientFactory(primary_therapist=colleague, first_name="Noah", last_name="Reyes")
    other_plan = PlanFactory(patient=other, title="Depression Plan")
    goal = GoalFactory(plan=other_plan, description="Return to work part time")
    session = session_record(
        by=AuditContext.system("tests", user=colleague),
        patient=other,
        session_date=SESSION_DATE,
        duration_minutes=45,
        plan=other_plan,
        goals=[goal],
        confirmed=True,  # addressed with nothing recorded: this session only has to exist
    )
    return {"patient": other, "plan": other_plan, "goal": goal, "session": session}


def errors_for(response, field: str, pk) -> list[str]:
    """The errors on `field`, with the offending id blanked (to compare an invisible id with an unknown one)."""
    errors = response.json()[field]
    return [str(e).replace(str(pk), "<id>") for e in (errors if isinstance(errors, list) else [errors])]


@pytest.mark.parametrize("target", ["invisible", "unknown"])
def test_goal_with_a_parent_from_an_invisible_plan_is_a_400_on_parent_goal_id(api, owner, world, hidden, target):
    """An invisible goal reads as one that does not exist: a 400 on parent_goal_id, the same as an unknown id."""
    parent = hidden["goal"].pk if target == "invisible" else uuid.uuid4()
    before = TreatmentGoal.objects.count()

    response = api.as_(owner).post(
        f"/api/v1/treatment-plans/{world['plan'].pk}/goals",
        {"goal_type": "short_term", "parent_goal_id": str(parent), "description": "Walk daily"},
    )

    assert response.status_code == 400, response.content
    assert set(response.json()) == {"parent_goal_id"}
    assert errors_for(response, "parent_goal_id", parent) == ['Invalid pk "<id>" - object does not exist.']
    assert TreatmentGoal.objects.count() == before


@pytest.mark.parametrize("target", ["invisible", "unknown"])
def test_session_with_goals_of_an_invisible_plan_is_a_400_on_goal_ids(api, owner, world, hidden, target):
    goal = hidden["goal"].pk if target == "invisible" else uuid.uuid4()
    before = session_rows(world)

    response = api.as_(owner).post(
        f"/api/v1/patients/{world['patient'].pk}/sessions",
        {"session_date": str(SESSION_DATE), "duration_minutes": 50, "goal_ids": [str(world["goal"].pk), str(goal)]},
    )

    assert response.status_code == 400, response.content
    assert set(response.json()) == {"goal_ids"}
    assert errors_for(response, "goal_ids", goal) == ['Invalid pk "<id>" - object does not exist.']
    assert session_rows(world) == before


@pytest.fixture
def second_patient_session(owner):
    """A session of another patient of the owner's (visible to the owner, but not this patient's)."""
    other = PatientFactory(primary_therapist=owner, first_name="Liam", last_name="Brooks")
    return session_record(
        by=AuditContext.system("tests", user=owner), patient=other, session_date=SESSION_DATE, duration_minutes=30
    )


@pytest.mark.parametrize("whose", ["own-other-patient", "invisible-patient", "unknown"])
def test_progress_with_another_patients_session_is_a_400_on_session_id(
    api, owner, world, hidden, second_patient_session, whose
):
    session_id = {
        "own-other-patient": second_patient_session.pk,
        "invisible-patient": hidden["session"].pk,
        "unknown": uuid.uuid4(),
    }[whose]
    before = progress_rows(world)

    response = api.as_(owner).post(
        f"/api/v1/goals/{world['goal'].pk}/progress",
        {"progress_note": "Calmer this week", "rating": 9, "session_id": str(session_id)},
    )

    assert response.status_code == 400, response.content
    assert set(response.json()) == {"session_id"}
    if whose != "own-other-patient":  # an invisible session reads as one that does not exist
        assert errors_for(response, "session_id", session_id) == ['Invalid pk "<id>" - object does not exist.']
    assert progress_rows(world) == before


def test_a_denied_create_is_a_404_even_with_ids_it_cannot_see(api, colleague, world):
    """The colleague cannot see the patient; the ids in the body (the patient's goals) must not turn it into a 400."""
    before = session_rows(world)

    response = api.as_(colleague).post(
        f"/api/v1/patients/{world['patient'].pk}/sessions",
        {"session_date": str(SESSION_DATE), "duration_minutes": 50, "goal_ids": [str(world["goal"].pk)]},
    )

    assert response.status_code == 404, response.content
    assert session_rows(world) == before


# --- the intervention library ------------------------------------------------------------------


@pytest.fixture
def custom(practice, owner):
    """A custom intervention of the owner's practice, written by the owner."""
    return intervention_services.intervention_create(
        practice=practice,
        created_by=owner,
        name="Worry Postponement",
        description="Schedule a daily 15-minute worry period and defer worries to it.",
        modality="CBT",
        category="cbt",
        evidence_level="moderate",
    )


def intervention_state(pk):
    row = Intervention.objects.get(pk=pk)
    return (row.name, row.description, row.is_active)


CUSTOM_EDIT = {"owner": 200, "colleague": 403, "supervisor": 403, "practice_admin": 200, "outsider_admin": 404}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize(("role", "expected"), CUSTOM_EDIT.items())
def test_custom_intervention_is_edited_by_its_author_and_the_practice_admin(api, cast, custom, role, expected, method):
    before = intervention_state(custom.pk)
    body = {"name": "Scheduled Worry Time", "description": "Renamed", "modality": "CBT"}
    if method == "PATCH":
        body = {"name": "Scheduled Worry Time"}

    response = getattr(api.as_(cast[role]), method.lower())(f"/api/v1/interventions/{custom.pk}", body)

    assert response.status_code == expected, response.content
    after = intervention_state(custom.pk)
    if expected == 200:
        assert after[0] == "Scheduled Worry Time"
    else:
        assert after == before


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_custom_intervention_of_another_practice_is_a_404(api, outsider_admin, custom, method):
    before = intervention_state(custom.pk)

    response = getattr(api.as_(outsider_admin), method.lower())(
        f"/api/v1/interventions/{custom.pk}", {"name": "Taken over"} if method == "PATCH" else None
    )

    assert response.status_code == 404, response.content
    assert intervention_state(custom.pk) == before


@pytest.mark.parametrize("role", ROLES)
def test_custom_interventions_are_listed_only_in_their_practice(api, cast, custom, role):
    response = api.as_(cast[role]).get("/api/v1/interventions", {"is_system": "false"})

    assert response.status_code == 200, response.content
    listed = {row["id"] for row in rows_of(response.json())}
    assert (str(custom.pk) in listed) is (role != "outsider_admin")


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("role", ROLES)
def test_system_interventions_cannot_be_edited_by_anyone(api, cast, role, method):
    system = intervention("Deep Breathing")
    before = intervention_state(system.pk)
    body = {"name": "Box Breathing", "description": "Changed", "modality": "CBT"}

    response = getattr(api.as_(cast[role]), method.lower())(f"/api/v1/interventions/{system.pk}", body)

    assert response.status_code == 403, response.content
    assert intervention_state(system.pk) == before


def test_an_intervention_of_another_practice_cannot_be_linked_to_a_goal(api, owner, world, other_practice):
    foreign = intervention_services.intervention_create(
        practice=other_practice, created_by=None, name="Harbor Breathing", modality="CBT"
    )
    before = link_rows(world)

    response = api.as_(owner).post(
        f"/api/v1/goals/{world['goal'].pk}/interventions", {"intervention_id": str(foreign.pk)}
    )

    assert response.status_code == 400, response.content
    assert "intervention_id" in response.json()
    assert link_rows(world) == before


# --- transfer of care --------------------------------------------------------------------------


@pytest.fixture
def new_therapist(practice):
    return UserFactory(practice=practice, email="new@riverside.example")


def test_transfer_of_care_moves_plan_access(api, practice_admin, owner, new_therapist, world):
    plan_url = f"/api/v1/treatment-plans/{world['plan'].pk}"
    assert api.as_(new_therapist).get(plan_url).status_code == 404

    response = api.as_(practice_admin).post(
        f"/api/v1/patients/{world['patient'].pk}/transfer", {"therapist_id": str(new_therapist.pk)}
    )

    assert response.status_code == 200, response.content
    assert api.as_(new_therapist).get(plan_url).status_code == 200
    assert api.as_(owner).get(plan_url).status_code == 404
    assert api.as_(owner).patch(plan_url, {"title": "Owner edit"}).status_code == 404
    assert api.as_(new_therapist).patch(plan_url, {"title": "New therapist edit"}).status_code == 200
    assert plan_title(world) == "New therapist edit"
    listed = returned_ids(api.as_(owner).get("/api/v1/treatment-plans").json())
    assert str(world["plan"].pk) not in listed
    assert str(world["plan"].pk) in returned_ids(api.as_(new_therapist).get("/api/v1/treatment-plans").json())
