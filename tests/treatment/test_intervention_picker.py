"""The intervention picker: ranked search (a name starting with the words, then a name holding them, then a match in
the description), every match reachable page by page, and, for a short-term goal or an objective, the interventions
of the goals above it offered first, labelled, with their frequency. The library page and the API list rank the same
way (one filterset, `interventions.filters.InterventionFilter`).
"""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interventions.library import LIBRARY_PATH
from tests.factories import intervention
from treatment.models import GoalIntervention
from treatment.services import goal_intervention_add

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
#: "sleep" in the names of two entries, and in the descriptions of three others.
SLEEP_RANKED = [
    "Sleep Hygiene",
    "Sleep Restriction Therapy",
    "Emotion Regulation",
    "Guided Imagery",
    "Stimulus Control Therapy",
]


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def library_names() -> list[str]:
    with LIBRARY_PATH.open(encoding="utf-8") as handle:
        return sorted((row["fields"]["name"] for row in json.load(handle)), key=str.lower)


def offered(body: str, heading_id: str) -> list[str]:
    """The names listed under one of the picker's lists."""
    listing = re.search(rf'<ul class="intervention-result-list" aria-labelledby="{heading_id}">(.*?)</ul>', body, re.S)
    return re.findall(r'<span class="intervention-name">([^<]+)</span>', listing.group(1)) if listing else []


def picker(client, goal, **query) -> str:
    return client.get(reverse("goal-interventions", args=[goal.pk]), query, **HTMX).content.decode()


def test_sleep_lists_the_sleep_interventions_first(owner_client, tree):
    goal = tree["long_term"]

    body = picker(owner_client, goal, q="sleep")

    assert offered(body, f"goal-{goal.pk}-library-heading") == SLEEP_RANKED
    assert "The library: 1–5 of 5 matches" in body  # noqa: RUF001


def test_a_name_starting_with_the_words_comes_before_a_name_holding_them(owner_client, tree):
    goal = tree["long_term"]

    body = picker(owner_client, goal, q="restructuring")

    names = offered(body, f"goal-{goal.pk}-library-heading")
    assert names[0] == "Cognitive Restructuring"
    assert all("restructuring" not in name.lower() for name in names[1:])


def test_the_library_page_and_the_api_rank_the_same_way(owner_client, api, owner):
    page = owner_client.get(reverse("intervention-list"), {"search": "sleep"}).content.decode()
    listed = api.as_(owner).get("/api/v1/interventions", {"search": "sleep"}).json()["results"]

    assert [item["name"] for item in listed] == SLEEP_RANKED
    positions = [page.index(name) for name in SLEEP_RANKED]
    assert positions == sorted(positions)


def test_every_entry_is_reachable_page_by_page(owner_client, tree):
    goal = tree["long_term"]
    names = library_names()
    assert len(names) == 55

    pages = [picker(owner_client, goal, page=number) for number in (1, 2, 3)]

    seen = [name for body in pages for name in offered(body, f"goal-{goal.pk}-library-heading")]
    assert seen == names
    assert "The library: 1–25 of 55 matches" in pages[0] and "Page 1 of 3" in pages[0]  # noqa: RUF001
    assert ">Next matches</a>" in pages[0] and "Previous matches" not in pages[0]
    assert "The library: 51–55 of 55 matches" in pages[2] and "Next matches" not in pages[2]  # noqa: RUF001
    assert "page=3" in pages[1]


def test_a_page_past_the_end_shows_the_last(owner_client, tree):
    goal = tree["long_term"]

    body = picker(owner_client, goal, page="99")

    assert offered(body, f"goal-{goal.pk}-library-heading")[-1] == library_names()[-1]


def test_the_next_link_keeps_the_search(owner_client, tree):
    goal = tree["long_term"]

    body = picker(owner_client, goal, q="e")

    assert "Page 1 of" in body
    assert f'href="/goals/{goal.pk}/interventions/?q=e&amp;modality=&amp;page=2"' in body


def test_an_objective_is_offered_the_interventions_of_the_goals_above_it_first(owner_client, owner, tree):
    from accounts.audit import AuditContext

    by = AuditContext.system("tests", user=owner)
    goal_intervention_add(by=by, goal=tree["long_term"], intervention=intervention("Sleep Hygiene"), frequency="weekly")
    goal_intervention_add(
        by=by, goal=tree["short_term"], intervention=intervention("Cognitive Restructuring"), frequency="each session"
    )
    objective = tree["objective"]

    body = picker(owner_client, objective)

    assert "From the goals above this one" in body
    assert offered(body, f"goal-{objective.pk}-inherited-heading") == ["Cognitive Restructuring", "Sleep Hygiene"]
    assert f"Used by “{tree['short_term'].description[:59]}" in body
    # Their frequency is filled in; they are not offered twice.
    cognitive = intervention("Cognitive Restructuring")
    assert re.search(rf'id="freq-{objective.pk}-{cognitive.pk}"[^>]*value="each session"', body)
    library = offered(body, f"goal-{objective.pk}-library-heading")
    assert "Cognitive Restructuring" not in library and "Sleep Hygiene" not in library
    assert len(library) == 25
    assert "The rest of the library: 1–25 of 53 matches" in body  # noqa: RUF001


def test_a_long_term_goal_has_no_goals_above_it(owner_client, tree):
    assert "From the goals above this one" not in picker(owner_client, tree["long_term"])


def test_adding_an_inherited_intervention_links_it_to_the_objective(owner_client, owner, tree):
    from accounts.audit import AuditContext

    sleep = intervention("Sleep Hygiene")
    goal_intervention_add(
        by=AuditContext.system("tests", user=owner), goal=tree["long_term"], intervention=sleep, frequency="nightly"
    )

    owner_client.post(
        reverse("goal-interventions", args=[tree["objective"].pk]),
        {"intervention": sleep.pk, "frequency": "nightly"},
        **HTMX,
    )

    assert GoalIntervention.objects.get(goal=tree["objective"], intervention=sleep).frequency == "nightly"


def test_the_picker_costs_the_same_however_many_links_the_goals_above_hold(
    owner_client, owner, tree, django_assert_num_queries
):
    from accounts.audit import AuditContext

    by = AuditContext.system("tests", user=owner)
    objective = tree["objective"]
    goal_intervention_add(by=by, goal=tree["long_term"], intervention=intervention("Sleep Hygiene"))
    with CaptureQueriesContext(connection) as few:
        picker(owner_client, objective)
    for name in ("Cognitive Restructuring", "Thought Records", "Guided Imagery", "Sleep Restriction Therapy"):
        goal_intervention_add(by=by, goal=tree["short_term"], intervention=intervention(name))

    with django_assert_num_queries(len(few.captured_queries)):
        picker(owner_client, objective)
