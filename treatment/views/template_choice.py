"""Start a plan from templates: the plan builder's list of templates to build the goal tree from.

The templates that fit the chosen diagnoses come first, then the others (a search narrows both); ticking one or
several (co-occurring problems) makes `plan_create` build each one's tree into the new plan as separate long-term
goals, in the same transaction as the plan. The list is part of the builder's one form: without JavaScript its
search is a submit button that shows the form again with everything typed; with htmx the search box and a change
of the chosen diagnoses (the picker's `diagnoses-changed` event) refresh just the list.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from treatment import diagnoses
from treatment.models import PlanTemplate
from treatment.template_selectors import templates_for, templates_visible

#: The event the diagnosis picker's answer raises (HX-Trigger) when the chosen diagnoses change.
DIAGNOSES_CHANGED = "diagnoses-changed"
#: At most this many templates make one plan (a plan of three co-occurring problems is already large).
MAX_TEMPLATES = 4
QUERY_MAX = 100


@dataclass(frozen=True)
class TemplateChoice:
    """A template as the builder offers it: whether it fits a chosen diagnosis, and whether it is ticked."""

    template: PlanTemplate
    fits: bool
    chosen: bool


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


def choice_context(user, data, codes: list[str] | None = None) -> dict:
    """What `treatment/_template_choices.html` shows for the builder's data (a POST, or the list's own GET), with
    the chosen diagnoses as the form now holds them (`codes`, else those in `data`)."""
    query = (data.get("template_q") or "").strip()[:QUERY_MAX]
    if codes is None:
        codes = [c.strip() for c in data.getlist("diagnosis_codes") if c.strip()]
    choices = template_choices(user, codes=codes, query=query, chosen=data.getlist("template_ids"))
    return {
        "template_choices": choices,
        "template_query": query,
        "template_codes": codes,
        "fitting_count": sum(1 for choice in choices if choice.fits),
    }


@require_GET
def template_choice_list(request):
    """The builder's template list for what the form holds now (htmx: the search box, a change of diagnoses)."""
    return render(request, "treatment/_template_choices.html", choice_context(request.user, request.GET))


urlpatterns = [
    path("plans/builder/templates/", template_choice_list, name="plan-template-choices"),
]
