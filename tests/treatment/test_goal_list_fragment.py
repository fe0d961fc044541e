"""The plan page's goal list is a fragment kept by what it shows (accounts/fragments.py, treatment.views.tree): it is
rendered once, read back while nothing it shows has changed, rendered again as soon as anything has, and its forms
post with the reader's own CSRF token."""

import datetime
import html
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.autoreload import file_changed

from accounts.audit import AuditContext
from accounts.fragments import CSRF_SLOT, forget_fragments
from interventions.services import intervention_create, intervention_update
from tests.factories import GoalFactory, make_tree
from treatment import services

CARD = "treatment/_goal_card.html"
SYSTEM = AuditContext.system("tests")


def cards_rendered(response) -> int:
    """How many goal cards the response rendered (0: its goal list was read back whole)."""
    return sum(1 for template in response.templates if template.name == CARD)


@pytest.fixture
def tree(plan):
    return make_tree(plan)


@pytest.fixture
def page(plan):
    return reverse("plan-detail", args=[plan.pk])


def test_the_list_is_rendered_once_and_read_back_while_nothing_it_shows_changes(client, owner, tree, page):
    client.force_login(owner)

    first = client.get(page)
    second = client.get(page)

    assert cards_rendered(first) == 3
    assert cards_rendered(second) == 0
    assert second.status_code == 200
    assert tree["objective"].description in second.content.decode()
    assert CSRF_SLOT not in second.content.decode()


def _record_progress(tree, plan, owner):
    services.progress_record(by=SYSTEM, goal=tree["objective"], progress_note="Breathing daily now.", rating=7)


def _edit_goal(tree, plan, owner):
    services.goal_update(by=SYSTEM, goal=tree["short_term"], description="Learn and use 4 relaxation techniques")


def _rate_intervention(tree, plan, owner):
    link = tree["objective"].goal_interventions.get()
    services.goal_intervention_update(by=SYSTEM, link=link, effectiveness_rating=4)


def _rename_library_intervention(tree, plan, owner):
    own = intervention_create(practice=owner.practice, created_by=owner, name="Paced breathing", modality="CBT")
    services.goal_intervention_add(by=SYSTEM, goal=tree["long_term"], intervention=own, frequency="weekly")
    client = Client()
    client.force_login(owner)
    client.get(reverse("plan-detail", args=[plan.pk]))  # the list with the intervention's first name
    intervention_update(user=owner, intervention=own, name="Paced breathing, 6 a minute")


def _add_goal(tree, plan, owner):
    GoalFactory(plan=plan, description="Sleep through the night")


def _close_plan(tree, plan, owner):
    services.plan_update(by=SYSTEM, plan=plan, status="completed", status_reason="Goals met.")


@pytest.mark.parametrize(
    "change",
    [_record_progress, _edit_goal, _rate_intervention, _rename_library_intervention, _add_goal, _close_plan],
    ids=["progress", "goal", "rating", "library-intervention", "new-goal", "closed"],
)
def test_anything_the_list_shows_changing_renders_it_again(client, owner, plan, tree, page, change):
    client.force_login(owner)
    client.get(page)
    change(tree, plan, owner)

    response = client.get(page)

    assert cards_rendered(response) >= 3
    html = response.content.decode()
    if change is _rename_library_intervention:
        assert "Paced breathing, 6 a minute" in html
    if change is _close_plan:
        assert "Actions for:" not in html


def test_a_new_day_renders_it_again(client, owner, tree, page):
    tomorrow = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=1)
    client.force_login(owner)
    client.get(page)
    with time_machine.travel(tomorrow):
        client.force_login(owner)  # the session of yesterday has lapsed

        assert cards_rendered(client.get(page)) == 3


def test_a_reader_who_may_not_change_the_plan_gets_a_list_without_actions(client, owner, supervisor, tree, page):
    client.force_login(owner)
    assert "Actions for:" in client.get(page).content.decode()
    client.force_login(supervisor)

    response = client.get(page)

    assert cards_rendered(response) == 3
    assert "Actions for:" not in response.content.decode()


def test_a_form_of_a_list_rendered_for_another_session_posts_with_the_readers_token(owner, plan, tree, page):
    GoalFactory(plan=plan, description="Sleep through the night", priority=2)
    first = Client(enforce_csrf_checks=True)
    first.force_login(owner)
    assert cards_rendered(first.get(page)) == 4
    second = Client(enforce_csrf_checks=True)
    second.force_login(owner)

    response = second.get(page)

    assert cards_rendered(response) == 0
    page_html = response.content.decode()
    moved = tree["long_term"]
    move = reverse("goal-move", args=[moved.pk])
    form = re.search(rf'<form method="post" action="{move}".*?</form>', page_html, re.S)
    assert form is not None
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0)).group(1)
    etag = html.unescape(re.search(r'name="etag" value="([^"]+)"', form.group(0)).group(1))
    answer = second.post(move, {"csrfmiddlewaretoken": token, "etag": etag, "direction": "down"})
    assert answer.status_code == 302
    assert answer["Location"] == f"{page}#goal-{moved.pk}"
    roots = plan.goals.filter(parent_goal=None).order_by("priority", "created_at")
    assert [goal.pk for goal in roots][-1] == moved.pk


def test_a_file_changed_under_the_development_server_drops_the_fragments(client, owner, tree, page, settings):
    client.force_login(owner)
    client.get(page)

    results = file_changed.send(sender=None, file_path=settings.BASE_DIR / "templates" / "treatment" / CARD)

    assert cards_rendered(client.get(page)) == 3
    assert all(not result for receiver, result in results if receiver is forget_fragments)
