"""Start a plan from templates: the plan builder's list of templates to build the goal tree from.

The templates that fit the chosen diagnoses come first, then the others (a search narrows both); ticking one or
several (co-occurring problems) makes `plan_create` build each one's tree into the new plan as separate long-term
goals, in the same transaction as the plan. The list is part of the builder's one form: without JavaScript its
search is a submit button that shows the form again with everything typed; with htmx the search box and a change
of the chosen diagnoses (the picker's `diagnoses-changed` event) refresh just the list.

A ticked template shows its tree to adjust before the plan is made: each goal's text in a field, prefilled, and a
"Leave out" box (`TemplateAdjustments`). With htmx ticking refreshes the list, which brings the trees; without
JavaScript "Adjust the goals" shows the form again with them. A template's fields are named after it, so those of
a template unticked since its tree was shown are not read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from treatment import diagnoses
from treatment.models import PlanTemplate
from treatment.services.template_adjustments import TEXTS_FIELD, TemplateAdjustments
from treatment.template_selectors import TemplateNode, template_tree, templates_for, templates_visible

#: The event the diagnosis picker's answer raises (HX-Trigger) when the chosen diagnoses change.
DIAGNOSES_CHANGED = "diagnoses-changed"
#: At most this many templates make one plan (a plan of three co-occurring problems is already large).
MAX_TEMPLATES = 4
QUERY_MAX = 100


@dataclass(frozen=True)
class AdjustableGoal:
    """A goal of a ticked template as the builder shows it to adjust: the text in its field (what was typed, else
    the template's), whether it is left out, the refusal of its text, and its sub-goals."""

    node: TemplateNode
    text: str
    left_out: bool
    errors: tuple[str, ...]
    left_out_name: str
    text_name: str
    children: tuple[AdjustableGoal, ...]


@dataclass(frozen=True)
class TemplateChoice:
    """A template as the builder offers it: whether it fits a chosen diagnosis, whether it is ticked, and (ticked)
    its tree to adjust."""

    template: PlanTemplate
    fits: bool
    chosen: bool
    goals: tuple[AdjustableGoal, ...] = ()


def left_out_name(template_id: object) -> str:
    """The name of a template's "Leave out" boxes (each box's value is its goal's id)."""
    return f"adjust-{template_id}-left_out"


def text_name(template_id: object, goal_id: object) -> str:
    return f"adjust-{template_id}-text-{goal_id}"


def adjustable_goals(
    template: PlanTemplate, data: QueryDict, errors: Mapping[str, list[str]], nodes: Sequence[TemplateNode]
) -> tuple[AdjustableGoal, ...]:
    """The tree's goals with what the form holds for them (`data`; nothing yet: the template's text, kept)."""
    left_out = set(data.getlist(left_out_name(template.pk)))
    return tuple(
        AdjustableGoal(
            node=node,
            text=data.get(text_name(template.pk, node.id), node.description),
            left_out=node.id in left_out,
            errors=tuple(errors.get(node.id, ())),
            left_out_name=left_out_name(template.pk),
            text_name=text_name(template.pk, node.id),
            children=adjustable_goals(template, data, errors, node.children),
        )
        for node in nodes
    )


def chosen_adjustments(data: QueryDict, templates: Iterable[PlanTemplate]) -> TemplateAdjustments:
    """What the form says to change of the ticked templates' trees: the goals left out and every text shown (the
    service builds each goal with its text; one sent back unchanged changes nothing). Anything that is not a goal
    id is dropped, as no goal could match it; ids of another template are the service's to refuse."""
    left_out: set[uuid.UUID] = set()
    texts: dict[uuid.UUID, str] = {}
    for template in templates:
        left_out.update(parse_ids(data.getlist(left_out_name(template.pk))))
        prefix = text_name(template.pk, "")
        for name in data:
            goal = parse_ids([name.removeprefix(prefix)]) if name.startswith(prefix) else []
            if goal:
                texts[goal[0]] = data.get(name, "")
    return TemplateAdjustments(left_out=frozenset(left_out), texts=texts)


def goal_errors(error: ValidationError) -> dict[str, list[str]]:
    """The service's refusals of goals' texts, by goal id, for the tree to show beside each field."""
    prefix = f"{TEXTS_FIELD}."
    return {
        name.removeprefix(prefix): messages
        for name, messages in getattr(error, "message_dict", {}).items()
        if name.startswith(prefix)
    }


def parse_ids(values: list[str]) -> list[uuid.UUID]:
    """The ids ticked, in order, each once (anything that is not an id is dropped: nothing could match it)."""
    ids: list[uuid.UUID] = []
    for value in values:
        try:
            parsed = uuid.UUID(str(value))
        except ValueError:
            continue
        if parsed not in ids:
            ids.append(parsed)
    return ids


def template_choices(user, *, codes: list[str], query: str, chosen: list[str]) -> list[TemplateChoice]:
    """The templates to offer: fitting any chosen code first, then the others, each narrowed by `query`; those
    ticked are always offered (a search does not untick them), first."""
    wanted: list[str | None] = [code for code in (diagnoses.normalize(c) for c in codes) if code] or [None]
    found: dict[uuid.UUID, TemplateChoice] = {}
    ticked = set(parse_ids(chosen))
    for code in wanted:
        for match in templates_for(user, diagnosis=code, search=query or None):
            pk = match.template.pk
            seen = found.get(pk)
            found[pk] = TemplateChoice(match.template, match.fits or bool(seen and seen.fits), pk in ticked)
    missing = ticked - set(found)
    if missing:
        for template in templates_visible(user).filter(pk__in=missing):
            found[template.pk] = TemplateChoice(template, False, True)
    return sorted(found.values(), key=lambda c: (not c.chosen, not c.fits, c.template.name.lower()))


def chosen_templates(user, values: list[str]) -> list[PlanTemplate]:
    """The ticked templates, in the order ticked, among those the user may see (else a refusal naming
    `template_ids`: nothing is created)."""
    ids = parse_ids(values)
    if len(ids) != len([v for v in values if v]):
        raise ValidationError({"template_ids": "Choose templates from the list."})
    if len(ids) > MAX_TEMPLATES:
        raise ValidationError({"template_ids": f"Choose at most {MAX_TEMPLATES} templates for one plan."})
    visible = templates_visible(user).in_bulk(ids)
    if len(visible) != len(ids):
        raise ValidationError({"template_ids": "A template chosen is not in your library (any more)."})
    return [visible[pk] for pk in ids]


def choice_context(
    user, data: QueryDict, codes: list[str] | None = None, errors: Mapping[str, list[str]] | None = None
) -> dict:
    """What `treatment/_template_choices.html` shows for the builder's data (a POST, or the list's own GET), with
    the chosen diagnoses as the form now holds them (`codes`, else those in `data`), and each ticked template's
    tree as the form holds it, with the refusals of goals' texts (`errors`, by goal id)."""
    query = (data.get("template_q") or "").strip()[:QUERY_MAX]
    if codes is None:
        codes = [c.strip() for c in data.getlist("diagnosis_codes") if c.strip()]
    choices = [
        TemplateChoice(
            choice.template,
            choice.fits,
            choice.chosen,
            adjustable_goals(choice.template, data, errors or {}, template_tree(choice.template)),
        )
        if choice.chosen
        else choice
        for choice in template_choices(user, codes=codes, query=query, chosen=data.getlist("template_ids"))
    ]
    return {
        "template_choices": choices,
        "template_query": query,
        "template_codes": codes,
        "fitting_count": sum(1 for choice in choices if choice.fits),
    }


@require_GET
def template_choice_list(request):
    """The builder's template list for what the form holds now (htmx: the search box, a change of diagnoses, a
    template ticked), the ticked templates' trees to adjust."""
    return render(request, "treatment/_template_choices.html", choice_context(request.user, request.GET))


urlpatterns = [
    path("plans/builder/templates/", template_choice_list, name="plan-template-choices"),
]
