"""The plan-template API: every endpoint x every member of the cast, with the database checked after each denied
write; 400s naming the fields with nothing written; the query counts of the list and the detail.

The library is open to all staff (system + own practice; another practice's template is a 404); a practice
template is changed by its author or a practice admin (anyone else of the practice: 403); the system entries by
no one (403). Building a plan from templates and saving a plan as one follow the plan's access (404 off the care
team or another practice, 403 for the supervisor who only reads).
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from interventions.models import Intervention
from tests.factories import make_tree
from treatment.models import PlanTemplate, TemplateGoal, TemplateGoalIntervention, TreatmentGoal, TreatmentPlan
from treatment.plan_templates import load_system_templates
from treatment.services import plan_template_create

pytestmark = pytest.mark.django_db

HERE = Path(__file__).parent / "plan_templates"
ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
CR = "76ccfa0b-6e7b-5968-803a-521afec7864d"  # Cognitive Restructuring, a system library id
TREE = [
    {
        "description": "Worry less",
        "interventions": [{"intervention_id": CR, "frequency": "weekly"}],
        "sub_goals": [{"description": "Question worries", "sub_goals": [{"description": "Use thought records"}]}],
    }
]


RELAX_STEP = "Client will use relaxation when tense"


@pytest.fixture
def world(owner, patient, plan, practice):
    PlanTemplate.objects.filter(practice=None).delete()
    load_system_templates(PlanTemplate, TemplateGoal, TemplateGoalIntervention, path=HERE)
    make_tree(plan)
    own = plan_template_create(by=AuditContext.system("tests", user=owner), practice=practice, name="Ours", goals=TREE)
    system = PlanTemplate.objects.get(key="test-worry", practice=None)
    return {
        "patient": patient,
        "plan": plan,
        "own": own,
        "system": system,
        "system_goal": TemplateGoal.objects.get(template=system, parent=None),
        "system_step": TemplateGoal.objects.get(template=system, description=RELAX_STEP),
    }


def template_name(w):
    return list(PlanTemplate.objects.filter(pk__in=[w["own"].pk, w["system"].pk]).values_list("name", flat=True))


def template_rows(w):
    return PlanTemplate.objects.count()


def plan_rows(w):
    return (TreatmentPlan.objects.count(), TreatmentGoal.objects.count())


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    expected: dict
    body: dict | None = None
    state: Callable | None = None

    def __str__(self):
        return self.name


ALL = dict.fromkeys(ROLES, 200)
PRACTICE_READ = {**ALL, "outsider_admin": 404}
EDIT_OWN = {"owner": 200, "colleague": 403, "supervisor": 403, "practice_admin": 200, "outsider_admin": 404}
PLAN_WRITE = {"owner": 201, "colleague": 404, "supervisor": 403, "practice_admin": 201, "outsider_admin": 404}

ENDPOINTS = [
    Endpoint("list", "get", "/api/v1/plan-templates?diagnosis=F41.1", ALL),
    Endpoint("detail-own", "get", "/api/v1/plan-templates/{own}", PRACTICE_READ),
    Endpoint("detail-system", "get", "/api/v1/plan-templates/{system}", ALL),
    Endpoint(
        "create",
        "post",
        "/api/v1/plan-templates",
        dict.fromkeys(ROLES, 201),
        {"name": "New one", "goals": TREE},
        template_rows,
    ),
    Endpoint("patch-own", "patch", "/api/v1/plan-templates/{own}", EDIT_OWN, {"name": "Renamed"}, template_name),
    Endpoint(
        "put-own",
        "put",
        "/api/v1/plan-templates/{own}",
        EDIT_OWN,
        {"name": "Renamed", "goals": TREE},
        template_name,
    ),
    Endpoint(
        "patch-system",
        "patch",
        "/api/v1/plan-templates/{system}",
        dict.fromkeys(ROLES, 403),
        {"name": "Renamed"},
        template_name,
    ),
    Endpoint(
        "delete-own",
        "delete",
        "/api/v1/plan-templates/{own}",
        {**EDIT_OWN, "owner": 204, "practice_admin": 204},
        None,
        template_rows,
    ),
    Endpoint(
        "delete-system", "delete", "/api/v1/plan-templates/{system}", dict.fromkeys(ROLES, 403), None, template_rows
    ),
    Endpoint(
        "create-plan-from-templates",
        "post",
        "/api/v1/patients/{patient}/treatment-plans",
        PLAN_WRITE,
        {"title": "From templates", "start_date": "2026-10-01", "template_ids": ["{system}", "{own}"]},
        plan_rows,
    ),
    Endpoint(
        "create-plan-from-adjusted-templates",
        "post",
        "/api/v1/patients/{patient}/treatment-plans",
        PLAN_WRITE,
        {
            "title": "From templates",
            "start_date": "2026-10-01",
            "template_ids": ["{system}"],
            "template_goals_left_out": ["{system_step}"],
            "template_goal_descriptions": {"{system_goal}": "Client will feel in control of worry"},
        },
        plan_rows,
    ),
    Endpoint(
        "save-as-template",
        "post",
        "/api/v1/treatment-plans/{plan}/save-as-template",
        PLAN_WRITE,
        {"name": "Saved"},
        template_rows,
    ),
]


def fill(value, w):
    if isinstance(value, str):
        return value.format(**{k: v.pk for k, v in w.items()})
    if isinstance(value, list):
        return [fill(v, w) for v in value]
    if isinstance(value, dict):
        return {fill(k, w): fill(v, w) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_matrix(endpoint, role, cast, world, api):
    before = endpoint.state(world) if endpoint.state else None
    client = api.as_(cast[role])
    path = fill(endpoint.path, world)
    body = fill(endpoint.body, world) if endpoint.body is not None else None
    response = (
        getattr(client, endpoint.method)(path, body, format="json") if body else getattr(client, endpoint.method)(path)
    )

    assert response.status_code == endpoint.expected[role], response.content
    if endpoint.state and response.status_code >= 400:
        assert endpoint.state(world) == before


def test_the_list_shows_the_system_library_and_the_own_practice_fitting_first(world, api, owner, outsider_admin):
    plan_template_create(
        by=AuditContext.system("tests", user=outsider_admin),
        practice=outsider_admin.practice,
        name="Theirs",
        goals=TREE,
    )
    response = api.as_(owner).get("/api/v1/plan-templates", {"diagnosis": "G47.00"})
    assert response.status_code == 200
    assert [(row["name"], row["fits"], row["is_system"]) for row in response.json()["results"]] == [
        ("Test sleep", True, True),
        ("Ours", False, False),
        ("Test worry", False, True),
    ]
    theirs = api.as_(outsider_admin).get("/api/v1/plan-templates/")
    assert [row["name"] for row in theirs.json()["results"]] == ["Test sleep", "Test worry", "Theirs"]
    searched = api.as_(owner).get("/api/v1/plan-templates", {"search": "falling asleep"})
    assert [row["name"] for row in searched.json()["results"]] == ["Test sleep"]


def test_the_detail_has_the_tree(world, api, owner):
    response = api.as_(owner).get(f"/api/v1/plan-templates/{world['system'].pk}")
    assert response.status_code == 200
    goals = response.json()["goals"]
    assert [g["description"] for g in goals] == ["Client will worry less and feel in control of daily life"]
    objective = goals[0]["sub_goals"][0]["sub_goals"][0]
    assert objective["placeholders"] == ["description", "baseline_value", "target_value"]
    assert objective["interventions"] == [
        {
            "intervention_id": CR,
            "name": "Cognitive Restructuring",
            "modality": "CBT",
            "frequency": "daily practice",
        }
    ]
    assert "sub_goals" not in objective


def test_a_plan_created_with_templates_has_the_whole_tree(world, api, owner, patient):
    body = {
        "title": "From two",
        "start_date": "2026-10-01",
        "template_ids": [str(world["system"].pk), str(world["own"].pk)],
    }
    response = api.as_(owner).post(f"/api/v1/patients/{patient.pk}/treatment-plans", body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert [g["description"] for g in data["goals"]] == [
        "Client will worry less and feel in control of daily life",
        "Worry less",
    ]
    assert data["goals"][0]["target_date"] == "2027-04-01"
    assert TreatmentGoal.objects.filter(plan_id=data["id"]).count() == 9
    assert data["presenting_problems"] == ["Excessive worry most days", "Trouble relaxing"]


def test_unknown_or_another_practices_template_ids_are_a_400_naming_the_field(
    world, api, owner, patient, outsider_admin
):
    theirs = plan_template_create(
        by=AuditContext.system("tests", user=outsider_admin),
        practice=outsider_admin.practice,
        name="Theirs",
        goals=TREE,
    )
    before = plan_rows(world)
    for ids in ([str(theirs.pk)], ["7f0c5a6e-0000-4000-8000-000000000000"], "nope"):
        body = {"title": "x", "start_date": "2026-10-01", "template_ids": ids}
        response = api.as_(owner).post(f"/api/v1/patients/{patient.pk}/treatment-plans", body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["template_ids"]
    assert plan_rows(world) == before


def test_a_template_that_fails_the_goal_checks_is_a_400_and_writes_no_plan(world, api, owner, patient):
    Intervention.objects.filter(pk=CR).update(is_active=False)
    before = plan_rows(world)
    body = {"title": "x", "start_date": "2026-10-01", "template_ids": [str(world["system"].pk)]}
    response = api.as_(owner).post(f"/api/v1/patients/{patient.pk}/treatment-plans", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["template_ids"]
    assert plan_rows(world) == before


def plans_url(patient) -> str:
    return f"/api/v1/patients/{patient.pk}/treatment-plans"


def test_a_plan_is_created_with_the_templates_trees_as_adjusted(world, api, owner, patient):
    record = TemplateGoal.objects.get(template=world["own"], description="Use thought records")
    body = {
        "title": "Adjusted",
        "start_date": "2026-10-01",
        "template_ids": [str(world["system"].pk), str(world["own"].pk)],
        "template_goals_left_out": [str(world["system_step"].pk)],
        "template_goal_descriptions": {str(record.pk): "Keep a thought record every evening"},
    }

    response = api.as_(owner).post(plans_url(patient), body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    worry, ours = data["goals"]
    assert [g["description"] for g in worry["sub_goals"]] == ["Client will notice and question worry thoughts"]
    assert ours["sub_goals"][0]["sub_goals"][0]["description"] == "Keep a thought record every evening"
    assert TreatmentGoal.objects.filter(plan_id=data["id"]).count() == 7


def test_bad_adjustments_are_a_400_naming_the_field_and_write_no_plan(world, api, owner, patient):
    system, stranger = world["system"], TemplateGoal.objects.get(template=world["own"], parent=None)
    goal = str(world["system_goal"].pk)
    base = {"title": "x", "start_date": "2026-10-01", "template_ids": [str(system.pk)]}
    before = plan_rows(world)
    refusals = [
        (
            {"template_goals_left_out": [str(stranger.pk)]},
            {"template_goals_left_out": [f"Not goals of the templates chosen: {stranger.pk}."]},
        ),
        (
            {"template_goal_descriptions": {str(stranger.pk): "Worry less"}},
            {"template_goal_descriptions": [f"Not goals of the templates chosen: {stranger.pk}."]},
        ),
        (
            {"template_goal_descriptions": {"nope": "Worry less"}},
            {"template_goal_descriptions": ["'nope' is not a template-goal id."]},
        ),
        ({"template_goals_left_out": ["nope"]}, {"template_goals_left_out": {"0": ["Must be a valid UUID."]}}),
        (
            {"template_goal_descriptions": {goal: " "}},
            {
                f"template_goal_descriptions.{goal}": [
                    "Test worry, goal \u201cClient will worry less and feel in control of daily life\u201d: "
                    "This field cannot be blank."
                ]
            },
        ),
        (
            {"template_goals_left_out": [goal]},
            {
                "template_goals_left_out": [
                    "Every goal of \u201cTest worry\u201d is left out: keep at least one, or choose fewer templates "
                    "instead."
                ]
            },
        ),
        (
            {"template_ids": [], "template_goals_left_out": [goal]},
            {"template_goals_left_out": [f"Not goals of the templates chosen: {goal}."]},
        ),
    ]
    for extra, expected in refusals:
        response = api.as_(owner).post(plans_url(patient), {**base, **extra}, format="json")
        assert (response.status_code, response.json()) == (400, expected), extra
    assert plan_rows(world) == before


def test_a_bad_template_body_is_a_400_naming_the_fields(world, api, owner):
    before = template_rows(world)
    body = {"name": "", "diagnosis_codes": ["Q99.999"], "goals": [{"description": "x", "priority": 11}]}
    response = api.as_(owner).post("/api/v1/plan-templates", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["This field may not be blank."]}
    body["name"] = "Fine"
    response = api.as_(owner).post("/api/v1/plan-templates", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "diagnosis_codes": ["Q99.999 is not an ICD-10-CM code."],
        "goals[0].priority": ["Ensure this value is less than or equal to 10."],
    }
    assert template_rows(world) == before


def test_save_as_template_answers_the_new_template_and_audits_the_read(world, api, owner):
    plan = world["plan"]
    response = api.as_(owner).post(
        f"/api/v1/treatment-plans/{plan.pk}/save-as-template", {"name": "Mine"}, format="json"
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["name"], data["is_system"]) == ("Mine", False)
    assert [g["description"] for g in data["goals"]] == ["Reduce overall anxiety levels to a manageable state"]
    assert AuditEvent.objects.filter(action="view", object_id=str(plan.pk), channel="api").count() == 1
    missing = api.as_(owner).post(f"/api/v1/treatment-plans/{plan.pk}/save-as-template", {}, format="json")
    assert (missing.status_code, list(missing.json())) == (400, ["name"])


def test_unauthenticated_is_401(world, api):
    assert api.get("/api/v1/plan-templates").status_code == 401


def test_query_counts_of_the_list_and_the_detail(world, api, owner, django_assert_num_queries):
    client = api.as_(owner)
    with django_assert_num_queries(1):
        assert client.get("/api/v1/plan-templates?diagnosis=F41.1").status_code == 200
    for key in ("system", "own"):
        with django_assert_num_queries(3):
            assert client.get(f"/api/v1/plan-templates/{world[key].pk}").status_code == 200
