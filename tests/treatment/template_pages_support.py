"""Small plan templates for the page tests: a system one for worry (F41.1) and one for sleep (G47.00), each a
long-term goal with a short-term goal with objectives whose baseline and target are placeholders."""

from __future__ import annotations

from accounts.audit import AuditContext
from tests.factories import intervention
from treatment.models import PlanTemplate, TemplateGoal, TemplateGoalIntervention
from treatment.plan_templates import build_tree
from treatment.services.templates import plan_template_create

WORRY_GOAL = "Client will worry less and feel in control of daily life"
WORRY_STEP = "Client will notice worry early and use a coping skill"
WORRY_OBJECTIVES = (
    "Client will cut worry episodes from [[baseline]] to [[target]] a day",
    "Client will practise relaxation on [[days a week]] days",
    "Client will postpone worry to a set worry time",
)
SLEEP_GOAL = "Client will sleep well most nights"


def objective(description: str, n: int, **extra) -> dict:
    return {
        "description": description,
        "measurable_criteria": "Daily log reviewed each session",
        "baseline_value": f"[[baseline {n}]]",
        "target_value": f"[[target {n}]]",
        "priority": n,
        "target_offset_weeks": 8,
        "interventions": [],
        **extra,
    }


def worry_tree() -> list[dict]:
    relaxation = str(intervention("Progressive Muscle Relaxation").pk)
    return [
        {
            "description": WORRY_GOAL,
            "measurable_criteria": "GAD-7 below 10 twice in a row",
            "priority": 1,
            "target_offset_weeks": 26,
            "interventions": [{"intervention_id": str(intervention("Deep Breathing").pk), "frequency": "weekly"}],
            "sub_goals": [
                {
                    "description": WORRY_STEP,
                    "priority": 1,
                    "target_offset_weeks": 12,
                    "interventions": [{"intervention_id": relaxation, "frequency": "daily practice"}],
                    "sub_goals": [
                        objective(WORRY_OBJECTIVES[0], 1, measure_instrument="gad7", measure_target_score=9),
                        objective(WORRY_OBJECTIVES[1], 2),
                        objective(WORRY_OBJECTIVES[2], 3),
                    ],
                }
            ],
        }
    ]


def sleep_tree() -> list[dict]:
    hygiene = str(intervention("Sleep Hygiene").pk)
    return [
        {
            "description": SLEEP_GOAL,
            "priority": 1,
            "target_offset_weeks": 12,
            "interventions": [{"intervention_id": hygiene, "frequency": "weekly"}],
            "sub_goals": [
                {
                    "description": "Client will keep a fixed sleep window",
                    "priority": 1,
                    "target_offset_weeks": 6,
                    "interventions": [{"intervention_id": hygiene, "frequency": "weekly"}],
                    "sub_goals": [objective("Client will fall asleep within [[minutes]] minutes", 1)],
                }
            ],
        }
    ]


def system_template(key: str, name: str, codes: list[str], goals: list[dict], **fields) -> PlanTemplate:
    """A built-in template, written as the library's loader writes one."""
    template = PlanTemplate.objects.create(
        key=key,
        name=name,
        summary=fields.pop("summary", f"{name}: a test template."),
        diagnosis_codes=codes,
        presenting_problems=fields.pop("presenting_problems", [f"{name} most days"]),
        sources=["A test source"],
        **fields,
    )
    build_tree(template, goals, TemplateGoal, TemplateGoalIntervention)
    return template


def worry_template() -> PlanTemplate:
    return system_template("test-worry-pages", "Worry (test)", ["F41.1"], worry_tree())


def sleep_template() -> PlanTemplate:
    return system_template("test-sleep-pages", "Sleep (test)", ["G47.00"], sleep_tree())


def practice_template(author, name: str = "Our worry plan") -> PlanTemplate:
    """A practice template written by `author` through the service."""
    return plan_template_create(
        by=AuditContext.system("tests", user=author),
        practice=author.practice,
        name=name,
        summary="Our practice's way.",
        diagnosis_codes=["F41.1"],
        goals=worry_tree(),
    )


def create_body(**extra) -> dict:
    """The plan builder's body for a new plan (a patient's plan from templates: `template_ids` in `extra`)."""
    return {
        "title": "Worry and sleep",
        "start_date": "2026-09-01",
        "review_frequency_days": "90",
        "diagnosis_codes": ["F41.1"],
        **extra,
    }
