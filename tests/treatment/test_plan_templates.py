"""Plan templates: loading the library, which templates a user sees and which fit, and building a plan from them.

The two small templates of `tests/treatment/plan_templates/` stand in for the library (its files belong to the
content; `test_plan_templates_library.py` builds a plan from each of those).
"""

import datetime
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from accounts.audit import AuditContext
from tests.factories import GoalFactory, PlanFactory, intervention
from treatment.models import (
    GoalIntervention,
    PlanTemplate,
    TemplateGoal,
    TemplateGoalIntervention,
    TreatmentGoal,
    TreatmentPlan,
)
from treatment.placeholders import goal_placeholders, placeholders_in
from treatment.plan_templates import load_system_templates, template_entries
from treatment.services import plan_template_apply, smart_missing
from treatment.template_selectors import fits, template_tree, templates_for, templates_visible

pytestmark = pytest.mark.django_db

HERE = Path(__file__).parent / "plan_templates"
MODELS = (PlanTemplate, TemplateGoal, TemplateGoalIntervention)


def load(path: Path = HERE) -> tuple[int, int]:
    return load_system_templates(*MODELS, path=path)


def by(user=None) -> AuditContext:
    return AuditContext.system("tests", user=user)


@pytest.fixture
def library(db):
    PlanTemplate.objects.filter(practice=None).delete()  # the migration's library: these tests use their own
    load()
    return {t.key: t for t in PlanTemplate.objects.filter(practice=None)}


def custom(practice, name: str, codes: list[str]) -> PlanTemplate:
    template = PlanTemplate.objects.create(practice=practice, key=name.lower(), name=name, diagnosis_codes=codes)
    TemplateGoal.objects.create(template=template, goal_type="long_term", description=f"{name} goal")
    return template


# --- loading -----------------------------------------------------------------------------------------


def test_the_loader_reads_every_file_of_a_directory_by_name():
    assert [entry["key"] for entry in template_entries(HERE)] == ["test-sleep", "test-worry"]


def test_loading_writes_each_tree_and_loading_again_changes_nothing(library):
    worry = library["test-worry"]
    assert worry.is_system is True
    assert worry.diagnosis_codes == ["F41.1"]
    assert TemplateGoal.objects.filter(template=worry).count() == 6
    assert TemplateGoalIntervention.objects.filter(template_goal__template=worry).count() == 5
    ids = set(TemplateGoal.objects.values_list("template_id", flat=True))

    assert load() == (0, 2)

    assert PlanTemplate.objects.get(key="test-worry", practice=None).pk == worry.pk
    assert TemplateGoal.objects.filter(template=worry).count() == 6
    assert set(TemplateGoal.objects.values_list("template_id", flat=True)) == ids


def test_reloading_an_edited_file_refreshes_the_entry_and_leaves_practice_templates(library, practice, tmp_path):
    own = custom(practice, "Ours", ["F41.1"])
    edited = json.loads((HERE / "test-sleep.json").read_text())
    edited["name"] = "Sleep, revised"
    edited["goals"] = edited["goals"][:1]
    edited["goals"][0]["sub_goals"] = []
    (tmp_path / "test-sleep.json").write_text(json.dumps(edited))

    assert load(tmp_path) == (0, 1)

    sleep = PlanTemplate.objects.get(key="test-sleep", practice=None)
    assert sleep.name == "Sleep, revised"
    assert list(TemplateGoal.objects.filter(template=sleep).values_list("goal_type", flat=True)) == ["long_term"]
    assert PlanTemplate.objects.get(pk=own.pk).name == "Ours"
    assert TemplateGoal.objects.filter(template=own).count() == 1


def test_no_files_load_nothing_and_fail_nothing(tmp_path):
    assert load(tmp_path) == (0, 0)
    assert load(tmp_path / "absent") == (0, 0)


# --- selectors ---------------------------------------------------------------------------------------


def test_a_user_sees_the_system_library_and_their_practice_never_another(library, owner, outsider_admin, practice):
    ours = custom(practice, "Ours", ["F41.1"])
    theirs = custom(outsider_admin.practice, "Theirs", ["F41.1"])

    assert [t.name for t in templates_visible(owner)] == ["Ours", "Test sleep", "Test worry"]
    assert [t.name for t in templates_visible(outsider_admin)] == ["Test sleep", "Test worry", "Theirs"]
    assert ours.pk not in {t.pk for t in templates_visible(outsider_admin)}
    assert theirs.pk not in {t.pk for t in templates_visible(owner)}


def test_a_code_or_a_category_above_the_diagnosis_fits():
    assert fits(["F43.1"], "F43.10") is True
    assert fits(["F43.1"], "f4310") is True
    assert fits(["F43"], "F43.10") is True
    assert fits(["F41.1"], "F41.1") is True
    assert fits(["F43.10"], "F43.1") is False
    assert fits(["F41.1"], "F41.0") is False
    assert fits(["F41.1"], "") is False


def test_fitting_templates_come_first_then_by_name(library, owner, practice):
    custom(practice, "Anxious sleep", ["F51"])

    by_sleep = templates_for(owner, diagnosis="F51.01")
    assert [(m.template.name, m.fits) for m in by_sleep] == [
        ("Anxious sleep", True),
        ("Test sleep", True),
        ("Test worry", False),
    ]
    by_worry = templates_for(owner, diagnosis="F41.1")
    assert [(m.template.name, m.fits) for m in by_worry] == [
        ("Test worry", True),
        ("Anxious sleep", False),
        ("Test sleep", False),
    ]
    assert [(m.template.name, m.fits) for m in templates_for(owner)] == [
        ("Anxious sleep", False),
        ("Test sleep", False),
        ("Test worry", False),
    ]


def test_search_matches_name_summary_presenting_problems_and_codes(library, owner):
    assert [m.template.key for m in templates_for(owner, search="relaxing")] == ["test-sleep", "test-worry"]
    assert [m.template.key for m in templates_for(owner, search="falling ASLEEP")] == ["test-sleep"]
    assert [m.template.key for m in templates_for(owner, search="g47.00")] == ["test-sleep"]
    assert [m.template.key for m in templates_for(owner, search="small worry")] == ["test-worry"]
    assert templates_for(owner, search="psychosis") == []


def test_the_tree_nests_children_in_order_with_named_interventions_in_two_queries(library, django_assert_num_queries):
    with django_assert_num_queries(2):
        tree = template_tree(library["test-worry"])

    assert [node.goal_type for node in tree] == ["long_term"]
    short_terms = tree[0].children
    assert [node.description for node in short_terms] == [
        "Client will notice and question worry thoughts",
        "Client will use relaxation when tense",
    ]
    objectives = short_terms[0].children
    assert [node.target_offset_weeks for node in objectives] == [8, 12]
    assert [(i.name, i.frequency) for i in objectives[0].interventions] == [
        ("Cognitive Restructuring", "daily practice")
    ]
    assert (objectives[1].measure_instrument, objectives[1].measure_target_score) == ("gad7", 9)
    assert objectives[0].placeholders == ["description", "baseline_value", "target_value"]
    assert tree[0].placeholders == []


# --- building a plan ---------------------------------------------------------------------------------


def test_applying_a_template_builds_its_tree_with_dates_interventions_and_measures(library, owner, plan):
    start = datetime.date(2026, 10, 5)
    built = plan_template_apply(by=by(owner), plan=plan, templates=[library["test-worry"]], start_date=start)

    assert [goal.goal_type for goal in built] == [
        "long_term",
        "short_term",
        "objective",
        "objective",
        "short_term",
        "objective",
    ]
    long_term, short_term, worry, gad = built[:4]
    assert TreatmentGoal.objects.filter(plan=plan).count() == 6
    assert short_term.parent_goal_id == long_term.pk
    assert worry.parent_goal_id == short_term.pk
    assert long_term.target_date == start + datetime.timedelta(weeks=26)
    assert worry.target_date == datetime.date(2026, 11, 30)
    assert worry.baseline_value == "[[worry episodes per day]]"
    assert worry.smart["time_bound"]["deadline"] == "+8 weeks from the plan's start"
    assert (gad.measure_instrument, gad.measure_target_score) == ("gad7", 9)
    links = GoalIntervention.objects.filter(goal=worry).select_related("intervention")
    assert [(link.intervention.name, link.frequency) for link in links] == [
        ("Cognitive Restructuring", "daily practice")
    ]
    assert GoalIntervention.objects.filter(goal__plan=plan).count() == 5
    plan.refresh_from_db()
    # The plan's own problems first, then the template's.
    assert plan.presenting_problems == [
        "chronic worry",
        "sleep difficulties",
        "Excessive worry most days",
        "Trouble relaxing",
    ]


def test_target_dates_default_to_the_plan_start(library, owner, plan):
    built = plan_template_apply(by=by(owner), plan=plan, templates=[library["test-sleep"]])
    assert [goal.target_date for goal in built] == [
        plan.start_date + datetime.timedelta(weeks=weeks) for weeks in (12, 6, 4)
    ]


def test_two_templates_become_separate_long_term_goals_after_the_plans_own(library, owner, plan):
    own = GoalFactory(plan=plan, description="Return to work")

    plan_template_apply(by=by(owner), plan=plan, templates=[library["test-worry"], library["test-sleep"]])

    roots = TreatmentGoal.objects.filter(plan=plan, parent_goal=None).order_by("created_at")
    assert [goal.description for goal in roots] == [
        own.description,
        "Client will worry less and feel in control of daily life",
        "Client will sleep well most nights",
    ]
    assert TreatmentGoal.objects.filter(plan=plan).count() == 10
    plan.refresh_from_db()
    # "trouble relaxing" of the second template is already there (case aside).
    assert plan.presenting_problems == [
        "chronic worry",
        "sleep difficulties",
        "Excessive worry most days",
        "Trouble relaxing",
        "Trouble falling asleep",
    ]


def test_a_template_with_a_bad_node_refuses_and_writes_nothing(library, owner, plan):
    breathing = intervention("Cognitive Restructuring")
    breathing.is_active = False
    breathing.save()
    goals_before, problems_before = TreatmentGoal.objects.count(), plan.presenting_problems

    with pytest.raises(ValidationError) as refused:
        plan_template_apply(by=by(owner), plan=plan, templates=[library["test-sleep"], library["test-worry"]])

    assert list(refused.value.message_dict) == ["template_ids"]
    assert refused.value.message_dict["template_ids"] == [
        "Test worry, goal \u201cClient will notice and question worry thoughts\u201d: "
        "interventions[0].intervention_id: Cognitive Restructuring has been retired from the library."
    ]
    assert TreatmentGoal.objects.count() == goals_before
    assert TreatmentPlan.objects.get(pk=plan.pk).presenting_problems == problems_before


def test_another_practices_template_or_the_same_twice_is_refused(library, owner, plan, outsider_admin):
    theirs = custom(outsider_admin.practice, "Theirs", ["F41.1"])
    with pytest.raises(ValidationError) as refused:
        plan_template_apply(by=by(owner), plan=plan, templates=[theirs])
    assert refused.value.message_dict == {"template_ids": ["Theirs is not in your practice's template library."]}
    with pytest.raises(ValidationError) as twice:
        plan_template_apply(by=by(owner), plan=plan, templates=[library["test-sleep"], library["test-sleep"]])
    assert twice.value.message_dict == {"template_ids": ["Choose each template once."]}
    assert TreatmentGoal.objects.filter(plan=plan).count() == 0


def test_a_signed_plan_takes_a_template_only_with_a_reason(library, owner, patient):
    plan = PlanFactory(patient=patient, signed=True)
    with pytest.raises(ValidationError) as refused:
        plan_template_apply(by=by(owner), plan=plan, templates=[library["test-sleep"]])
    assert list(refused.value.message_dict) == ["template_ids"]
    assert TreatmentGoal.objects.filter(plan=plan).count() == 0

    built = plan_template_apply(
        by=by(owner), plan=plan, templates=[library["test-sleep"]], amendment_reason="Insomnia added"
    )
    assert len(built) == 3


def test_creating_a_plan_with_templates_builds_the_tree_in_the_same_step(library, owner, patient):
    plan = PlanFactory(patient=patient, presenting_problems=[], templates=[library["test-sleep"]])
    assert TreatmentGoal.objects.filter(plan=plan).count() == 3
    assert plan.presenting_problems == ["Trouble falling asleep", "trouble relaxing"]


# --- placeholders ------------------------------------------------------------------------------------


def test_placeholders_are_found_by_field():
    assert placeholders_in("from [[baseline]] to [[target]] a day") == ["baseline", "target"]
    assert placeholders_in("[not one] [[]] [[a\nb]]") == []
    goal = TreatmentGoal(description="Sleep in [[minutes]]", baseline_value="[[minutes]]", target_value="30")
    assert goal_placeholders(goal) == ["description", "baseline_value"]
    goal.smart = {"achievable": {"resources": "[[who helps]]"}}
    assert goal_placeholders(goal) == ["description", "baseline_value", "smart"]


def test_a_goal_with_a_placeholder_is_never_smart_complete(library, owner, plan):
    built = plan_template_apply(by=by(owner), plan=plan, templates=[library["test-worry"]])
    objective = built[2]
    assert smart_missing(objective) == ["specific", "measurable"]
    assert smart_missing(built[0]) == []  # the long-term goal has no placeholder and answers all five

    objective.description = "Client will cut worry episodes from 8 to 2 a day"
    objective.baseline_value, objective.target_value = "8 a day", "2 a day"
    assert smart_missing(objective) == []
    objective.smart["achievable"]["resources"] = "[[who helps]]"
    assert smart_missing(objective) == ["achievable"]
