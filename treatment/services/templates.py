"""Plan templates: building a plan's tree from templates, and a practice's own templates (saving a plan as one:
`treatment.services.template_save`).

System templates (the built-in library, `treatment.plan_templates`) are read-only: every write here refuses them.
A practice template is any clinician's of the practice to make; only its author or a practice admin changes or
deletes it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts.audit import Action, AuditContext, audit_record, diff, snapshot
from accounts.models import Practice, User
from interventions.models import Intervention
from treatment.models import (
    PlanTemplate,
    TemplateGoal,
    TemplateGoalIntervention,
    TreatmentGoal,
    TreatmentPlan,
)
from treatment.plan_templates import build_tree
from treatment.template_selectors import TemplateNode, template_tree

from .common import lock_plan, require_change, require_open
from .goals import goal_add
from .plans import MAX_PROBLEMS, clean_problems, plan_update
from .template_adjustments import TemplateAdjustments, check_adjustments, text_field, walk
from .template_tree import clean_codes, clean_sources, clean_tree

#: What a client writes of a practice template (besides its `goals`); the audit diff uses the same list.
TEMPLATE_FIELDS = ("name", "summary", "diagnosis_codes", "presenting_problems", "sources")
SYSTEM_READ_ONLY = "The built-in template library cannot be changed; save a copy as your practice's own instead."


def check_template_usable(template: PlanTemplate, practice_id: Any, field: str = "template_ids") -> None:
    """A plan of `practice_id` starts only from the system library or its own practice's templates."""
    if not (template.is_system or template.practice_id == practice_id):
        raise ValidationError({field: f"{template.name} is not in your practice's template library."})


def check_template_edit(user: User | None, template: PlanTemplate) -> None:
    """System templates are nobody's to edit; a practice's is its author's and its practice admin's (else 403)."""
    if template.is_system:
        raise PermissionDenied(SYSTEM_READ_ONLY)
    if user is None or user.is_superuser:
        return
    if user.practice_id != template.practice_id:
        raise PermissionDenied("This template belongs to another practice.")
    if not user.acts_for_practice(template.practice_id) and template.created_by_id != user.pk:
        raise PermissionDenied("Only its author or a practice admin can change a practice template.")


@dataclass
class _Build:
    """One build of templates' trees into a plan: what every goal it writes shares, and the goals written so far."""

    by: AuditContext
    plan: TreatmentPlan
    start: datetime.date
    interventions: dict[str, Intervention]
    reason: str
    adjustments: TemplateAdjustments
    built: list[TreatmentGoal] = field(default_factory=list)


def _apply_node(build: _Build, template: PlanTemplate, node: TemplateNode, parent: TreatmentGoal | None) -> None:
    if build.adjustments.leaves_out(node):
        return  # and its sub-goals with it
    description = build.adjustments.text_of(node)
    try:
        goal = _add(build, node, description, parent)
    except ValidationError as error:
        raise _refusal(template, node, error, retyped=description != node.description) from error
    build.built.append(goal)
    for child in node.children:
        _apply_node(build, template, child, goal)


def _add(build: _Build, node: TemplateNode, description: str, parent: TreatmentGoal | None) -> TreatmentGoal:
    offset = node.target_offset_weeks
    return goal_add(
        by=build.by,
        plan=build.plan,
        goal_type=node.goal_type,
        description=description,
        parent_goal=parent,
        interventions=[
            {"intervention": build.interventions[item.intervention_id], "frequency": item.frequency}
            for item in node.interventions
        ],
        amendment_reason=build.reason,
        measurable_criteria=node.measurable_criteria,
        baseline_value=node.baseline_value,
        target_value=node.target_value,
        priority=node.priority,
        target_date=build.start + datetime.timedelta(weeks=offset) if offset else None,
        smart=node.smart,
        measure_instrument=node.measure_instrument,
        measure_target_score=node.measure_target_score,
    )


def _refusal(template: PlanTemplate, node: TemplateNode, error: ValidationError, *, retyped: bool) -> ValidationError:
    """A goal of the template refused by the goal checks, named by the template and the goal; a refusal of a
    description the therapist typed is theirs to correct, so it goes under that goal's field, not the template's."""
    where = f"{template.name}, goal \u201c{node.description[:60]}\u201d"
    own = error.message_dict
    if retyped and "description" in own:
        return ValidationError({text_field(node.id): [f"{where}: {' '.join(own['description'])}"]})
    messages = [f"{name}: {' '.join(texts)}" for name, texts in own.items()]
    return ValidationError({"template_ids": [f"{where}: {'; '.join(messages)}"]})


@transaction.atomic
def plan_template_apply(
    *,
    by: AuditContext,
    plan: TreatmentPlan,
    templates: Sequence[PlanTemplate],
    adjustments: TemplateAdjustments | None = None,
    start_date: datetime.date | None = None,
    amendment_reason: str = "",
) -> list[TreatmentGoal]:
    """Build each template's tree into the plan, its long-term goals after the plan's own (several templates:
    separate long-term goals, for comorbid problems); returns the goals made, parents before their sub-goals.

    Every goal and link goes through `goal_add`, so a template is held to what a goal written by hand is (a
    retired intervention, a bad measure target refuse the whole build: nothing is written). Target dates are
    `start_date` (default: the plan's start) plus each goal's offset. The templates' presenting problems are
    merged into the plan's: the plan's own first, then each template's not already there (case aside), up to
    the plan's limit of 20.

    `adjustments` are what the therapist changed of the trees first (`TemplateAdjustments`): goals left out, each
    with its sub-goals, and descriptions retyped; an id that is no goal of these templates, a blank description or
    a template with every goal left out refuses the build (`check_adjustments`), naming the field.
    """
    plan = lock_plan(plan.pk)
    require_change(by, plan.patient)
    require_open(plan)
    by = by.confirming(plan.patient)  # asked once here, not again by each goal written
    if len({template.pk for template in templates}) != len(templates):
        raise ValidationError({"template_ids": "Choose each template once."})
    for template in templates:
        check_template_usable(template, plan.patient.practice_id)
    start = start_date or plan.start_date
    trees = [(template, template_tree(template)) for template in templates]
    adjustments = adjustments or TemplateAdjustments()
    check_adjustments(trees, adjustments)
    ids = {item.intervention_id for _, tree in trees for node in walk(tree) for item in node.interventions}
    interventions = {str(pk): row for pk, row in Intervention.objects.in_bulk(list(ids)).items()}
    build = _Build(by, plan, start, interventions, amendment_reason, adjustments)
    for template, tree in trees:
        for root in tree:
            _apply_node(build, template, root, None)
    problems = list(plan.presenting_problems)
    seen = {problem.lower() for problem in problems}
    for template in templates:
        for problem in clean_problems(template.presenting_problems):
            if problem.lower() not in seen and len(problems) < MAX_PROBLEMS:
                problems.append(problem)
                seen.add(problem.lower())
    if problems != plan.presenting_problems:
        plan_update(by=by, plan=plan, presenting_problems=problems, amendment_reason=amendment_reason)
    return build.built


# --- practice templates ------------------------------------------------------------------------------


def _unique_key(practice: Practice, name: str, exclude: PlanTemplate | None = None) -> str:
    base = slugify(name)[:90] or "template"
    taken = set(PlanTemplate.objects.filter(practice=practice, key__startswith=base).values_list("key", flat=True))
    if exclude is not None:
        taken.discard(exclude.key)
    key, suffix = base, 2
    while key in taken:
        key, suffix = f"{base}-{suffix}", suffix + 1
    return key


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The template's own fields, checked together: every refusal at once, under the field it names."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    checks = {
        "name": lambda value: " ".join((value or "").split()),
        "summary": lambda value: (value or "").strip(),
        "diagnosis_codes": clean_codes,
        "presenting_problems": clean_problems,
        "sources": clean_sources,
    }
    for name, value in fields.items():
        try:
            cleaned[name] = checks[name](value)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if "name" in cleaned and not cleaned["name"]:
        errors.setdefault("name", []).append("Give the template a name.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _checked(
    fields: dict[str, Any], goals: list[dict[str, Any]] | None, practice: Practice
) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """The fields and the tree (None: left as it is) checked together: every refusal at once."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    tree = None
    try:
        cleaned = _clean_fields(fields)
    except ValidationError as error:
        errors.update(error.message_dict)
    if goals is not None:
        try:
            tree = clean_tree(goals, practice)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned, tree


def _write(template: PlanTemplate, goals: list[dict[str, Any]] | None) -> None:
    template.full_clean(exclude=["practice", "created_by"], validate_constraints=False)
    template.save()
    if goals is not None:
        TemplateGoal.objects.filter(template=template).delete()
        build_tree(template, goals, TemplateGoal, TemplateGoalIntervention)


@transaction.atomic
def plan_template_create(
    *,
    by: AuditContext,
    practice: Practice,
    name: str,
    goals: list[dict[str, Any]],
    summary: str = "",
    diagnosis_codes: list[str] | None = None,
    presenting_problems: list[str] | None = None,
    sources: list[str] | None = None,
) -> PlanTemplate:
    """Add a template to a practice's library: any of its clinicians or its admin may (403 otherwise)."""
    user = by.user
    if user is not None and not user.is_superuser and user.practice_id != practice.pk:
        raise PermissionDenied("Only a member of the practice can add to its template library.")
    fields = {
        "name": name,
        "summary": summary,
        "diagnosis_codes": diagnosis_codes,
        "presenting_problems": presenting_problems,
        "sources": sources,
    }
    cleaned, tree = _checked(fields, goals or [], practice)  # an empty tree is refused, naming `goals`
    template = PlanTemplate(practice=practice, key=_unique_key(practice, cleaned["name"]), created_by=user, **cleaned)
    _write(template, tree)
    changes = {**diff({}, snapshot(template, TEMPLATE_FIELDS)), "goals": len(tree or [])}
    audit_record(by, Action.CREATE, template, changes=changes)
    return template


@transaction.atomic
def plan_template_update(*, by: AuditContext, template: PlanTemplate, **fields: Any) -> PlanTemplate:
    """Change a practice template's fields, or replace its tree (`goals`); the system library refuses (403)."""
    template = PlanTemplate.objects.select_for_update().get(pk=template.pk)
    check_template_edit(by.user, template)
    unknown = set(fields) - {*TEMPLATE_FIELDS, "goals"}
    if unknown:
        raise ValueError(f"Not template fields: {sorted(unknown)}")
    practice = template.practice
    if practice is None:  # a system entry: `check_template_edit` refused it already
        raise PermissionDenied(SYSTEM_READ_ONLY)
    goals = fields.pop("goals", None)
    cleaned, tree = _checked(fields, goals, practice)
    before = snapshot(template, TEMPLATE_FIELDS)
    for name, value in cleaned.items():
        setattr(template, name, value)
    if "name" in cleaned and cleaned["name"] != before["name"]:
        template.key = _unique_key(practice, cleaned["name"], exclude=template)
    _write(template, tree)
    changes: dict[str, Any] = diff(before, snapshot(template, TEMPLATE_FIELDS))
    if tree is not None:
        changes["goals"] = len(tree)
    audit_record(by, Action.UPDATE, template, changes=changes)
    return template


@transaction.atomic
def plan_template_delete(*, by: AuditContext, template: PlanTemplate) -> None:
    """Remove a practice template (plans made from it keep their goals); the system library refuses (403)."""
    template = PlanTemplate.objects.select_for_update().get(pk=template.pk)
    check_template_edit(by.user, template)
    audit_record(by, Action.DELETE, template, changes={"name": [template.name, None]})
    template.delete()
