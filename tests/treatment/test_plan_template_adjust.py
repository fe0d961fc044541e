"""Adjusting the ticked templates' trees before the plan is built (issue 17): goals left out with their sub-goals,
descriptions retyped; ids of no chosen template, blank text and a template left empty refused with nothing written.
The pages and the API that send the adjustments: `test_plan_template_adjust_pages.py`, `test_plan_templates_api.py`.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError

from accounts.audit import AuditContext
from tests.treatment.template_pages_support import (
    SLEEP_GOAL,
    WORRY_GOAL,
    WORRY_OBJECTIVES,
    WORRY_STEP,
    sleep_template,
    sleep_tree,
    system_template,
    worry_template,
    worry_tree,
)
from treatment.models import PlanTemplate, TemplateGoal, TreatmentGoal, TreatmentPlan
from treatment.services import plan_create, plan_template_apply
from treatment.services.template_adjustments import TemplateAdjustments

pytestmark = pytest.mark.django_db

SLEEP_STEP = "Client will keep a fixed sleep window"
SLEEP_OBJECTIVE = "Client will fall asleep within [[minutes]] minutes"


def by(user) -> AuditContext:
    return AuditContext.system("tests", user=user)


@pytest.fixture
def both() -> PlanTemplate:
    """One template with two long-term goals: worry (a short-term goal, three objectives) and sleep (one, one)."""
    return system_template("test-worry-sleep", "Worry and sleep (test)", ["F41.1"], [*worry_tree(), *sleep_tree()])


def goal_id(template: PlanTemplate, description: str) -> uuid.UUID:
    return TemplateGoal.objects.get(template=template, description=description).pk


def descriptions(plan: TreatmentPlan) -> list[tuple[str, str, str | None]]:
    goals = TreatmentGoal.objects.filter(plan=plan).select_related("parent_goal").order_by("created_at", "pk")
    return [(g.goal_type, g.description, g.parent_goal.description if g.parent_goal else None) for g in goals]


def test_a_long_term_goal_left_out_takes_its_subtree_and_a_retyped_text_replaces_the_templates(owner, plan, both):
    adjustments = TemplateAdjustments(
        left_out=frozenset({goal_id(both, SLEEP_GOAL)}),
        texts={
            goal_id(both, WORRY_OBJECTIVES[0]): "  Client will cut worry episodes from 8 to 2 a day ",
            goal_id(both, WORRY_STEP): WORRY_STEP,  # the template's own text, sent back as it was
        },
    )

    built = plan_template_apply(by=by(owner), plan=plan, templates=[both], adjustments=adjustments)

    assert [goal.description for goal in built] == [
        WORRY_GOAL,
        WORRY_STEP,
        "Client will cut worry episodes from 8 to 2 a day",
        WORRY_OBJECTIVES[1],
        WORRY_OBJECTIVES[2],
    ]
    assert descriptions(plan) == [
        ("long_term", WORRY_GOAL, None),
        ("short_term", WORRY_STEP, WORRY_GOAL),
        ("objective", "Client will cut worry episodes from 8 to 2 a day", WORRY_STEP),
        ("objective", WORRY_OBJECTIVES[1], WORRY_STEP),
        ("objective", WORRY_OBJECTIVES[2], WORRY_STEP),
    ]
    retyped = TreatmentGoal.objects.get(plan=plan, description="Client will cut worry episodes from 8 to 2 a day")
    # Only the text changes: the rest of the template goal comes as it was.
    assert (retyped.baseline_value, retyped.measure_instrument, retyped.measure_target_score) == (
        "[[baseline 1]]",
        "gad7",
        9,
    )


def test_an_objective_left_out_leaves_its_siblings_and_parents(owner, plan, both):
    adjustments = TemplateAdjustments(
        left_out=frozenset({goal_id(both, WORRY_OBJECTIVES[1]), goal_id(both, SLEEP_STEP)})
    )

    plan_template_apply(by=by(owner), plan=plan, templates=[both], adjustments=adjustments)

    assert descriptions(plan) == [
        ("long_term", WORRY_GOAL, None),
        ("short_term", WORRY_STEP, WORRY_GOAL),
        ("objective", WORRY_OBJECTIVES[0], WORRY_STEP),
        ("objective", WORRY_OBJECTIVES[2], WORRY_STEP),
        ("long_term", SLEEP_GOAL, None),
    ]


def test_ids_of_no_chosen_template_are_refused_naming_each_field_and_nothing_is_written(owner, plan, both):
    other = sleep_template()
    stranger, nobody = goal_id(other, SLEEP_GOAL), uuid.uuid4()
    adjustments = TemplateAdjustments(
        left_out=frozenset({stranger, goal_id(both, WORRY_OBJECTIVES[0])}), texts={nobody: "Sleep better"}
    )

    with pytest.raises(ValidationError) as refused:
        plan_template_apply(by=by(owner), plan=plan, templates=[both], adjustments=adjustments)

    assert refused.value.message_dict == {
        "template_goals_left_out": [f"Not goals of the templates chosen: {stranger}."],
        "template_goal_descriptions": [f"Not goals of the templates chosen: {nobody}."],
    }
    assert TreatmentGoal.objects.filter(plan=plan).count() == 0


def test_leaving_out_every_goal_of_a_template_is_refused(owner, plan, both):
    worry = worry_template()
    adjustments = TemplateAdjustments(left_out=frozenset({goal_id(worry, WORRY_GOAL), goal_id(both, SLEEP_GOAL)}))
    problems = plan.presenting_problems

    with pytest.raises(ValidationError) as refused:
        plan_template_apply(by=by(owner), plan=plan, templates=[both, worry], adjustments=adjustments)

    assert refused.value.message_dict == {
        "template_goals_left_out": [
            "Every goal of \u201cWorry (test)\u201d is left out: keep at least one, or choose fewer templates instead."
        ]
    }
    assert TreatmentGoal.objects.filter(plan=plan).count() == 0
    assert TreatmentPlan.objects.get(pk=plan.pk).presenting_problems == problems


def test_a_blank_text_is_refused_under_its_goal_but_not_for_a_goal_left_out(owner, plan, both):
    blank, under_left_out = goal_id(both, WORRY_OBJECTIVES[2]), goal_id(both, SLEEP_OBJECTIVE)
    adjustments = TemplateAdjustments(
        left_out=frozenset({goal_id(both, SLEEP_STEP)}),
        texts={blank: "   ", under_left_out: "", goal_id(both, WORRY_GOAL): "Worry \x00less"},
    )

    with pytest.raises(ValidationError) as refused:
        plan_template_apply(by=by(owner), plan=plan, templates=[both], adjustments=adjustments)

    assert refused.value.message_dict == {
        f"template_goal_descriptions.{goal_id(both, WORRY_GOAL)}": [
            f"Worry and sleep (test), goal \u201c{WORRY_GOAL}\u201d: Null characters are not allowed."
        ],
        f"template_goal_descriptions.{blank}": [
            "Worry and sleep (test), goal \u201cClient will postpone worry to a set worry time\u201d: "
            "This field cannot be blank."
        ],
    }
    assert TreatmentGoal.objects.filter(plan=plan).count() == 0


def test_a_plan_is_created_with_the_adjusted_tree_in_one_step(owner, patient, both):
    adjustments = TemplateAdjustments(
        left_out=frozenset({goal_id(both, SLEEP_GOAL), goal_id(both, WORRY_OBJECTIVES[2])}),
        texts={goal_id(both, WORRY_GOAL): "Client will feel in control of worry"},
    )

    plan = plan_create(
        by=by(owner),
        patient=patient,
        title="Worry",
        start_date=patient.practice.today(),
        templates=[both],
        template_adjustments=adjustments,
    )

    assert [(kind, text) for kind, text, _ in descriptions(plan)] == [
        ("long_term", "Client will feel in control of worry"),
        ("short_term", WORRY_STEP),
        ("objective", WORRY_OBJECTIVES[0]),
        ("objective", WORRY_OBJECTIVES[1]),
    ]


def test_a_refused_adjustment_refuses_the_plan_and_adjustments_need_templates(owner, patient, both):
    plans = TreatmentPlan.objects.filter(patient=patient).count()
    start = patient.practice.today()
    everything = TemplateAdjustments(left_out=frozenset({goal_id(both, WORRY_GOAL), goal_id(both, SLEEP_GOAL)}))

    with pytest.raises(ValidationError) as refused:
        plan_create(
            by=by(owner),
            patient=patient,
            title="W",
            start_date=start,
            templates=[both],
            template_adjustments=everything,
        )
    assert list(refused.value.message_dict) == ["template_goals_left_out"]
    orphan = TemplateAdjustments(left_out=frozenset({goal_id(both, WORRY_STEP)}))
    with pytest.raises(ValidationError) as without:
        plan_create(by=by(owner), patient=patient, title="W", start_date=start, template_adjustments=orphan)
    assert without.value.message_dict == {
        "template_goals_left_out": [f"Not goals of the templates chosen: {goal_id(both, WORRY_STEP)}."]
    }
    assert TreatmentPlan.objects.filter(patient=patient).count() == plans
    assert TreatmentGoal.objects.filter(plan__patient=patient, plan__title="W").count() == 0
