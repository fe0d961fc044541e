"""The plan-template pages: starting a plan from templates, filling in the blanks, the library and its builder,
and saving a plan as a template. Access is `test_plan_template_pages_matrix.py`'s."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import intervention
from tests.treatment.template_pages_support import (
    SLEEP_GOAL,
    WORRY_GOAL,
    WORRY_OBJECTIVES,
    create_body,
    practice_template,
    sleep_template,
    worry_template,
)
from treatment.models import PlanTemplate, TemplateGoal, TreatmentGoal, TreatmentPlan

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    """The page's text with tags and runs of white space collapsed (what a reader reads)."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def library(db):
    """Two small templates in place of the built-in library (which its migration loads), so the lists are known."""
    PlanTemplate.objects.filter(practice=None).delete()
    return {"worry": worry_template(), "sleep": sleep_template()}


def chosen_names(response) -> list[str]:
    return re.findall(r'class="template-name">([^<]+)</label>', response.content.decode())


# --- starting a plan from templates ------------------------------------------------------------------


def test_the_builder_offers_the_templates_fitting_the_diagnosis_first(client, owner, library):
    client.force_login(owner)

    response = client.get(reverse("plan-template-choices"), {"diagnosis_codes": ["G47.00"]}, **HTMX)

    assert response.status_code == 200
    names = chosen_names(response)
    assert names.index("Sleep (test)") < names.index("Worry (test)")
    assert "1 template fits the chosen diagnoses" in text(response)
    fitting = re.findall(
        r'id="template-([0-9a-f-]+)"[^>]*>\s*<label[^>]*>[^<]+</label>\s*<span class="badge badge-fits"',
        response.content.decode(),
    )
    assert fitting == [str(library["sleep"].pk)]


def test_a_search_narrows_the_list_but_keeps_what_is_ticked(client, owner, library):
    client.force_login(owner)

    response = client.get(
        reverse("plan-template-choices"),
        {"diagnosis_codes": ["F41.1"], "template_q": "sleep", "template_ids": [str(library["worry"].pk)]},
        **HTMX,
    )

    names = chosen_names(response)
    assert names[0] == "Worry (test)"  # ticked: first, and still ticked
    assert "Sleep (test)" in names
    assert f'value="{library["worry"].pk}" id="template-{library["worry"].pk}" checked' in response.content.decode()


def test_the_diagnosis_picker_tells_the_template_list_to_refresh(client, owner):
    client.force_login(owner)

    response = client.post(reverse("diagnosis-picker"), {"add_diagnosis": "F41.1"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Trigger-After-Swap"] == '{"diagnoses-changed": {}}'


def test_a_plan_is_created_with_the_trees_of_two_templates(client, owner, patient, library):
    client.force_login(owner)

    response = client.post(
        reverse("plan-create", args=[patient.pk]),
        create_body(template_ids=[str(library["worry"].pk), str(library["sleep"].pk)]),
    )

    plan = TreatmentPlan.objects.get(patient=patient, title="Worry and sleep")
    assert response.status_code == 302
    assert response["Location"] == plan.get_absolute_url()
    roots = list(TreatmentGoal.objects.filter(plan=plan, parent_goal=None).order_by("priority", "created_at"))
    assert sorted(goal.description for goal in roots) == sorted([WORRY_GOAL, SLEEP_GOAL])
    assert TreatmentGoal.objects.filter(plan=plan).count() == 8
    objective = TreatmentGoal.objects.get(plan=plan, description=WORRY_OBJECTIVES[1])
    assert (objective.baseline_value, objective.target_value) == ("[[baseline 2]]", "[[target 2]]")
    assert objective.target_date == datetime.date(2026, 9, 1) + datetime.timedelta(weeks=8)

    page = client.get(plan.get_absolute_url())
    assert "The plan was created from “Worry (test)” and “Sleep (test)”" in text(page)
    assert "Fill in the blanks" in text(page)
    # 4 objectives with a baseline and a target to fill in each, three of them a description too.
    assert "11 to fill in" in text(page)


def test_a_template_not_in_the_library_refuses_and_keeps_what_was_typed(client, owner, patient, library):
    client.force_login(owner)

    response = client.post(
        reverse("plan-create", args=[patient.pk]),
        create_body(template_ids=[str(library["worry"].pk), str(uuid.uuid4())]),
    )

    assert response.status_code == 200
    assert "A template chosen is not in your library (any more)." in text(response)
    assert 'value="Worry and sleep"' in response.content.decode()
    assert f'value="{library["worry"].pk}" id="template-{library["worry"].pk}" checked' in response.content.decode()
    assert not TreatmentPlan.objects.filter(patient=patient, title="Worry and sleep").exists()


def test_another_practices_template_cannot_start_a_plan(client, owner, patient, outsider_admin, library):
    theirs = practice_template(outsider_admin, name="Harbor's worry plan")
    client.force_login(owner)

    response = client.post(reverse("plan-create", args=[patient.pk]), create_body(template_ids=[str(theirs.pk)]))

    assert response.status_code == 200
    assert "A template chosen is not in your library (any more)." in text(response)
    assert "Harbor&#x27;s worry plan" not in response.content.decode()
    assert not TreatmentPlan.objects.filter(patient=patient, title="Worry and sleep").exists()


def test_without_javascript_the_template_search_shows_the_form_again(client, owner, patient, library):
    client.force_login(owner)

    response = client.post(
        reverse("plan-create", args=[patient.pk]),
        create_body(search_templates="1", template_q="sleep", template_ids=[str(library["worry"].pk)]),
    )

    assert response.status_code == 200
    assert chosen_names(response) == ["Worry (test)", "Sleep (test)"]
    assert 'value="Worry and sleep"' in response.content.decode()
    assert 'name="template_q" value="sleep"' in response.content.decode()
    assert not TreatmentPlan.objects.filter(patient=patient).exclude(title="Anxiety Management Plan").exists()


# --- fill in the blanks ----------------------------------------------------------------------------


@pytest.fixture
def from_template(client, owner, patient, library):
    client.force_login(owner)
    client.post(reverse("plan-create", args=[patient.pk]), create_body(template_ids=[str(library["worry"].pk)]))
    plan = TreatmentPlan.objects.get(patient=patient, title="Worry and sleep")
    objectives = {goal.description: goal for goal in TreatmentGoal.objects.filter(plan=plan, goal_type="objective")}
    return plan, objectives


def field_name(goal, name: str) -> str:
    return f"goal-{goal.pk}-{name}"


def test_the_blanks_are_marked_and_counted_on_the_plan_page(client, from_template):
    plan, objectives = from_template

    page = client.get(plan.get_absolute_url())

    body = text(page)
    assert "✎ 8 to fill in The template left 8 values on 3 goals" in body  # 3 baselines, 3 targets, 2 descriptions
    # The card marks each placeholder in words, and the SMART hint counts them.
    assert "Client will cut worry episodes from to fill in: baseline to to fill in: target a day" in body
    assert "3 fields still hold a placeholder to fill in." in body
    assert "2 fields still hold a placeholder to fill in." in body
    # The form's prompts are the hints.
    goal = objectives[WORRY_OBJECTIVES[1]]
    assert f'name="{field_name(goal, "baseline_value")}"' in page.content.decode()
    assert 'placeholder="baseline 2"' in page.content.decode()
    assert "To fill in: target 2." in body


def test_filling_in_the_blanks_writes_every_value_at_once(client, from_template):
    plan, objectives = from_template
    first, second = objectives[WORRY_OBJECTIVES[0]], objectives[WORRY_OBJECTIVES[1]]

    response = client.post(
        reverse("plan-blanks", args=[plan.pk]),
        {
            field_name(first, "baseline_value"): "8 a day",
            field_name(first, "target_value"): "2 a day",
            field_name(second, "baseline_value"): "0 days",
            field_name(second, "target_value"): "",  # left empty: still to fill in
            field_name(first, "description"): "Client will cut worry episodes from 8 to 2 a day",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{plan.get_absolute_url()}#goal-tree"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.description, first.baseline_value, first.target_value) == (
        "Client will cut worry episodes from 8 to 2 a day",
        "8 a day",
        "2 a day",
    )
    assert (second.baseline_value, second.target_value) == ("0 days", "[[target 2]]")
    page = client.get(plan.get_absolute_url())
    assert "Filled in 4 values." in text(page)
    assert "✎ 4 to fill in The template left 4 values on 2 goals" in text(page)


def test_a_refused_value_keeps_everything_typed_and_writes_nothing(client, from_template):
    plan, objectives = from_template
    first, second = objectives[WORRY_OBJECTIVES[0]], objectives[WORRY_OBJECTIVES[1]]

    response = client.post(
        reverse("plan-blanks", args=[plan.pk]),
        {field_name(first, "baseline_value"): "8 a day", field_name(second, "target_value"): "x" * 101},
    )

    assert response.status_code == 200
    assert "The values were not saved" in text(response)
    assert 'value="8 a day"' in response.content.decode()
    first.refresh_from_db()
    assert first.baseline_value == "[[baseline 1]]"


def test_a_stale_goal_is_a_conflict_with_what_was_typed_kept(client, from_template):
    plan, objectives = from_template
    first = objectives[WORRY_OBJECTIVES[0]]
    stale = first.etag
    TreatmentGoal.objects.filter(pk=first.pk).update(priority=5, updated_at=timezone.now())

    response = client.post(
        reverse("plan-blanks", args=[plan.pk]),
        {field_name(first, "baseline_value"): "8 a day", field_name(first, "etag"): stale},
    )

    assert response.status_code == 200
    assert "Someone else changed one of these goals first." in text(response)
    assert 'value="8 a day"' in response.content.decode()
    first.refresh_from_db()
    assert first.baseline_value == "[[baseline 1]]"


def test_the_goal_form_prompts_with_the_hint_and_keeps_a_placeholder_left_empty(client, from_template):
    _plan, objectives = from_template
    goal = objectives[WORRY_OBJECTIVES[2]]

    form = client.get(reverse("goal-edit", args=[goal.pk]), **HTMX)
    assert 'placeholder="baseline 3"' in form.content.decode()
    assert "To fill in: baseline 3. Left empty, it stays to fill in." in text(form)

    saved = client.post(
        reverse("goal-edit", args=[goal.pk]),
        {
            "description": goal.description,
            "priority": "3",
            "status": "not_started",
            "etag": goal.etag,
            "baseline_value": "",
            "target_value": "every evening",
        },
        **HTMX,
    )
    goal.refresh_from_db()
    assert (goal.baseline_value, goal.target_value) == ("[[baseline 3]]", "every evening")
    # The tree comes back with "Fill in the blanks" out of band, one value fewer.
    assert 'id="plan-blanks" aria-labelledby="plan-blanks-heading" hx-swap-oob="outerHTML"' in saved.content.decode()
    assert "✎ 7 to fill in The template left 7 values" in text(saved)


# --- the library and its builder -------------------------------------------------------------------


def test_the_library_lists_those_fitting_a_diagnosis_first(client, owner, library):
    practice_template(owner)
    client.force_login(owner)

    response = client.get(reverse("plan-template-list"), {"diagnosis": "g47.00"})

    names = re.findall(r'class="template-name" href="[^"]+">([^<]+)</a>', response.content.decode())
    assert names[0] == "Sleep (test)"
    assert set(names) == {"Sleep (test)", "Worry (test)", "Our worry plan"}
    ours = client.get(reverse("plan-template-list"), {"source": "practice"})
    assert re.findall(r'class="template-name" href="[^"]+">([^<]+)</a>', ours.content.decode()) == ["Our worry plan"]


def test_a_template_page_previews_its_tree(client, owner, library):
    client.force_login(owner)

    response = client.get(reverse("plan-template-detail", args=[library["worry"].pk]))

    body = text(response)
    assert WORRY_GOAL in body
    assert "target +8 weeks" in body
    assert "GAD7 to 9" in body
    assert "Progressive Muscle Relaxation (daily practice)" in body
    assert "Built-in library (read-only)" in body
    assert "Copy to my practice" in body
    assert "Edit details" not in body


def test_the_author_edits_a_goal_in_the_builder(client, owner):
    template = practice_template(owner)
    goal = TemplateGoal.objects.get(template=template, description=WORRY_OBJECTIVES[2])
    client.force_login(owner)

    response = client.post(
        reverse("plan-template-goal-edit", args=[template.pk, goal.pk]),
        {
            "description": "Client will keep a worry time each evening",
            "priority": "2",
            "target_offset_weeks": "6",
            "baseline_value": "[[evenings a week]]",
            "target_value": "[[evenings, e.g. 5]]",
        },
    )

    assert response.status_code == 302
    edited = TemplateGoal.objects.get(template=template, description="Client will keep a worry time each evening")
    assert (edited.priority, edited.target_offset_weeks, edited.target_value) == (2, 6, "[[evenings, e.g. 5]]")
    assert TemplateGoal.objects.filter(template=template).count() == 5


def test_the_builder_edits_a_goals_smart_answers(client, owner):
    template = practice_template(owner)
    goal = TemplateGoal.objects.get(template=template, description=WORRY_OBJECTIVES[2])
    TemplateGoal.objects.filter(pk=goal.pk).update(smart={"specific": {"who": "The client"}})
    url = reverse("plan-template-goal-edit", args=[template.pk, goal.pk])
    client.force_login(owner)

    page = client.get(url).content.decode()
    # The stored answer is there to change, under its part, and the fields it shares with a plan's goal form.
    assert re.search(r'<input type="text" name="smart_specific_who" value="The client"[^>]*>', page)
    assert "<legend>Time-bound</legend>" in page
    response = client.post(
        url,
        {
            "description": WORRY_OBJECTIVES[2],
            "priority": "1",
            "smart_specific_who": "The client and partner",
            "smart_time_bound_deadline": "[[weeks, e.g. 8]] weeks from the start",
        },
    )

    assert response.status_code == 302
    # The tree is written afresh on each save: the goal is found by its text.
    assert TemplateGoal.objects.get(template=template, description=WORRY_OBJECTIVES[2]).smart == {
        "specific": {"who": "The client and partner"},
        "time_bound": {"deadline": "[[weeks, e.g. 8]] weeks from the start"},
    }


def test_a_refusal_of_the_tree_shows_beside_the_field(client, owner):
    template = practice_template(owner)
    goal = TemplateGoal.objects.get(template=template, description=WORRY_OBJECTIVES[0])
    client.force_login(owner)

    response = client.post(
        reverse("plan-template-goal-edit", args=[template.pk, goal.pk]),
        {
            "description": "Client will worry less",
            "priority": "1",
            "measure_instrument": "gad7",
            "measure_target_score": "40",
        },
    )

    assert response.status_code == 200
    assert "Give the GAD-7 score this objective aims for (0-21)." in text(response)
    assert (
        'value="Client will worry less"' in response.content.decode()
        or "Client will worry less</textarea>" in response.content.decode()
    )
    assert TemplateGoal.objects.filter(template=template, description=WORRY_OBJECTIVES[0]).exists()


def test_goals_are_added_and_removed_in_the_builder(client, owner):
    template = practice_template(owner)
    step = TemplateGoal.objects.get(template=template, goal_type="short_term")
    client.force_login(owner)

    added = client.post(
        reverse("plan-template-goal-add", args=[template.pk]),
        {"parent": str(step.pk), "description": "Client will name three worry triggers", "priority": "4"},
    )
    assert added.status_code == 302
    new = TemplateGoal.objects.get(template=template, description="Client will name three worry triggers")
    assert new.goal_type == "objective"

    removed = client.post(reverse("plan-template-goal-remove", args=[template.pk, new.pk]))
    assert removed.status_code == 302
    assert TemplateGoal.objects.filter(template=template).count() == 5
    assert not TemplateGoal.objects.filter(description="Client will name three worry triggers").exists()


def test_a_goal_posted_after_the_template_changed_is_gone(client, owner):
    template = practice_template(owner)
    goal = TemplateGoal.objects.get(template=template, description=WORRY_OBJECTIVES[2])
    client.force_login(owner)
    client.post(reverse("plan-template-goal-remove", args=[template.pk, goal.pk]))

    response = client.post(
        reverse("plan-template-goal-edit", args=[template.pk, goal.pk]), {"description": "x", "priority": "1"}
    )

    assert response.status_code == 404


def test_interventions_are_added_once_and_removed_in_the_builder(client, owner):
    template = practice_template(owner)
    goal = TemplateGoal.objects.get(template=template, goal_type="long_term")
    url = reverse("plan-template-goal-interventions", args=[template.pk, goal.pk])
    hygiene = intervention("Sleep Hygiene")
    client.force_login(owner)

    assert client.post(url, {"intervention": str(hygiene.pk), "frequency": "weekly"}).status_code == 302
    goal = TemplateGoal.objects.get(template=template, goal_type="long_term")
    assert list(goal.interventions.values_list("intervention__name", "frequency")) == [
        ("Deep Breathing", "weekly"),
        ("Sleep Hygiene", "weekly"),
    ]
    again = client.post(
        reverse("plan-template-goal-interventions", args=[template.pk, goal.pk]),
        {"intervention": str(hygiene.pk), "frequency": "daily"},
    )
    assert again.status_code == 200
    assert "Sleep Hygiene is already listed for this goal." in text(again)

    client.post(reverse("plan-template-goal-interventions", args=[template.pk, goal.pk]), {"remove": str(hygiene.pk)})
    goal = TemplateGoal.objects.get(template=template, goal_type="long_term")
    assert list(goal.interventions.values_list("intervention__name", flat=True)) == ["Deep Breathing"]


def test_a_system_template_is_copied_into_the_practice(client, colleague, library):
    client.force_login(colleague)

    response = client.post(reverse("plan-template-copy", args=[library["worry"].pk]))

    copy = PlanTemplate.objects.get(practice=colleague.practice)
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-template-detail", args=[copy.pk])
    assert (copy.name, copy.created_by, copy.diagnosis_codes) == ("Worry (test) (our copy)", colleague, ["F41.1"])
    assert copy.goals.count() == library["worry"].goals.count() == 5
    # The copy is its author's to change.
    assert client.get(reverse("plan-template-edit", args=[copy.pk])).status_code == 200


def test_the_details_form_keeps_what_was_typed_on_a_bad_code(client, owner):
    template = practice_template(owner)
    client.force_login(owner)

    response = client.post(
        reverse("plan-template-edit", args=[template.pk]),
        {"name": "Renamed worry plan", "diagnosis_codes": "F41.1, Q99.99", "presenting_problems": "worry\nsleep"},
    )

    assert response.status_code == 200
    assert "Q99.99 is not an ICD-10-CM code." in text(response)
    assert 'value="Renamed worry plan"' in response.content.decode()
    template.refresh_from_db()
    assert template.name == "Our worry plan"


# --- save as template --------------------------------------------------------------------------------


def test_a_plan_is_saved_as_a_practice_template(client, owner, from_template):
    plan, objectives = from_template
    first = objectives[WORRY_OBJECTIVES[0]]
    TreatmentGoal.objects.filter(pk=first.pk).update(baseline_value="8 a day")

    form = client.get(reverse("plan-save-template", args=[plan.pk]))
    assert 'value="Worry and sleep"' in form.content.decode()
    response = client.post(
        reverse("plan-save-template", args=[plan.pk]), {"name": "Worry, our way", "summary": "From a good plan"}
    )

    template = PlanTemplate.objects.get(name="Worry, our way")
    assert response.status_code == 302
    assert response["Location"] == reverse("plan-template-detail", args=[template.pk])
    assert template.practice == owner.practice
    saved = TemplateGoal.objects.get(template=template, description=WORRY_OBJECTIVES[0])
    assert saved.baseline_value == "[[baseline]]"


def test_save_as_template_keeps_what_was_typed_on_error(client, from_template):
    plan, _ = from_template

    response = client.post(reverse("plan-save-template", args=[plan.pk]), {"name": "", "summary": "Kept summary"})

    assert response.status_code == 200
    assert "Kept summary</textarea>" in response.content.decode()
    assert not PlanTemplate.objects.filter(summary="Kept summary").exists()
