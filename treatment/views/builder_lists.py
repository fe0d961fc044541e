"""The plan builder's lists: the diagnoses chosen from the ICD-10-CM search and the presenting problems.

They are repeated inputs of the builder's one form. Adding or removing an item is a submit button of that form:
without JavaScript it re-renders the page with everything typed (`PlanBuilderPage`, through `apply_builder_action`);
with htmx the same button asks a small endpoint here for just that part of the form.
"""

from __future__ import annotations

import contextlib

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from treatment import diagnoses
from treatment.forms import diagnosis_chips, unique
from treatment.views.template_choice import DIAGNOSES_CHANGED

SEARCH_LIMIT = 15

# Submit buttons of the builder that change the form, not the plan.
BUILDER_ACTIONS = (
    "add_diagnosis",
    "remove_diagnosis",
    "search_diagnoses",
    "add_problem",
    "remove_problem",
    "search_templates",
    "adjust_templates",
)


def search_results(query: str, chosen) -> list[dict]:
    chosen = set(chosen)
    return [
        {**hit, "chosen": hit["code"] in chosen}
        for hit in diagnoses.search(query, limit=SEARCH_LIMIT, billable_only=True)
    ]


def apply_builder_action(data) -> dict:
    """What one builder button does to the lists the form holds: the new lists and what to show."""
    codes = unique(c.strip() for c in data.getlist("diagnosis_codes") if c.strip())
    problems = data.getlist("presenting_problems")
    query = data.get("diagnosis_q", "").strip()
    state = {"query": query, "results": None, "focus": "", "codes": codes, "problems": problems}
    if "add_diagnosis" in data:
        code = diagnoses.normalize(data["add_diagnosis"])
        if diagnoses.lookup(code) and code not in codes:
            codes.append(code)
        state.update(query="", focus="diagnosis")
    elif "remove_diagnosis" in data:
        state["codes"] = [c for c in codes if c != data["remove_diagnosis"]]
        state["focus"] = "diagnosis"
    elif "search_diagnoses" in data:
        state["results"] = search_results(query, codes)
        state["focus"] = "results"
    elif "add_problem" in data:
        problems.append("")
        state["focus"] = "problem"
    elif "remove_problem" in data:
        with contextlib.suppress(ValueError, IndexError):
            del problems[int(data["remove_problem"])]
        state["problems"] = problems or [""]
        state["focus"] = "problem-list"
    return state


@require_GET
def diagnosis_search(request):
    """The builder's autocomplete: matching billable codes as buttons that add a chip."""
    query = request.GET.get("diagnosis_q", "").strip()[:100]
    results = search_results(query, request.GET.getlist("diagnosis_codes")) if query else None
    return render(request, "treatment/_diagnosis_results.html", {"results": results, "query": query})


@require_POST
def diagnosis_picker(request):
    """The builder's chosen diagnoses after an add or remove (htmx posts the whole form here)."""
    state = apply_builder_action(request.POST)
    picker = {"chips": diagnosis_chips(state["codes"]), "query": state["query"], "results": state["results"]}
    response = render(request, "treatment/_diagnosis_picker.html", {"picker": picker, "focus": state["focus"]})
    # The builder's template list refreshes for the new diagnoses, once they are swapped in (`template_choice`).
    return trigger_client_event(response, DIAGNOSES_CHANGED, after="swap")


@require_POST
def plan_problems(request):
    """The builder's presenting problems after a row is added or removed."""
    state = apply_builder_action(request.POST)
    return render(request, "treatment/_plan_problems.html", {"problems": state["problems"], "focus": state["focus"]})


urlpatterns = [
    path("diagnoses/search/", diagnosis_search, name="diagnosis-search"),
    path("diagnoses/picker/", diagnosis_picker, name="diagnosis-picker"),
    path("plans/builder/problems/", plan_problems, name="plan-problems"),
]
