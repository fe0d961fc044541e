"""Reading plan templates: which a user may see, which fit a diagnosis, and a template's tree as typed nodes."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from treatment import diagnoses
from treatment.models import PlanTemplate, TemplateGoal, TemplateGoalIntervention
from treatment.placeholders import goal_placeholders
from treatment.plan_templates import GOAL_FIELDS


@dataclass(frozen=True)
class TemplateMatch:
    """A template offered for a diagnosis: `fits` when one of its codes is the diagnosis or a category above it."""

    template: PlanTemplate
    fits: bool


@dataclass(frozen=True)
class TemplateInterventionItem:
    intervention_id: str
    name: str
    modality: str
    frequency: str


@dataclass
class TemplateNode:
    """A goal of a template's tree with its interventions and sub-goals (`children`), in order."""

    id: str
    goal_type: str
    description: str
    measurable_criteria: str
    baseline_value: str
    target_value: str
    priority: int
    target_offset_weeks: int | None
    smart: dict
    measure_instrument: str
    measure_target_score: int | None
    position: int
    #: The fields still holding a `[[placeholder]]` (`treatment.placeholders.goal_placeholders`).
    placeholders: list[str]
    interventions: list[TemplateInterventionItem] = field(default_factory=list)
    children: list[TemplateNode] = field(default_factory=list)


def templates_visible(user) -> QuerySet[PlanTemplate]:
    """The system templates and the user's practice's own (never another practice's), by name."""
    return PlanTemplate.objects.visible_to(user).order_by("name", "id")


def fits(template_codes: list[str], code: str) -> bool:
    """Whether a template with `template_codes` fits the diagnosis `code`: one equals it or is a category above
    it ("F43.1" fits "F43.10"; "F43" fits both)."""
    wanted = diagnoses.normalize(code)
    if not wanted:
        return False
    for own in template_codes:
        own = diagnoses.normalize(own)
        if wanted == own or (wanted.startswith(own) and len(wanted) > len(own)):
            return True
    return False


def _matches(template: PlanTemplate, words: list[str]) -> bool:
    text = " ".join([template.name, template.summary, *template.presenting_problems, *template.diagnosis_codes]).lower()
    return all(word in text for word in words)


def templates_for(user, *, diagnosis: str | None = None, search: str | None = None) -> list[TemplateMatch]:
    """The templates `user` may see, those fitting `diagnosis` first, then by name; `search` keeps those whose
    name, summary, presenting problems or codes hold every word of it.

    One query: the library is a few dozen rows, so the fit and the search are decided here, on every database
    alike (JSON lists are not searched the same way on SQLite and PostgreSQL).
    """
    words = (search or "").lower().split()
    matches = [
        TemplateMatch(template=template, fits=bool(diagnosis) and fits(template.diagnosis_codes, diagnosis or ""))
        for template in templates_visible(user)
        if not words or _matches(template, words)
    ]
    return sorted(matches, key=lambda match: (not match.fits, match.template.name.lower()))


def _node(goal: TemplateGoal) -> TemplateNode:
    return TemplateNode(
        id=str(goal.pk),
        goal_type=goal.goal_type,
        description=goal.description,
        measurable_criteria=goal.measurable_criteria,
        baseline_value=goal.baseline_value,
        target_value=goal.target_value,
        priority=goal.priority,
        target_offset_weeks=goal.target_offset_weeks,
        smart=goal.smart or {},
        measure_instrument=goal.measure_instrument,
        measure_target_score=goal.measure_target_score,
        position=goal.position,
        placeholders=goal_placeholders(goal),
        interventions=[
            TemplateInterventionItem(
                intervention_id=str(link.intervention_id),
                name=link.intervention.name,
                modality=link.intervention.modality,
                frequency=link.frequency,
            )
            for link in goal.interventions.all()
        ],
    )


def template_tree(template: PlanTemplate) -> list[TemplateNode]:
    """The template's long-term goals, each with its sub-goals nested, siblings by position: two queries (the
    goals, their interventions with names)."""
    goals = list(
        TemplateGoal.objects.filter(template=template)
        .order_by("position", "id")
        .prefetch_related(
            Prefetch(
                "interventions",
                queryset=TemplateGoalIntervention.objects.select_related("intervention").order_by("position", "id"),
            )
        )
    )
    nodes = {goal.pk: _node(goal) for goal in goals}
    roots: list[TemplateNode] = []
    for goal in goals:
        node = nodes[goal.pk]
        if goal.parent_id is None:
            roots.append(node)
        elif goal.parent_id in nodes:
            nodes[goal.parent_id].children.append(node)
    return roots


def tree_as_data(nodes: list[TemplateNode]) -> list[dict]:
    """A tree in the library's file format (`treatment.plan_templates`), as a practice template is written: what
    the admin's and the builder's editors start from, and what a copy sends."""
    return [
        {
            **{name: getattr(node, name) for name in GOAL_FIELDS},
            "interventions": [
                {"intervention_id": item.intervention_id, "frequency": item.frequency} for item in node.interventions
            ],
            "sub_goals": tree_as_data(node.children),
        }
        for node in nodes
    ]
