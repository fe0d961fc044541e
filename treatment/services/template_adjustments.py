"""What a therapist changes of the ticked templates' trees before the plan is built from them (issue 17: each goal
editable and removable before the plan is created as after): goals left out and goals' new descriptions.

`plan_template_apply` takes them (`plan_create` passes them on); the builder's page and the API parse them into a
`TemplateAdjustments` and the checks here decide, once, which are acceptable.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from accounts.validators import NUL_MESSAGE
from treatment.models import PlanTemplate
from treatment.template_selectors import TemplateNode

#: The names the refusals use: the API's fields (a description's own refusal is under `<TEXTS_FIELD>.<goal id>`).
LEFT_OUT_FIELD = "template_goals_left_out"
TEXTS_FIELD = "template_goal_descriptions"
BLANK_TEXT = "This field cannot be blank."


@dataclass(frozen=True)
class TemplateAdjustments:
    """The changes to the chosen templates' trees, by template-goal id: the goals left out (a goal left out takes its
    sub-goals with it) and new descriptions, each replacing its template goal's."""

    left_out: frozenset[uuid.UUID] = frozenset()
    texts: Mapping[uuid.UUID, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.left_out and not self.texts

    def leaves_out(self, node: TemplateNode) -> bool:
        return uuid.UUID(node.id) in self.left_out

    def text_of(self, node: TemplateNode) -> str:
        """The description the goal is written with: the one typed for it, else the template's."""
        return self.texts.get(uuid.UUID(node.id), node.description)


def text_field(goal_id: uuid.UUID | str) -> str:
    """The name a refusal of one goal's new description is given (the page shows it beside that goal's field)."""
    return f"{TEXTS_FIELD}.{goal_id}"


def walk(nodes: Sequence[TemplateNode]) -> Iterator[TemplateNode]:
    for node in nodes:
        yield node
        yield from walk(node.children)


def _kept(nodes: Sequence[TemplateNode], adjustments: TemplateAdjustments) -> Iterator[TemplateNode]:
    """The goals that will be written: those not left out, nor under a goal left out."""
    for node in nodes:
        if not adjustments.leaves_out(node):
            yield node
            yield from _kept(node.children, adjustments)


def _unknown(ids: set[uuid.UUID]) -> str:
    listed = ", ".join(sorted(str(pk) for pk in ids))
    return f"Not goals of the templates chosen: {listed}."


def _text_refusal(text: str | None) -> str:
    if text is None:
        return ""  # not retyped: the template's own description
    if not text.strip():
        return BLANK_TEXT
    # PostgreSQL stores no NUL in text: refused here, not left to fail the write.
    return NUL_MESSAGE if "\x00" in text else ""


def check_adjustments(
    trees: Sequence[tuple[PlanTemplate, list[TemplateNode]]], adjustments: TemplateAdjustments
) -> None:
    """Refuse, all at once, what cannot be built: ids that are no goal of the chosen templates, a blank description
    (or one holding a NUL) for a goal kept (a goal left out is not written, so its text does not matter), and every
    goal of a template left out (the template would add nothing: choosing fewer is what was meant)."""
    errors: dict[str, list[str]] = {}
    known = {uuid.UUID(node.id) for _, tree in trees for node in walk(tree)}
    if adjustments.left_out - known:
        errors[LEFT_OUT_FIELD] = [_unknown(set(adjustments.left_out - known))]
    if set(adjustments.texts) - known:
        errors[TEXTS_FIELD] = [_unknown(set(adjustments.texts) - known)]
    for template, tree in trees:
        if tree and all(adjustments.leaves_out(root) for root in tree):
            errors.setdefault(LEFT_OUT_FIELD, []).append(
                f"Every goal of \u201c{template.name}\u201d is left out: keep at least one, or choose fewer "
                "templates instead."
            )
        for node in _kept(tree, adjustments):
            refusal = _text_refusal(adjustments.texts.get(uuid.UUID(node.id)))
            if refusal:
                errors[text_field(node.id)] = [f"{template.name}, goal \u201c{node.description[:60]}\u201d: {refusal}"]
    if errors:
        raise ValidationError(errors)
