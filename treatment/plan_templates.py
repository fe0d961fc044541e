"""The built-in plan-template library: `fixtures/plan_templates/<key>.json`, loaded as system templates.

One file per template (the format: `fixtures/plan_templates/README.md`): key, name, summary, diagnosis_codes,
presenting_problems, sources and `goals`, a tree whose depth gives each goal's type (long-term goals, their
short-term goals, their objectives). Loading upserts by key, so a later data migration can reload an edited
library; practice templates are never touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

TEMPLATES_DIR = Path(settings.BASE_DIR) / "fixtures" / "plan_templates"
#: A template's own fields in a file (besides `goals`).
TEMPLATE_FIELDS = ("name", "summary", "diagnosis_codes", "presenting_problems", "sources")
#: A goal's fields in a file (besides `sub_goals` and `interventions`); a missing one takes the model's default.
GOAL_FIELDS = (
    "description",
    "measurable_criteria",
    "baseline_value",
    "target_value",
    "priority",
    "target_offset_weeks",
    "smart",
    "measure_instrument",
    "measure_target_score",
)
#: The goal type at each depth of the tree.
GOAL_TYPES = ("long_term", "short_term", "objective")


def template_entries(path: Path = TEMPLATES_DIR) -> list[dict[str, Any]]:
    """Every template file in `path` (a directory; none there, or no directory: an empty list), by file name."""
    if not path.is_dir():
        return []
    entries = []
    for file in sorted(path.glob("*.json")):
        with file.open(encoding="utf-8") as handle:
            entries.append(json.load(handle))
    return entries


def walk(goals: list[dict[str, Any]], depth: int = 0) -> Iterator[tuple[int, int, dict[str, Any], list[int]]]:
    """(depth, position, goal, path of positions) for every goal of a file's tree, parents before children."""
    for position, goal in enumerate(goals):
        yield depth, position, goal, [position]
        for sub_depth, sub_position, sub_goal, sub_path in walk(goal.get("sub_goals") or [], depth + 1):
            yield sub_depth, sub_position, sub_goal, [position, *sub_path]


def goal_fields(goal: dict[str, Any]) -> dict[str, Any]:
    """A file goal's model fields: blanks where the file leaves text out, None where it leaves a number out."""
    fields = {name: goal[name] for name in GOAL_FIELDS if name in goal and goal[name] is not None}
    for name in ("measurable_criteria", "baseline_value", "target_value", "measure_instrument"):
        fields.setdefault(name, "")
    fields.setdefault("smart", {})
    return fields


def build_tree(template, goals: list[dict[str, Any]], goal_model, link_model) -> int:
    """Write a file's goal tree under `template` (whose tree is empty); returns how many goals it wrote.

    Takes the models as arguments so a data migration can pass its historical ones.
    """
    parents: list[Any] = []
    written = 0
    for depth, position, goal, _path in walk(goals):
        del parents[depth:]
        row = goal_model.objects.create(
            template=template,
            parent=parents[-1] if parents else None,
            goal_type=GOAL_TYPES[depth] if depth < len(GOAL_TYPES) else "objective",
            position=position,
            **goal_fields(goal),
        )
        link_model.objects.bulk_create(
            link_model(
                template_goal=row,
                intervention_id=item["intervention_id"],
                frequency=item.get("frequency") or "",
                position=index,
            )
            for index, item in enumerate(goal.get("interventions") or [])
        )
        parents.append(row)
        written += 1
    return written


def load_system_templates(template_model, goal_model, link_model, path: Path = TEMPLATES_DIR) -> tuple[int, int]:
    """Create or refresh every system template of `path` by its key; returns (created, updated).

    A refreshed template keeps its id (plans do not point at templates, but pages and clients may) and gets its
    tree rewritten from the file.
    """
    created = updated = 0
    for entry in template_entries(path):
        defaults = {name: entry.get(name, "" if name in ("name", "summary") else []) for name in TEMPLATE_FIELDS}
        template, was_created = template_model.objects.update_or_create(
            key=entry["key"], practice=None, defaults=defaults
        )
        if not was_created:
            goal_model.objects.filter(template=template).delete()
        build_tree(template, entry.get("goals") or [], goal_model, link_model)
        created += was_created
        updated += not was_created
    return created, updated
