"""A practice template's fields and goal tree, checked before they are written (`treatment.services.templates`).

The tree is the fixture format (`treatment.plan_templates`): a list of long-term goals, each with `sub_goals`
(short-term goals) and theirs (objectives), each with `interventions` [{"intervention_id", "frequency"}]. Every
refusal names the field at fault by its path, e.g. `goals[0].sub_goals[1].target_value`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import Practice
from accounts.validators import nul_paths
from interventions.models import Intervention
from treatment import diagnoses
from treatment.instruments import INSTRUMENTS
from treatment.models import TemplateGoal
from treatment.plan_templates import GOAL_FIELDS, GOAL_TYPES, goal_fields

from .goals import clean_smart

MAX_GOALS = 200
MAX_SOURCES = 10
#: What a goal of the tree may hold besides its model fields.
TREE_KEYS = {*GOAL_FIELDS, "sub_goals", "interventions"}


def clean_codes(codes: Any) -> list[str]:
    """A template's ICD-10-CM codes: each a code or a category of the classification (a category fits every code
    below it), normalized, each once."""
    if codes in (None, ""):
        return []
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise ValidationError({"diagnosis_codes": "Send a list of ICD-10-CM codes."})
    wanted = list(dict.fromkeys(diagnoses.normalize(code) for code in codes if code.strip()))
    if len(wanted) > diagnoses.MAX_DIAGNOSES:
        raise ValidationError({"diagnosis_codes": f"List at most {diagnoses.MAX_DIAGNOSES} codes."})
    known = diagnoses.lookup_many(wanted)
    unknown = [code for code in wanted if code not in known]
    if unknown:
        raise ValidationError({"diagnosis_codes": [f"{code} is not an ICD-10-CM code." for code in unknown]})
    return wanted


def clean_sources(sources: Any) -> list[str]:
    if sources in (None, ""):
        return []
    if not isinstance(sources, list) or not all(isinstance(source, str) for source in sources):
        raise ValidationError({"sources": "Send a list of references."})
    cleaned = [" ".join(source.split()) for source in sources if source.strip()]
    if len(cleaned) > MAX_SOURCES or any(len(source) > 500 for source in cleaned):
        raise ValidationError({"sources": f"List at most {MAX_SOURCES} references of up to 500 characters."})
    return cleaned


def _check_measure(goal: TemplateGoal, where: str) -> dict[str, str]:
    if not goal.measure_instrument:
        if goal.measure_target_score is not None:
            return {f"{where}.measure_instrument": "Name the instrument the target score is on."}
        return {}
    instrument = INSTRUMENTS.get(goal.measure_instrument)
    if instrument is None:
        return {f"{where}.measure_instrument": f"Unknown instrument; use one of {', '.join(INSTRUMENTS)}."}
    if goal.goal_type != "objective":
        return {f"{where}.measure_instrument": "Only an objective is driven by a measure."}
    score = goal.measure_target_score
    if score is None or not instrument.min_score <= score <= instrument.max_score:
        return {
            f"{where}.measure_target_score": f"Give the {instrument.short_name} score this objective aims for "
            f"({instrument.min_score}-{instrument.max_score})."
        }
    return {}


def _links(goal: dict[str, Any], where: str, errors: dict[str, list[str]]) -> list[tuple[int, uuid.UUID, str]]:
    """(position, intervention id, frequency) of each well-formed link of a goal; the rest go to `errors`."""
    items = goal.get("interventions") or []
    if not isinstance(items, list):
        errors.setdefault(f"{where}.interventions", []).append("Send a list of {intervention_id, frequency}.")
        return []
    ids: list[uuid.UUID] = []
    links: list[tuple[int, uuid.UUID, str]] = []
    for index, item in enumerate(items):
        field = f"{where}.interventions[{index}]"
        if not isinstance(item, dict) or set(item) - {"intervention_id", "frequency"}:
            errors.setdefault(field, []).append("Send {intervention_id, frequency}.")
            continue
        try:
            pk = uuid.UUID(str(item.get("intervention_id")))
        except ValueError:
            errors.setdefault(f"{field}.intervention_id", []).append("Not an intervention id.")
            continue
        if pk in ids:
            errors.setdefault(f"{field}.intervention_id", []).append("This intervention is listed twice on the goal.")
        frequency = item.get("frequency") or ""
        if not isinstance(frequency, str) or len(frequency) > 50:
            errors.setdefault(f"{field}.frequency", []).append("Say how often in at most 50 characters.")
            continue
        ids.append(pk)
        links.append((index, pk, frequency.strip()))
    return links


def clean_tree(goals: Any, practice: Practice) -> list[dict[str, Any]]:
    """Check a tree for `practice` (hierarchy, fields, SMART answers, measures, interventions in its library);
    returns it with SMART answers cleaned, or raises one ValidationError naming every field at fault."""
    if not isinstance(goals, list) or not goals:
        raise ValidationError({"goals": "A template needs at least one long-term goal."})
    # PostgreSQL stores no NUL in text: refused first, at the path that holds it.
    nul = next(nul_paths(goals, "goals"), None)
    if nul is not None:
        raise ValidationError({nul: "Null characters are not allowed."})
    errors: dict[str, list[str]] = {}
    wanted: dict[uuid.UUID, list[str]] = {}
    count = 0

    def visit(items: Any, depth: int, prefix: str) -> list[dict[str, Any]]:
        nonlocal count
        if not isinstance(items, list):
            errors.setdefault(prefix, []).append("Send a list of goals.")
            return []
        if items and depth >= len(GOAL_TYPES):
            errors.setdefault(prefix, []).append("An objective has no sub-goals.")
            return []
        cleaned = []
        for position, goal in enumerate(items):
            where = f"{prefix}[{position}]"
            count += 1
            if not isinstance(goal, dict):
                errors.setdefault(where, []).append("Send a goal object.")
                continue
            unknown = set(goal) - TREE_KEYS
            if unknown:
                errors.setdefault(where, []).append(f"Unknown fields: {', '.join(sorted(unknown))}.")
                continue
            fields = goal_fields(goal)
            try:
                fields["smart"] = clean_smart(fields.get("smart"))
            except ValidationError as error:
                errors.setdefault(f"{where}.smart", []).extend(error.message_dict["smart"])
                fields["smart"] = {}
            description = fields.pop("description", "")
            if not isinstance(description, str):
                errors.setdefault(f"{where}.description", []).append("Write the goal as text.")
                continue
            row = TemplateGoal(goal_type=GOAL_TYPES[depth], description=description.strip(), **fields)
            try:
                row.full_clean(exclude=["template", "parent"], validate_constraints=False)
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    errors.setdefault(f"{where}.{name}", []).extend(messages)
            else:
                for name, message in _check_measure(row, where).items():
                    errors.setdefault(name, []).append(message)
            links = []
            for index, pk, frequency in _links(goal, where, errors):
                wanted.setdefault(pk, []).append(f"{where}.interventions[{index}].intervention_id")
                links.append({"intervention_id": str(pk), "frequency": frequency})
            cleaned.append(
                {
                    **{name: getattr(row, name) for name in GOAL_FIELDS},
                    "interventions": links,
                    "sub_goals": visit(goal.get("sub_goals") or [], depth + 1, f"{where}.sub_goals"),
                }
            )
        return cleaned

    tree = visit(goals, 0, "goals")
    if count > MAX_GOALS:
        errors.setdefault("goals", []).append(f"A template holds at most {MAX_GOALS} goals.")
    usable = set(
        Intervention.objects.filter(Q(is_system=True) | Q(practice=practice), pk__in=wanted)
        .active()
        .values_list("pk", flat=True)
    )
    for pk, fields in wanted.items():
        if pk not in usable:
            for name in fields:
                errors.setdefault(name, []).append("This intervention is not in your practice's library.")
    if errors:
        raise ValidationError(errors)
    return tree
