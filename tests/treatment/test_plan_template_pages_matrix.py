"""Who gets which answer from every plan-template page: the five roles of the cast, and nobody signed in.

Pages about a plan (fill in the blanks, save as template, start a plan from a template) follow the plan's access:
the care team (`owner`) and the practice admin write, the supervisor reads (writes -> 403), a colleague off the
care team and another practice's admin get 404. The library is not patient data: everyone sees the system
templates and their own practice's (another practice's: 404); a practice template is changed by its author
(`owner` here) and a practice admin only (others of the practice: 403); the system library by nobody (403).
A denied write changes nothing; an allowed read of a plan is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from tests.factories import GoalFactory, intervention
from tests.treatment.template_pages_support import practice_template, worry_template
from treatment.models import PlanTemplate, TemplateGoal, TreatmentGoal, TreatmentPlan

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
ANYONE = dict.fromkeys(ROLES, 200)
PLAN_WRITE_FORM = {"owner": 200, "colleague": 404, "supervisor": 403, "practice_admin": 200, "outsider_admin": 404}
PLAN_WRITE = {**PLAN_WRITE_FORM, "owner": 302, "practice_admin": 302}
OWN_READ = {**ANYONE, "outsider_admin": 404}
OWN_EDIT_FORM = {"owner": 200, "colleague": 403, "supervisor": 403, "practice_admin": 200, "outsider_admin": 404}
OWN_EDIT = {**OWN_EDIT_FORM, "owner": 302, "practice_admin": 302}
SYSTEM_EDIT = dict.fromkeys(ROLES, 403)
COPY_ANY = dict.fromkeys(ROLES, 302)
COPY_OWN = {**COPY_ANY, "outsider_admin": 404}
HTMX = {"HTTP_HX_REQUEST": "true"}


def build_world(plan, tree) -> dict:
    objective = tree["objective"]
    TreatmentGoal.objects.filter(pk=objective.pk).update(baseline_value="[[worries a day]]", target_value="[[target]]")
    owner = plan.therapist
    custom = practice_template(owner)
    system = worry_template()
    return {
        "patient": plan.patient,
        "plan": plan,
        "objective": TreatmentGoal.objects.get(pk=objective.pk),
        "custom": custom,
        "custom_goal": TemplateGoal.objects.filter(template=custom, parent=None).get(),
        "custom_objective": TemplateGoal.objects.filter(template=custom, goal_type="objective").order_by("position")[0],
        "system": system,
        "system_goal": TemplateGoal.objects.filter(template=system, parent=None).get(),
        "sibling": GoalFactory(plan=plan, description="Return to work part-time", priority=2),
    }


@pytest.fixture
def world(plan, tree):
    return build_world(plan, tree)


def plans(w):
    return TreatmentPlan.objects.filter(patient=w["patient"]).count()


def values(w):
    return list(TreatmentGoal.objects.filter(plan=w["plan"]).order_by("pk").values_list("baseline_value", flat=True))


def templates(w):
    return sorted(
        (t.name, t.summary, t.goals.count(), sum(g.interventions.count() for g in t.goals.all()))
        for t in PlanTemplate.objects.all()
    )


@dataclass(frozen=True)
class Page:
    name: str
    method: str
    url: Callable[[dict], str]
    expected: dict
    data: Callable[[dict], dict] | None = None
    htmx: bool = False
    state: Callable[[dict], Any] | None = None
    audited: bool = False  # an allowed GET records a view of the plan

    def __str__(self):
        return self.name


def template_url(name: str, key: str) -> Callable[[dict], str]:
    return lambda w: reverse(name, args=[w[key].pk])


def goal_url(name: str, key: str) -> Callable[[dict], str]:
    template = "system" if key.startswith("system") else "custom"
    return lambda w: reverse(name, args=[w[template].pk, w[key].pk])


def goal_body(w) -> dict:
    return {"description": "Client will sleep seven hours", "priority": "2", "target_offset_weeks": "10"}


PAGES = [
    # --- pages about a plan -----------------------------------------------------------------------------
    Page("plan-blanks form", "GET", template_url("plan-blanks", "plan"), PLAN_WRITE_FORM, audited=True),
    Page(
        "plan-blanks",
        "POST",
        template_url("plan-blanks", "plan"),
        PLAN_WRITE,
        data=lambda w: {f"goal-{w['objective'].pk}-baseline_value": "6 a day"},
        state=values,
    ),
    Page(
        "plan-create from a template",
        "POST",
        lambda w: reverse("plan-create", args=[w["patient"].pk]),
        PLAN_WRITE,
        data=lambda w: {
            "title": "Worry plan",
            "start_date": "2026-09-01",
            "review_frequency_days": "90",
            "diagnosis_codes": ["F41.1"],
            "template_ids": [str(w["system"].pk)],
        },
        state=plans,
    ),
    Page(
        "plan-template-choices",
        "GET",
        lambda w: reverse("plan-template-choices") + "?diagnosis_codes=F41.1",
        ANYONE,
        htmx=True,
    ),
    Page(
        "plan-template-choices with a template ticked (its tree to adjust)",
        "GET",
        lambda w: reverse("plan-template-choices") + f"?template_ids={w['system'].pk}",
        ANYONE,
        htmx=True,
    ),
    Page("plan-save-template form", "GET", template_url("plan-save-template", "plan"), PLAN_WRITE_FORM, audited=True),
    Page(
        "plan-save-template",
        "POST",
        template_url("plan-save-template", "plan"),
        PLAN_WRITE,
        data=lambda w: {"name": "From Emily's plan", "summary": "Ours"},
        state=templates,
    ),
    # --- the library ------------------------------------------------------------------------------------
    Page("plan-template-list", "GET", lambda w: reverse("plan-template-list") + "?diagnosis=F41.1", ANYONE),
    Page("plan-template-detail system", "GET", template_url("plan-template-detail", "system"), ANYONE),
    Page(
        "plan-template-detail system (htmx)", "GET", template_url("plan-template-detail", "system"), ANYONE, htmx=True
    ),
    Page("plan-template-detail own", "GET", template_url("plan-template-detail", "custom"), OWN_READ),
    Page("plan-template-edit form own", "GET", template_url("plan-template-edit", "custom"), OWN_EDIT_FORM),
    Page("plan-template-edit form system", "GET", template_url("plan-template-edit", "system"), SYSTEM_EDIT),
    Page(
        "plan-template-edit own",
        "POST",
        template_url("plan-template-edit", "custom"),
        OWN_EDIT,
        data=lambda w: {"name": "Renamed", "summary": "New summary", "diagnosis_codes": "F41.1"},
        state=templates,
    ),
    Page(
        "plan-template-edit system",
        "POST",
        template_url("plan-template-edit", "system"),
        SYSTEM_EDIT,
        data=lambda w: {"name": "Renamed", "summary": "New summary", "diagnosis_codes": "F41.1"},
        state=templates,
    ),
    Page("plan-template-copy system", "POST", template_url("plan-template-copy", "system"), COPY_ANY, state=templates),
    Page("plan-template-copy own", "POST", template_url("plan-template-copy", "custom"), COPY_OWN, state=templates),
    Page("plan-template-delete form own", "GET", template_url("plan-template-delete", "custom"), OWN_EDIT_FORM),
    Page("plan-template-delete own", "POST", template_url("plan-template-delete", "custom"), OWN_EDIT, state=templates),
    Page(
        "plan-template-delete system",
        "POST",
        template_url("plan-template-delete", "system"),
        SYSTEM_EDIT,
        state=templates,
    ),
    # --- the builder ------------------------------------------------------------------------------------
    Page("plan-template-goal-add form", "GET", template_url("plan-template-goal-add", "custom"), OWN_EDIT_FORM),
    Page(
        "plan-template-goal-add",
        "POST",
        template_url("plan-template-goal-add", "custom"),
        OWN_EDIT,
        data=goal_body,
        state=templates,
    ),
    Page(
        "plan-template-goal-add system",
        "POST",
        template_url("plan-template-goal-add", "system"),
        SYSTEM_EDIT,
        data=goal_body,
        state=templates,
    ),
    Page("plan-template-goal-edit form", "GET", goal_url("plan-template-goal-edit", "custom_goal"), OWN_EDIT_FORM),
    Page(
        "plan-template-goal-edit form system",
        "GET",
        goal_url("plan-template-goal-edit", "system_goal"),
        SYSTEM_EDIT,
    ),
    Page(
        "plan-template-goal-edit",
        "POST",
        goal_url("plan-template-goal-edit", "custom_goal"),
        OWN_EDIT,
        data=lambda w: {"description": "Client will worry less", "priority": "1"},
        state=lambda w: list(TemplateGoal.objects.filter(template=w["custom"]).values_list("description", flat=True)),
    ),
    Page(
        "plan-template-goal-remove",
        "POST",
        goal_url("plan-template-goal-remove", "custom_objective"),
        OWN_EDIT,
        state=lambda w: TemplateGoal.objects.filter(template=w["custom"]).count(),
    ),
    Page(
        "plan-template-goal-interventions",
        "POST",
        goal_url("plan-template-goal-interventions", "custom_goal"),
        OWN_EDIT,
        data=lambda w: {"intervention": str(intervention("Sleep Hygiene").pk), "frequency": "weekly"},
        state=templates,
    ),
]


def call(client, page: Page, w):
    extra = HTMX if page.htmx else {}
    if page.method == "GET":
        return client.get(page.url(w), **extra)
    return client.post(page.url(w), page.data(w) if page.data else {}, **extra)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES, ids=str)
def test_each_role_gets_its_answer(client, cast, world, page, role):
    user = cast[role]
    client.force_login(user)
    before = page.state(world) if page.state else None
    views_before = AuditEvent.objects.filter(user=user, action="view").count()

    response = call(client, page, world)

    expected = page.expected[role]
    assert response.status_code == expected, (page.name, role, response.content[:300])
    if page.state:
        after = page.state(world)
        if expected in (200, 302) and page.method == "POST":
            assert after != before, f"{page.name}: an allowed write changed nothing"
        else:
            assert after == before, f"{page.name}: a denied write changed the database"
    if expected == 404:
        assert b"Emily Carter" not in response.content
        assert b"Our worry plan" not in response.content
    if page.audited:
        viewed = AuditEvent.objects.filter(
            user=user, action="view", object_id=str(world["plan"].pk), channel="web"
        ).count()
        assert viewed == (1 if expected == 200 else 0)
        assert AuditEvent.objects.filter(user=user, action="view").count() - views_before == viewed


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_nobody_signed_in_is_sent_to_sign_in(client, world, page):
    before = page.state(world) if page.state else None

    response = call(client, page, world)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    if page.state:
        assert page.state(world) == before


def test_another_practices_template_is_not_found_on_every_page(client, outsider_admin, world):
    client.force_login(outsider_admin)
    custom, goal = world["custom"], world["custom_goal"]

    answers = [
        client.get(reverse("plan-template-detail", args=[custom.pk])).status_code,
        client.get(reverse("plan-template-goal-edit", args=[custom.pk, goal.pk])).status_code,
        client.post(reverse("plan-template-goal-remove", args=[custom.pk, goal.pk])).status_code,
        client.get(reverse("plan-template-list") + "?search=worry").status_code,
    ]

    assert answers == [404, 404, 404, 200]
    assert b"Our worry plan" not in client.get(reverse("plan-template-list")).content
