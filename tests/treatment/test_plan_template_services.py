"""Practice templates: made from a tree (checked like a plan's goals), changed and deleted by their author or a
practice admin only, the system library refused; "Save as template" keeps the plan's structure and nothing of
the patient."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from tests.factories import GoalFactory, intervention, make_tree
from treatment.models import PlanTemplate, TemplateGoal
from treatment.services import (
    goal_update,
    plan_template_create,
    plan_template_delete,
    plan_template_save,
    plan_template_update,
    progress_record,
)
from treatment.services.templates import SYSTEM_READ_ONLY
from treatment.template_selectors import template_tree

pytestmark = pytest.mark.django_db


def by(user) -> AuditContext:
    return AuditContext.system("tests", user=user)


def tree(intervention_id: str | None = None) -> list[dict]:
    cr = intervention_id or str(intervention("Cognitive Restructuring").pk)
    return [
        {
            "description": "Worry less",
            "priority": 1,
            "target_offset_weeks": 20,
            "interventions": [{"intervention_id": cr, "frequency": "weekly"}],
            "sub_goals": [
                {
                    "description": "Question worries",
                    "sub_goals": [
                        {
                            "description": "GAD-7 under 10",
                            "baseline_value": "[[GAD-7 score]]",
                            "measure_instrument": "gad7",
                            "measure_target_score": 9,
                        }
                    ],
                }
            ],
        }
    ]


def make(user, **fields) -> PlanTemplate:
    values = {"name": "Our worry plan", "goals": tree(), "diagnosis_codes": ["f411"], **fields}
    return plan_template_create(by=by(user), practice=user.practice, **values)


def test_a_clinician_adds_a_template_to_the_practice(owner):
    template = make(owner, presenting_problems=["Worry", "worry"], sources=["NICE CG113"])

    assert (template.practice_id, template.key, template.created_by_id) == (
        owner.practice_id,
        "our-worry-plan",
        owner.pk,
    )
    assert template.diagnosis_codes == ["F41.1"]
    assert template.presenting_problems == ["Worry"]
    nodes = template_tree(template)
    assert [n.goal_type for n in nodes] == ["long_term"]
    assert nodes[0].children[0].children[0].measure_target_score == 9
    assert [(i.name, i.frequency) for i in nodes[0].interventions] == [("Cognitive Restructuring", "weekly")]
    assert make(owner).key == "our-worry-plan-2"
    assert AuditEvent.objects.filter(object_id=str(template.pk), action="create").count() == 1


def test_a_bad_tree_is_refused_naming_each_field_and_nothing_is_written(owner, outsider_admin):
    theirs = plan_template_create(
        by=by(outsider_admin),
        practice=outsider_admin.practice,
        name="x",
        goals=[{"description": "x"}],
    )
    from interventions.services import intervention_create

    foreign = intervention_create(
        practice=outsider_admin.practice, created_by=outsider_admin, name="Harbor only", modality="CBT"
    )
    bad = tree(str(foreign.pk))
    objective = bad[0]["sub_goals"][0]["sub_goals"][0]
    objective["measure_target_score"] = 40
    objective["target_value"] = "x" * 101
    objective["sub_goals"] = [{"description": "too deep"}]
    bad[0]["smart"] = {"specific": {"why": "?"}}
    count = PlanTemplate.objects.count()

    with pytest.raises(ValidationError) as refused:
        make(owner, goals=bad, diagnosis_codes=["F41.9", "Z99.999"], name=" ")

    assert refused.value.message_dict == {
        "name": ["Give the template a name."],
        "diagnosis_codes": ["Z99.999 is not an ICD-10-CM code."],
        "goals[0].smart": ["Unknown question specific.why; use what, who, where."],
        "goals[0].interventions[0].intervention_id": ["This intervention is not in your practice's library."],
        "goals[0].sub_goals[0].sub_goals[0].target_value": [
            "Ensure this value has at most 100 characters (it has 101)."
        ],
        "goals[0].sub_goals[0].sub_goals[0].sub_goals": ["An objective has no sub-goals."],
    }
    assert PlanTemplate.objects.count() == count
    with pytest.raises(ValidationError) as empty:
        make(owner, goals=[])
    assert empty.value.message_dict == {"goals": ["A template needs at least one long-term goal."]}
    with pytest.raises(PermissionDenied):
        plan_template_update(by=by(owner), template=theirs, name="Mine now")


def test_a_nul_anywhere_in_the_tree_is_refused(owner):
    bad = tree()
    bad[0]["interventions"][0]["frequency"] = "week\u0000ly"
    with pytest.raises(ValidationError) as refused:
        make(owner, goals=bad)
    assert refused.value.message_dict == {"goals[0].interventions[0].frequency": ["Null characters are not allowed."]}


def test_a_measure_target_out_of_range_names_the_field(owner):
    bad = tree()
    bad[0]["sub_goals"][0]["sub_goals"][0]["measure_target_score"] = 22
    with pytest.raises(ValidationError) as refused:
        make(owner, goals=bad)
    assert refused.value.message_dict == {
        "goals[0].sub_goals[0].sub_goals[0].measure_target_score": [
            "Give the GAD-7 score this objective aims for (0-21)."
        ]
    }


def test_only_the_author_or_a_practice_admin_changes_or_deletes(owner, colleague, practice_admin):
    template = make(owner)
    with pytest.raises(PermissionDenied):
        plan_template_update(by=by(colleague), template=template, name="Colleague's")
    with pytest.raises(PermissionDenied):
        plan_template_delete(by=by(colleague), template=template)

    plan_template_update(by=by(practice_admin), template=template, name="Renamed", goals=[{"description": "One"}])
    template.refresh_from_db()
    assert (template.name, template.key) == ("Renamed", "renamed")
    assert list(TemplateGoal.objects.filter(template=template).values_list("description", flat=True)) == ["One"]

    plan_template_delete(by=by(owner), template=template)
    assert PlanTemplate.objects.filter(pk=template.pk).exists() is False


def test_the_system_library_refuses_every_write(owner, practice_admin):
    system = PlanTemplate.objects.create(key="sys", name="System")
    for user in (owner, practice_admin):
        with pytest.raises(PermissionDenied) as refused:
            plan_template_update(by=by(user), template=system, name="Mine")
        assert str(refused.value) == SYSTEM_READ_ONLY
        with pytest.raises(PermissionDenied):
            plan_template_delete(by=by(user), template=system)
    assert PlanTemplate.objects.get(pk=system.pk).name == "System"


# --- save as template --------------------------------------------------------------------------------


def test_save_as_template_keeps_the_structure_and_strips_the_patient(owner, plan):
    goals = make_tree(plan)
    objective = goals["objective"]
    goal_update(
        by=by(owner),
        goal=objective,
        baseline_value="Emily reports 8 panic attacks",
        target_value="2",
        target_date=plan.start_date + datetime.timedelta(days=40),
        measurable_criteria="Emily Carter logs attacks from 2026-09-01",
        smart={"time_bound": {"deadline": "2026-10-11", "milestones": "check on 9/15/2026"}},
        status="in_progress",
    )
    progress_record(by=by(owner), goal=objective, progress_note="Emily practised", rating=7, progress_value="5")
    GoalFactory(parent_goal=goals["long_term"], goal_type="short_term", description="Dropped", status="discontinued")

    template = plan_template_save(by=by(owner), plan=plan, name="From a plan", summary="Ours")

    assert (template.practice_id, template.created_by_id, template.summary) == (
        plan.patient.practice_id,
        owner.pk,
        "Ours",
    )
    assert template.diagnosis_codes == ["F41.1"]
    assert template.presenting_problems == ["chronic worry", "sleep difficulties"]
    nodes = template_tree(template)
    assert [n.description for n in nodes] == ["Reduce overall anxiety levels to a manageable state"]
    assert [n.description for n in nodes[0].children] == ["Learn and practice 3 relaxation techniques"]
    saved = nodes[0].children[0].children[0]
    assert saved.description == "Practice deep breathing daily"
    assert saved.baseline_value == "[[baseline]]"
    assert saved.target_value == "[[target]]"
    assert saved.measurable_criteria == "the client logs attacks from [[date]]"
    assert saved.target_offset_weeks == 6
    assert saved.smart == {
        "time_bound": {"deadline": "+6 weeks from the plan's start", "milestones": "check on [[date]]"}
    }
    assert [(i.name, i.frequency) for i in saved.interventions] == [("Deep Breathing", "every session")]
    assert AuditEvent.objects.filter(action="view", object_id=str(plan.pk), patient=plan.patient).count() == 1


def test_save_as_template_is_for_the_plans_clinician_or_a_practice_admin(
    plan, tree, owner, supervisor, colleague, practice_admin, outsider_admin
):
    for user in (supervisor, colleague, outsider_admin):
        with pytest.raises(PermissionDenied):
            plan_template_save(by=by(user), plan=plan, name="Not mine")
    assert PlanTemplate.objects.filter(practice__isnull=False).count() == 0
    assert plan_template_save(by=by(practice_admin), plan=plan, name="Admin's").practice_id == plan.patient.practice_id


def test_an_empty_plan_is_not_a_template(owner, plan):
    with pytest.raises(ValidationError) as refused:
        plan_template_save(by=by(owner), plan=plan, name="Empty")
    assert refused.value.message_dict == {"plan": ["This plan has no goals to save as a template."]}
