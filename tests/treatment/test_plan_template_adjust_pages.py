"""The plan builder's trees to adjust before the plan is created: a ticked template's goals, each with its text in a
field and a "Leave out" box, in the htmx list and in the form shown again; the plan built as adjusted. Access is
`test_plan_template_pages_matrix.py`'s; the service's rules are `test_plan_template_adjust.py`'s."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.treatment.template_pages_support import (
    SLEEP_GOAL,
    WORRY_GOAL,
    WORRY_OBJECTIVES,
    WORRY_STEP,
    create_body,
    practice_template,
    sleep_template,
    worry_template,
)
from treatment.models import PlanTemplate, TemplateGoal, TreatmentGoal, TreatmentPlan

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
RETYPED = "Client will cut worry episodes from 8 to 2 a day"


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def library(db):
    PlanTemplate.objects.filter(practice=None).delete()
    return {"worry": worry_template(), "sleep": sleep_template()}


def goal(template: PlanTemplate, description: str) -> TemplateGoal:
    return TemplateGoal.objects.get(template=template, description=description)


def left_out(template: PlanTemplate) -> str:
    return f"adjust-{template.pk}-left_out"


def text_field(template: PlanTemplate, description: str) -> str:
    return f"adjust-{template.pk}-text-{goal(template, description).pk}"


def tree_of(plan: TreatmentPlan) -> list[tuple[str, str]]:
    goals = TreatmentGoal.objects.filter(plan=plan).order_by("created_at", "pk")
    return [(g.goal_type, g.description) for g in goals]


def adjust_fields(response) -> list[str]:
    """The names of the fields of the trees to adjust, in order."""
    return re.findall(r'name="(adjust-[^"]+)"', response.content.decode())


def test_ticking_a_template_brings_its_tree_to_adjust_with_a_label_on_every_field(client, owner, library):
    worry = library["worry"]
    client.force_login(owner)

    response = client.get(
        reverse("plan-template-choices"), {"diagnosis_codes": ["F41.1"], "template_ids": [str(worry.pk)]}, **HTMX
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Adjust the goals of Worry (test)" in text(response)
    ids = [str(pk) for pk in TemplateGoal.objects.filter(template=worry).values_list("pk", flat=True)]
    # A text field and a "Leave out" box for each of the five goals, and no tree for the template not ticked.
    assert sorted(adjust_fields(response)) == sorted(
        [f"adjust-{worry.pk}-text-{pk}" for pk in ids] + [left_out(worry)] * 5
    )
    for pk in ids:
        assert f'<label for="goal-text-{pk}"' in body
        assert f'<label for="leave-out-{pk}">Leave out</label>' in body
    # Each box is named for its goal: "Leave out: <the goal's text>".
    names = re.findall(r'aria-label="(Leave out: [^"]+)"', body)
    assert names == [
        f"Leave out: {WORRY_GOAL}",
        f"Leave out: {WORRY_STEP}",
        *(f"Leave out: {o}" for o in WORRY_OBJECTIVES),
    ]
    assert f">{WORRY_OBJECTIVES[2]}</textarea>" in body
    assert f"adjust-{library['sleep'].pk}" not in body


def test_the_list_keeps_what_was_typed_in_a_tree_when_it_refreshes(client, owner, library):
    worry = library["worry"]
    objective = goal(worry, WORRY_OBJECTIVES[2])
    client.force_login(owner)

    response = client.get(
        reverse("plan-template-choices"),
        {
            "template_ids": [str(worry.pk), str(library["sleep"].pk)],
            "template_q": "sleep",
            text_field(worry, WORRY_OBJECTIVES[0]): RETYPED,
            left_out(worry): [str(objective.pk)],
        },
        **HTMX,
    )

    body = response.content.decode()
    assert f">{RETYPED}</textarea>" in body
    assert f'id="leave-out-{objective.pk}" name="{left_out(worry)}" value="{objective.pk}" checked\n' in body
    assert "Adjust the goals of Sleep (test)" in text(response)


def test_another_practices_template_ticked_shows_no_tree(client, owner, outsider_admin, library):
    theirs = practice_template(outsider_admin, name="Harbor's worry plan")
    client.force_login(owner)

    response = client.get(reverse("plan-template-choices"), {"template_ids": [str(theirs.pk)]}, **HTMX)

    assert response.status_code == 200
    assert adjust_fields(response) == []
    assert "Harbor" not in response.content.decode()


def test_a_plan_is_created_with_the_tree_as_adjusted(client, owner, patient, library):
    worry, sleep = library["worry"], library["sleep"]
    client.force_login(owner)

    response = client.post(
        reverse("plan-create", args=[patient.pk]),
        create_body(
            template_ids=[str(worry.pk), str(sleep.pk)],
            **{
                text_field(worry, WORRY_GOAL): WORRY_GOAL,
                text_field(worry, WORRY_OBJECTIVES[0]): RETYPED,
                left_out(worry): [str(goal(worry, WORRY_OBJECTIVES[1]).pk)],
                left_out(sleep): [str(goal(sleep, "Client will keep a fixed sleep window").pk)],
            },
        ),
    )

    plan = TreatmentPlan.objects.get(patient=patient, title="Worry and sleep")
    assert response.status_code == 302
    assert tree_of(plan) == [
        ("long_term", WORRY_GOAL),
        ("short_term", WORRY_STEP),
        ("objective", RETYPED),
        ("objective", WORRY_OBJECTIVES[2]),
        ("long_term", SLEEP_GOAL),
    ]


def test_the_fields_of_a_template_unticked_since_are_not_read(client, owner, patient, library):
    worry, sleep = library["worry"], library["sleep"]
    client.force_login(owner)

    response = client.post(
        reverse("plan-create", args=[patient.pk]),
        create_body(template_ids=[str(sleep.pk)], **{left_out(worry): [str(goal(worry, WORRY_GOAL).pk)]}),
    )

    plan = TreatmentPlan.objects.get(patient=patient, title="Worry and sleep")
    assert response.status_code == 302
    assert [description for _, description in tree_of(plan)] == [
        SLEEP_GOAL,
        "Client will keep a fixed sleep window",
        "Client will fall asleep within [[minutes]] minutes",
    ]


def test_without_javascript_adjust_the_goals_shows_the_form_again_with_the_trees(client, owner, patient, library):
    worry = library["worry"]
    client.force_login(owner)

    response = client.post(
        reverse("plan-create", args=[patient.pk]),
        create_body(adjust_templates="1", template_ids=[str(worry.pk)]),
    )

    assert response.status_code == 200
    assert 'value="Worry and sleep"' in response.content.decode()
    assert "Adjust the goals of Worry (test)" in text(response)
    assert f">{WORRY_GOAL}</textarea>" in response.content.decode()
    assert not TreatmentPlan.objects.filter(patient=patient, title="Worry and sleep").exists()


def test_a_form_error_shows_the_trees_again_with_what_was_typed(client, owner, patient, library):
    worry = library["worry"]
    objective = goal(worry, WORRY_OBJECTIVES[1])
    client.force_login(owner)

    response = client.post(
        reverse("plan-create", args=[patient.pk]),
        create_body(
            title="",
            template_ids=[str(worry.pk)],
            **{text_field(worry, WORRY_OBJECTIVES[0]): RETYPED, left_out(worry): [str(objective.pk)]},
        ),
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "The plan was not saved" in text(response)
    assert f">{RETYPED}</textarea>" in body
    assert f'id="leave-out-{objective.pk}" name="{left_out(worry)}" value="{objective.pk}" checked\n' in body
    assert not TreatmentPlan.objects.filter(patient=patient, title="").exists()


def test_a_blank_text_is_refused_beside_its_field_and_nothing_is_created(client, owner, patient, library):
    worry = library["worry"]
    step = goal(worry, WORRY_STEP)
    client.force_login(owner)
    plans = TreatmentPlan.objects.filter(patient=patient).count()

    response = client.post(
        reverse("plan-create", args=[patient.pk]),
        create_body(
            template_ids=[str(worry.pk)],
            **{text_field(worry, WORRY_STEP): "  ", text_field(worry, WORRY_OBJECTIVES[0]): RETYPED},
        ),
    )

    body = response.content.decode()
    message = f"Worry (test), goal \u201c{WORRY_STEP}\u201d: This field cannot be blank."
    assert response.status_code == 200
    assert f"<li>{message}</li>" in body  # in the summary at the top
    # Beside the field, which keeps what was typed and says it is invalid.
    assert f'aria-invalid="true" aria-describedby="goal-text-{step.pk}-error">  </textarea>' in body
    assert f'<p class="field-error" id="goal-text-{step.pk}-error">{message}</p>' in body
    assert f">{RETYPED}</textarea>" in body
    assert TreatmentPlan.objects.filter(patient=patient).count() == plans


def test_leaving_out_every_goal_of_a_template_is_refused_in_words(client, owner, patient, library):
    worry = library["worry"]
    client.force_login(owner)

    response = client.post(
        reverse("plan-create", args=[patient.pk]),
        create_body(template_ids=[str(worry.pk)], **{left_out(worry): [str(goal(worry, WORRY_GOAL).pk)]}),
    )

    assert response.status_code == 200
    assert "Every goal of “Worry (test)” is left out: keep at least one, or choose fewer templates instead." in text(
        response
    )
    assert not TreatmentPlan.objects.filter(patient=patient, title="Worry and sleep").exists()
