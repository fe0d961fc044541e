"""Plan templates in Django admin: a practice admin sees the system library (read-only) and their practice's
templates, never another practice's; adding and changing go through the services (a bad tree is a form error that
writes nothing)."""

import json

import pytest

from accounts.audit import AuditContext
from tests.treatment.test_admin import page_data
from treatment.models import PlanTemplate, TemplateGoal
from treatment.services import plan_template_create

pytestmark = pytest.mark.django_db

CR = "76ccfa0b-6e7b-5968-803a-521afec7864d"
TREE = [{"description": "Worry less", "interventions": [{"intervention_id": CR, "frequency": "weekly"}]}]
URL = "/admin/treatment/plantemplate/"


@pytest.fixture
def templates(owner, outsider_admin, practice):
    system = PlanTemplate.objects.create(key="sys-admin-test", name="System one")
    TemplateGoal.objects.create(template=system, goal_type="long_term", description="System goal")
    ours = plan_template_create(by=AuditContext.system("tests", user=owner), practice=practice, name="Ours", goals=TREE)
    theirs = plan_template_create(
        by=AuditContext.system("tests", user=outsider_admin),
        practice=outsider_admin.practice,
        name="Theirs",
        goals=TREE,
    )
    return {"system": system, "ours": ours, "theirs": theirs}


def test_the_list_has_the_system_library_and_the_own_practice(client, practice_admin, templates):
    client.force_login(practice_admin)
    response = client.get(URL)
    assert response.status_code == 200
    names = {row.name for row in response.context["cl"].result_list}
    assert {"System one", "Ours"} <= names
    assert "Theirs" not in names
    assert client.get(f"{URL}{templates['theirs'].pk}/change/").status_code == 302  # admin: "does not exist"


def test_a_system_template_is_read_only(client, practice_admin, templates):
    client.force_login(practice_admin)
    page = client.get(f"{URL}{templates['system'].pk}/change/")
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert client.post(f"{URL}{templates['system'].pk}/change/", {"name": "Mine"}).status_code == 403
    assert PlanTemplate.objects.get(pk=templates["system"].pk).name == "System one"


def test_changing_the_tree_goes_through_the_service(client, practice_admin, templates):
    client.force_login(practice_admin)
    ours = templates["ours"]
    page = client.get(f"{URL}{ours.pk}/change/")
    data = page_data(page)
    assert json.loads(data["goals"])[0]["description"] == "Worry less"

    bad = [{"description": "Worry less", "priority": 0}]
    refused = client.post(f"{URL}{ours.pk}/change/", {**data, "goals": json.dumps(bad)})
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors == {
        "goals": ["goals[0].priority: Ensure this value is greater than or equal to 1."]
    }
    assert list(TemplateGoal.objects.filter(template=ours).values_list("priority", flat=True)) == [1]

    good = [{"description": "Worry much less", "sub_goals": [{"description": "Question worries"}]}]
    saved = client.post(f"{URL}{ours.pk}/change/", {**data, "name": "Ours, revised", "goals": json.dumps(good)})
    assert saved.status_code == 302
    ours.refresh_from_db()
    assert ours.name == "Ours, revised"
    assert list(
        TemplateGoal.objects.filter(template=ours).order_by("goal_type").values_list("description", flat=True)
    ) == [
        "Worry much less",
        "Question worries",
    ]


def test_adding_a_template_makes_it_the_practices(client, practice_admin, templates):
    client.force_login(practice_admin)
    page = client.get(f"{URL}add/")
    assert page.status_code == 200
    data = {
        **page_data(page),
        "name": "Added",
        "summary": "",
        "diagnosis_codes": '["F41.1"]',
        "presenting_problems": "[]",
        "sources": "[]",
        "goals": json.dumps(TREE),
    }
    response = client.post(f"{URL}add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    added = PlanTemplate.objects.get(name="Added")
    assert (added.practice_id, added.created_by_id, added.key) == (
        practice_admin.practice_id,
        practice_admin.pk,
        "added",
    )
