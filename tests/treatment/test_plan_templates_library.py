"""Every template of the library (`fixtures/plan_templates/`) is loaded by `migrate` alone and builds a plan that
passes the same checks as one written by hand: its codes are ICD-10-CM, its tree passes a practice template's
checks (hierarchy, SMART answers, measures, interventions in the library), and `plan_create` with it writes the
whole tree through the goal service, each target date its offset from the start."""

import datetime
import json
from pathlib import Path

import pytest

from tests.factories import PlanFactory
from treatment.models import PlanTemplate, TemplateGoal, TemplateGoalIntervention, TreatmentGoal
from treatment.plan_templates import TEMPLATES_DIR, load_system_templates, template_entries, walk
from treatment.services import clean_problems, smart_missing
from treatment.services.template_tree import clean_codes, clean_tree

pytestmark = pytest.mark.django_db

FILES = sorted(TEMPLATES_DIR.glob("*.json"))
START = datetime.date(2026, 10, 1)


def test_migrate_alone_loads_every_file_of_the_library():
    keys = sorted(entry["key"] for entry in template_entries())
    assert sorted(PlanTemplate.objects.filter(practice=None).values_list("key", flat=True)) == keys


@pytest.mark.parametrize("file", FILES, ids=lambda file: file.stem)
def test_a_plan_built_from_the_template_passes_the_checks_of_one_built_by_hand(file: Path, owner, patient, tmp_path):
    entry = json.loads(file.read_text(encoding="utf-8"))
    (tmp_path / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    load_system_templates(PlanTemplate, TemplateGoal, TemplateGoalIntervention, path=tmp_path)
    template = PlanTemplate.objects.get(key=entry["key"], practice=None)

    assert clean_codes(entry["diagnosis_codes"]) == entry["diagnosis_codes"]
    clean_tree(entry["goals"], patient.practice)
    plan = PlanFactory(patient=patient, start_date=START, presenting_problems=[], templates=[template])

    nodes = list(walk(entry["goals"]))
    goals = list(TreatmentGoal.objects.filter(plan=plan))
    assert len(goals) == len(nodes)
    offsets = sorted(node["target_offset_weeks"] for _, _, node, _ in nodes if node.get("target_offset_weeks"))
    dates = sorted(goal.target_date for goal in goals if goal.target_date is not None)
    assert dates == [START + datetime.timedelta(weeks=weeks) for weeks in offsets]
    for goal in goals:
        goal.full_clean(validate_constraints=True)
    objectives = [goal for goal in goals if goal.goal_type == "objective"]
    assert objectives and all(smart_missing(goal) for goal in objectives if "[[" in goal.baseline_value)
    assert plan.presenting_problems == clean_problems(entry["presenting_problems"])[:20]
