"""Placeholders a template leaves for the therapist to fill: `[[hint]]`, e.g. "[[worry episodes per day]]".

A goal started from a template keeps them until the therapist writes the patient's own value; the plan page
highlights them and the SMART check counts a part whose field still holds one as missing
(`treatment.services.goals.smart_coverage`), so nothing with a placeholder is SMART-complete.
"""

from __future__ import annotations

import re
from typing import Any

#: `[[` a hint of 1-96 characters without brackets `]]` (a whole placeholder fits a 100-character value).
PLACEHOLDER = re.compile(r"\[\[([^\[\]\n]{1,96})\]\]")
#: The goal's text fields a template may leave a placeholder in, in the order the plan page shows them.
PLACEHOLDER_FIELDS = ("description", "measurable_criteria", "baseline_value", "target_value")


def has_placeholder(text: object) -> bool:
    return isinstance(text, str) and PLACEHOLDER.search(text) is not None


def placeholders_in(text: str) -> list[str]:
    """The hints of the placeholders in `text`, in order: "from [[a]] to [[b]]" -> ["a", "b"]."""
    return PLACEHOLDER.findall(text or "")


def smart_placeholders(smart: dict[str, Any] | None) -> list[str]:
    """The SMART parts whose answers still hold a placeholder."""
    return [
        part
        for part, answers in (smart or {}).items()
        if isinstance(answers, dict) and any(has_placeholder(answer) for answer in answers.values())
    ]


def goal_placeholders(goal: Any) -> list[str]:
    """The names of the goal's fields still holding a placeholder (a plan's goal or a template's), "smart" last
    when one of its answers does."""
    names = [name for name in PLACEHOLDER_FIELDS if has_placeholder(getattr(goal, name, ""))]
    if smart_placeholders(getattr(goal, "smart", None)):
        names.append("smart")
    return names
