"""Adding and changing goals, their interventions, and their progress entries."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import Action, AuditContext, audit_record, diff, snapshot
from accounts.concurrency import check_if_match
from interventions.models import Intervention
from treatment.instruments import INSTRUMENTS
from treatment.models import GoalIntervention, GoalProgress, GoalStatus, GoalType, TreatmentGoal, TreatmentPlan
from treatment.models.goal import PARENT_TYPE, SMART_TEMPLATE
from treatment.placeholders import has_placeholder, smart_placeholders
from treatment.progress import rating_to_percentage

from .amendments import (
    amended_fields,
    amendment_reason_clean,
    filled_fields,
    goal_change,
    link_change,
    plan_amend_if_signed,
)
from .common import check_intervention, lock_plan, require_change, require_open, require_signed_for_progress
from .measures import objective_refresh
from .plans import plan_recalculate

#: What a client writes of an objective's measure (the API nests them as `measure`).
MEASURE_FIELDS = ("measure_instrument", "measure_baseline_score", "measure_target_score")
#: What a client writes on a goal (the API, the forms and the audit diff use this list).
GOAL_FIELDS = (
    "goal_type",
    "parent_goal",
    "description",
    "measurable_criteria",
    "baseline_value",
    "target_value",
    "current_value",
    "target_date",
    "status",
    "progress_percentage",
    "priority",
    "smart",
    *MEASURE_FIELDS,
)
#: The same fields as a client names them (the parent by its id): the API's goal and a version's snapshot.
GOAL_FIELD_NAMES = tuple("parent_goal_id" if name == "parent_goal" else name for name in GOAL_FIELDS)
GOAL_INTERVENTION_FIELDS = ("frequency", "notes", "effectiveness_rating")


def clean_smart(answers) -> dict:
    """Keep the SMART template's parts and questions only, as trimmed strings."""
    if answers in (None, ""):
        return {}
    if not isinstance(answers, dict):
        raise ValidationError({"smart": "Send an object of SMART parts, each an object of answers."})
    cleaned: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    for part, questions in answers.items():
        if part not in SMART_TEMPLATE:
            errors.append(f"Unknown SMART part {part!r}; use {', '.join(SMART_TEMPLATE)}.")
            continue
        if not isinstance(questions, dict):
            errors.append(f"{part}: send an object of answers.")
            continue
        for question, answer in questions.items():
            if question not in SMART_TEMPLATE[part]:
                errors.append(f"Unknown question {part}.{question}; use {', '.join(SMART_TEMPLATE[part])}.")
            elif answer not in (None, "") and not isinstance(answer, str):
                errors.append(f"{part}.{question}: the answer must be text.")
            elif answer and answer.strip():
                cleaned.setdefault(part, {})[question] = answer.strip()[:2000]
    if errors:
        raise ValidationError({"smart": errors})
    return cleaned


def smart_coverage(goal: TreatmentGoal) -> dict[str, str]:
    """What answers each SMART part the goal answers: the goal field that carries it, or the template.

    A part the goal leaves empty is not a key. The hint names the source, so "answered" beside empty
    template boxes says where the answer is (the description is the Specific part, for instance).
    A field still holding a template's `[[placeholder]]` answers nothing, and its part is missing whatever the
    SMART template says; so is a part whose SMART answers hold one: nothing with a placeholder is complete.
    """
    smart = goal.smart or {}
    description, criteria = goal.description.strip(), goal.measurable_criteria.strip()
    target = goal.target_value.strip()
    unfilled = set(smart_placeholders(smart))
    if has_placeholder(description):
        unfilled.add("specific")
    if any(has_placeholder(value) for value in (criteria, target, goal.baseline_value)):
        unfilled.add("measurable")
    fields = {
        "specific": "the description" if description else "",
        "measurable": ("the measurable criteria" if criteria else "the target value" if target else ""),
        "achievable": "",
        "relevant": "",
        "time_bound": "the target date" if goal.target_date is not None else "",
    }
    coverage: dict[str, str] = {}
    for part in SMART_TEMPLATE:
        if part in unfilled:
            continue
        if fields[part]:
            coverage[part] = fields[part]
        elif any(answer.strip() for answer in smart.get(part, {}).values() if isinstance(answer, str)):
            coverage[part] = "the SMART template"
    return coverage


def smart_missing(goal: TreatmentGoal) -> list[str]:
    """Which of the five SMART parts the goal leaves empty (the form's completeness hint)."""
    covered = smart_coverage(goal)
    return [part for part in SMART_TEMPLATE if part not in covered]


def _check_parent(plan: TreatmentPlan, goal_type: str, parent: TreatmentGoal | None, goal=None) -> None:
    if goal_type not in GoalType.values:
        raise ValidationError({"goal_type": f"Choose one of: {', '.join(GoalType.values)}."})
    wanted = PARENT_TYPE[GoalType(goal_type)]
    if wanted is None:
        if parent is not None:
            raise ValidationError({"parent_goal_id": "A long-term goal has no parent goal."})
        return
    label = {GoalType.LONG_TERM: "a long-term goal", GoalType.SHORT_TERM: "a short-term goal"}[wanted]
    if parent is None:
        raise ValidationError({"parent_goal_id": f"A {goal_type.replace('_', '-')} goal needs {label} as parent."})
    if parent.plan_id != plan.pk:
        raise ValidationError({"parent_goal_id": "The parent goal belongs to another plan."})
    if parent.goal_type != wanted:
        raise ValidationError({"parent_goal_id": f"The parent of a {goal_type.replace('_', '-')} must be {label}."})
    if goal is not None and parent.pk == goal.pk:
        raise ValidationError({"parent_goal_id": "A goal cannot be its own parent."})


def _check_measure(goal: TreatmentGoal) -> None:
    """An objective may be driven by a registered instrument, with a target (and optionally a baseline) in its
    score range; no other goal is. Errors name the API's nested field (`measure.target_score`)."""
    if not goal.measure_instrument:
        if goal.measure_baseline_score is not None or goal.measure_target_score is not None:
            raise ValidationError({"measure.instrument": "Name the instrument whose scores drive this objective."})
        return
    instrument = INSTRUMENTS.get(goal.measure_instrument)
    if instrument is None:
        raise ValidationError({"measure.instrument": f"Unknown instrument; use one of {', '.join(INSTRUMENTS)}."})
    if goal.goal_type != GoalType.OBJECTIVE:
        raise ValidationError({"measure": "Only an objective is driven by a measure."})
    errors = {}
    if goal.measure_target_score is None:
        errors["measure.target_score"] = f"Give the {instrument.short_name} score this objective aims for."
    for name in ("baseline_score", "target_score"):
        value = getattr(goal, f"measure_{name}")
        if value is not None and not instrument.min_score <= value <= instrument.max_score:
            errors[f"measure.{name}"] = (
                f"A {instrument.short_name} score is between {instrument.min_score} and {instrument.max_score}."
            )
    if errors:
        raise ValidationError(errors)


def _rolled_up(goal: TreatmentGoal, plan: TreatmentPlan) -> None:
    """Store the plan's rollup and give `goal` its stored figure and status, and the plan as it now stands
    (the caller's answer: the page redraws the tree from it without reading the plan again)."""
    stored = plan_recalculate(plan)[goal.pk]
    goal.progress_percentage, goal.status = stored.progress_percentage, stored.status
    goal.plan = plan


def _link(by, goal: TreatmentGoal, plan: TreatmentPlan, intervention: Intervention, field: str, **fields):
    check_intervention(intervention, plan.patient, field)
    if GoalIntervention.objects.filter(goal=goal, intervention=intervention).exists():
        raise ValidationError({field: f"{intervention.name} is already linked to this goal."})
    link = GoalIntervention(goal=goal, intervention=intervention, **fields)
    link.full_clean(exclude=["goal", "intervention"], validate_constraints=False)
    link.save()
    audit_record(
        by, Action.CREATE, link, patient=plan.patient, changes=diff({}, snapshot(link, ("intervention", *fields)))
    )
    return link


def _link_created(link: GoalIntervention) -> dict:
    """The amendment's entry for a new link: the intervention and what was said of its use."""
    return link_change(
        link, "created", filled_fields("goal_intervention", snapshot(link, ("intervention", *GOAL_INTERVENTION_FIELDS)))
    )


@transaction.atomic
def goal_add(
    *,
    by: AuditContext,
    plan: TreatmentPlan,
    goal_type: str,
    description: str,
    parent_goal: TreatmentGoal | None = None,
    interventions: list[dict] | None = None,
    amendment_reason: str = "",
    **fields,
) -> TreatmentGoal:
    """Add a goal to a plan's tree, with the interventions that serve it.

    `interventions` is a list of {"intervention": Intervention, "frequency", "notes"}. Adding to a signed plan
    takes an `amendment_reason`; the goal and its links are one amendment.
    """
    plan = lock_plan(plan.pk)
    require_change(by, plan.patient)
    require_open(plan)
    reason = amendment_reason_clean(plan, amendment_reason)
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise ValueError(f"Not goal fields: {sorted(unknown)}")
    _check_parent(plan, goal_type, parent_goal)
    fields["smart"] = clean_smart(fields.get("smart"))
    goal = TreatmentGoal(
        plan=plan,
        goal_type=goal_type,
        parent_goal=parent_goal,
        description=(description or "").strip(),
        created_by=by.user,
        **fields,
    )
    _check_measure(goal)
    objective_refresh(goal, plan)
    if goal.status == GoalStatus.ACHIEVED:
        goal.progress_percentage = 100
    goal.full_clean(exclude=["plan", "parent_goal"], validate_constraints=False)
    goal.save()
    created = snapshot(goal, GOAL_FIELDS)
    audit_record(by, Action.CREATE, goal, patient=plan.patient, changes=diff({}, created))
    changes = [goal_change(goal, "created", filled_fields("goal", created))]
    for position, item in enumerate(interventions or []):
        item = dict(item)
        link = _link(by, goal, plan, item.pop("intervention"), f"interventions[{position}].intervention_id", **item)
        changes.append(_link_created(link))
    plan_amend_if_signed(by=by, plan=plan, reason=reason, changes=changes)
    _rolled_up(goal, plan)
    return goal


@transaction.atomic
def goal_update(
    *, by: AuditContext, goal: TreatmentGoal, if_match: str | None = None, amendment_reason: str = "", **fields
) -> TreatmentGoal:
    """Change a goal; moving it keeps the hierarchy rules; discontinuing it takes it out of the rollup.

    Changing a signed plan's goal takes an `amendment_reason` (not so a change of its progress alone).
    """
    plan = lock_plan(goal.plan_id)
    goal, change, reason = goal_write(by=by, plan=plan, goal=goal, if_match=if_match, reason=amendment_reason, **fields)
    plan_amend_if_signed(by=by, plan=plan, reason=reason, changes=[change])
    return goal


def goal_write(
    *, by: AuditContext, plan: TreatmentPlan, goal: TreatmentGoal, if_match: str | None, reason: str, **fields
) -> tuple[TreatmentGoal, dict, str]:
    """`goal_update`'s write under the plan lock the caller holds: the goal saved, audited and rolled up, with
    the amendment entry it makes and the reason checked, for the caller to record as one amendment."""
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise ValueError(f"Not goal fields: {sorted(unknown)}")
    goal = TreatmentGoal.objects.select_for_update().get(pk=goal.pk)
    require_change(by, plan.patient)
    check_if_match(goal.etag, if_match)
    require_open(plan)
    before = snapshot(goal, GOAL_FIELDS)
    goal_type = fields.pop("goal_type", goal.goal_type)
    if goal_type != goal.goal_type:
        raise ValidationError({"goal_type": "A goal's type is fixed; add a new goal of the other type instead."})
    if "parent_goal" in fields:
        _check_parent(plan, goal.goal_type, fields["parent_goal"], goal)
    if "smart" in fields:
        fields["smart"] = clean_smart(fields["smart"])
    if "description" in fields:
        fields["description"] = (fields["description"] or "").strip()
    rated = "progress_percentage" in fields and fields["progress_percentage"] != goal.progress_percentage
    if rated and goal.sub_goals.exists():
        raise ValidationError({"progress_percentage": "This goal's progress is calculated from its sub-goals."})
    was_achieved = goal.status == GoalStatus.ACHIEVED
    was_measured = (goal.measure_instrument, goal.measure_baseline_score, goal.measure_target_score)
    for name, value in fields.items():
        setattr(goal, name, value)
    _check_measure(goal)
    measured = (goal.measure_instrument, goal.measure_baseline_score, goal.measure_target_score)
    if rated and goal.measure is not None:
        raise ValidationError(
            {"progress_percentage": f"This objective's progress comes from its {goal.measure.short_name} scores."}
        )
    if measured != was_measured or (was_achieved and goal.status != GoalStatus.ACHIEVED):
        # A new measure, or a reopened measured objective: its figures are its scores' again.
        objective_refresh(goal, plan)
    if goal.status == GoalStatus.ACHIEVED:
        goal.progress_percentage = 100
    elif goal.measure is not None:
        pass  # its progress is its scores' (set just above, or unchanged)
    elif was_achieved and "progress_percentage" not in fields and not goal.sub_goals.exists():
        # Reopened: back to what its last rated entry said.
        latest = goal.progress_entries.exclude(rating=None).order_by("-recorded_at").first()
        goal.progress_percentage = rating_to_percentage(latest.rating) if latest and latest.rating is not None else 0
    goal.full_clean(exclude=["plan", "parent_goal"], validate_constraints=False)
    after = snapshot(goal, GOAL_FIELDS)
    amending = amended_fields("goal", before, after)
    reason = amendment_reason_clean(plan, reason, changing=bool(amending))
    goal.save()
    changes = diff(before, after)
    if changes:
        audit_record(by, Action.UPDATE, goal, patient=plan.patient, changes=changes)
    _rolled_up(goal, plan)
    return goal, goal_change(goal, "updated", amending), reason


@transaction.atomic
def goal_intervention_add(
    *, by: AuditContext, goal: TreatmentGoal, intervention: Intervention, amendment_reason: str = "", **fields
) -> GoalIntervention:
    """Link an intervention to a goal, with its frequency and notes (on a signed plan, with the reason why)."""
    plan = lock_plan(goal.plan_id)
    require_change(by, plan.patient)
    require_open(plan)
    unknown = set(fields) - set(GOAL_INTERVENTION_FIELDS)
    if unknown:
        raise ValueError(f"Not goal-intervention fields: {sorted(unknown)}")
    reason = amendment_reason_clean(plan, amendment_reason)
    link = _link(by, goal, plan, intervention, "intervention_id", **fields)
    plan_amend_if_signed(by=by, plan=plan, reason=reason, changes=[_link_created(link)])
    return link


@transaction.atomic
def goal_intervention_update(
    *, by: AuditContext, link: GoalIntervention, amendment_reason: str = "", **fields
) -> GoalIntervention:
    """Change how often an intervention is used for a goal, its notes, or its effectiveness (1-5).

    On a signed plan a change of frequency or notes takes an `amendment_reason`; a rating of effectiveness is an
    observation, not an amendment.
    """
    unknown = set(fields) - set(GOAL_INTERVENTION_FIELDS)
    if unknown:
        raise ValueError(f"Not goal-intervention fields: {sorted(unknown)}")
    plan = lock_plan(link.goal.plan_id)
    link = GoalIntervention.objects.select_for_update().get(pk=link.pk)
    require_change(by, plan.patient)
    require_open(plan)
    before = snapshot(link, GOAL_INTERVENTION_FIELDS)
    for name, value in fields.items():
        setattr(link, name, value)
    link.full_clean(exclude=["goal", "intervention"], validate_constraints=False)
    after = snapshot(link, GOAL_INTERVENTION_FIELDS)
    amending = amended_fields("goal_intervention", before, after)
    reason = amendment_reason_clean(plan, amendment_reason, changing=bool(amending))
    link.save()
    changes = diff(before, after)
    if changes:
        audit_record(by, Action.UPDATE, link, patient=plan.patient, changes=changes)
    plan_amend_if_signed(by=by, plan=plan, reason=reason, changes=[link_change(link, "updated", amending)])
    return link


def _progress_entry(
    *,
    by: AuditContext,
    goal: TreatmentGoal,
    plan: TreatmentPlan,
    progress_note: str,
    progress_value: str = "",
    rating: int | None = None,
    session=None,
    recorded_at: datetime.datetime | None = None,
) -> GoalProgress:
    note = (progress_note or "").strip()
    if not note:
        raise ValidationError({"progress_note": "Write what was observed."})
    if goal.status == GoalStatus.DISCONTINUED:
        raise ValidationError({"goal_id": "This goal is discontinued; reopen it before recording progress."})
    if session is not None and session.patient_id != plan.patient_id:
        raise ValidationError({"session_id": "This session is another patient's."})
    if recorded_at is not None and recorded_at > timezone.now():
        raise ValidationError({"recorded_at": "Progress cannot be recorded in the future."})
    entry = GoalProgress(
        goal=goal,
        session=session,
        progress_note=note,
        progress_value=(progress_value or "").strip(),
        rating=rating,
        # System work (an import, the demo) records in the name of the clinician who held the session.
        recorded_by=by.user or (session.therapist if session is not None else plan.therapist),
        recorded_at=recorded_at or timezone.now(),
    )
    entry.full_clean(exclude=["goal", "session", "recorded_by"], validate_constraints=False)
    entry.save()
    audit_record(
        by,
        Action.CREATE,
        entry,
        patient=plan.patient,
        changes=diff({}, snapshot(entry, ("goal", "session", "progress_value", "rating"))),
    )
    # The leaf rule (a goal with sub-goals is overwritten by the rollup): the latest observation
    # speaks for the goal, so a backdated entry does not overrule a newer one.
    # An objective driven by a measure takes its progress and current value from its scores, not from here.
    newer = goal.progress_entries.filter(recorded_at__gt=entry.recorded_at)
    measured = goal.measure is not None
    if rating is not None and not measured and not newer.exclude(rating=None).exists():
        goal.progress_percentage = rating_to_percentage(rating)
    if entry.progress_value and not measured and not newer.exclude(progress_value="").exists():
        goal.current_value = entry.progress_value
    if goal.status == GoalStatus.NOT_STARTED:
        goal.status = GoalStatus.IN_PROGRESS
    if goal.status == GoalStatus.ACHIEVED:
        goal.progress_percentage = 100
    goal.save(update_fields=["progress_percentage", "current_value", "status", "updated_at"])
    return entry


@transaction.atomic
def progress_record(*, by: AuditContext, goal: TreatmentGoal, **entry) -> GoalProgress:
    """Record an observation of a goal: note, value and rating 1-10; the goal and plan roll up.

    `entry`: progress_note, progress_value, rating, session, recorded_at.
    """
    plan = lock_plan(goal.plan_id)
    goal = TreatmentGoal.objects.select_for_update().get(pk=goal.pk)
    require_change(by, plan.patient)
    require_open(plan)
    require_signed_for_progress(plan)
    progress = _progress_entry(by=by, goal=goal, plan=plan, **entry)
    plan_recalculate(plan)
    return progress
