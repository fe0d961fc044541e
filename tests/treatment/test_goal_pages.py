"""The goal tree edited inline on the plan page: htmx partials and the same endpoints as full pages.

Add long-term, short-term and objective goals, edit with the goal's ETag (a conflict keeps the input), the
SMART hint, reorder by priority, pick interventions from the library and rate them.
"""

import re

import pytest
from django.urls import reverse

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from interventions import services as intervention_services
from interventions.models import Intervention
from tests.factories import GoalFactory, PracticeFactory, intervention
from treatment.models import GoalIntervention, TreatmentGoal
from treatment.services import goal_update, plan_update

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def text(response) -> str:
    return response.content.decode()


def goal_data(**overrides):
    data = {
        "description": "Reduce overall anxiety levels to a manageable state",
        "measurable_criteria": "GAD-7 score",
        "baseline_value": "15",
        "current_value": "15",
        "target_value": "5",
        "target_date": "2027-03-01",
        "priority": "1",
    }
    data.update(overrides)
    return data


def edit_data(goal, **overrides):
    data = {
        "description": goal.description,
        "measurable_criteria": goal.measurable_criteria,
        "baseline_value": goal.baseline_value,
        "current_value": goal.current_value,
        "target_value": goal.target_value,
        "target_date": goal.target_date.isoformat() if goal.target_date else "",
        "priority": str(goal.priority),
        "status": goal.status,
        "etag": goal.etag,
    }
    data.update(overrides)
    return data


# --- adding goals ----------------------------------------------------------------------------------------


def test_the_add_form_is_a_partial_for_htmx_and_a_page_otherwise(owner_client, plan):
    url = reverse("goal-add", args=[plan.pk])

    partial = text(owner_client.get(url, **HTMX))
    page = text(owner_client.get(url))

    assert "<html" not in partial and partial.lstrip().startswith("<form")
    assert f'hx-post="{url}"' in partial and 'hx-target="this"' in partial
    assert "New long-term goal" in partial
    for label in (
        "Description",
        "Measurable criteria",
        "Baseline value",
        "Current value",
        "Target value",
        "Target date",
    ):
        assert f">{label}" in partial, label
    assert "Priority (1 = highest)" in partial
    assert 'name="status"' not in partial  # a new goal starts not started
    assert "<details" in partial and "<summary>SMART template</summary>" in partial
    assert "What exactly will be accomplished?" in partial
    assert "still empty: Specific, Measurable, Achievable, Relevant, Time-bound" in partial
    assert "<html" in page and "<h1>New long-term goal</h1>" in page and f'action="{url}"' in page


def test_adding_a_long_term_goal_with_htmx_swaps_in_the_tree(owner_client, owner, plan):
    response = owner_client.post(
        reverse("goal-add", args=[plan.pk]),
        goal_data(smart_relevant_importance="Worry keeps her from work", smart_achievable_resources="Weekly CBT"),
        **HTMX,
    )

    goal = TreatmentGoal.objects.get(plan=plan)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#goal-tree" and response["HX-Reswap"] == "outerHTML"
    body = text(response)
    assert body.lstrip().startswith('<section id="goal-tree"')
    assert "Goal added." in body
    assert re.search(rf'id="goal-{goal.pk}-title" tabindex="-1" autofocus', body)
    assert goal.goal_type == "long_term" and goal.parent_goal is None
    assert goal.baseline_value == "15" and goal.target_value == "5" and goal.measurable_criteria == "GAD-7 score"
    assert goal.smart == {
        "achievable": {"resources": "Weekly CBT"},
        "relevant": {"importance": "Worry keeps her from work"},
    }
    assert "all five parts answered" in body
    assert AuditEvent.objects.filter(action="create", object_id=str(goal.pk), user=owner, channel="web").exists()


def test_goals_nest_long_term_short_term_objective(owner_client, plan):
    url = reverse("goal-add", args=[plan.pk])
    owner_client.post(url, goal_data(), **HTMX)
    long_term = TreatmentGoal.objects.get(plan=plan)

    form = text(owner_client.get(url, {"parent": long_term.pk}, **HTMX))
    assert "New short-term goal" in form and f'name="parent" value="{long_term.pk}"' in form

    owner_client.post(url, goal_data(description="Learn 3 relaxation techniques", parent=long_term.pk), **HTMX)
    short_term = TreatmentGoal.objects.get(parent_goal=long_term)
    response = owner_client.post(
        url, goal_data(description="Practice deep breathing daily", parent=short_term.pk), **HTMX
    )
    objective = TreatmentGoal.objects.get(parent_goal=short_term)

    assert short_term.goal_type == "short_term" and objective.goal_type == "objective"
    body = text(response)
    assert body.index(long_term.description) < body.index("Learn 3 relaxation") < body.index("Practice deep breathing")
    assert "Add short-term goal" in body and "Add objective" in body
    assert owner_client.get(url, {"parent": objective.pk}, **HTMX).status_code == 400


def test_a_parent_from_another_plan_is_not_found(owner_client, patient, plan):
    from tests.factories import PlanFactory

    other = GoalFactory(plan=PlanFactory(patient=patient, title="Other plan"))

    response = owner_client.post(reverse("goal-add", args=[plan.pk]), goal_data(parent=other.pk), **HTMX)

    assert response.status_code == 404
    assert not TreatmentGoal.objects.filter(plan=plan).exists()


def test_a_refused_goal_keeps_what_was_typed(owner_client, plan):
    response = owner_client.post(
        reverse("goal-add", args=[plan.pk]),
        goal_data(description="", priority="12", smart_specific_who="Client and therapist"),
        **HTMX,
    )

    assert response.status_code == 200
    assert "HX-Retarget" not in response
    body = text(response)
    assert body.lstrip().startswith("<form")
    assert "This field is required." in body
    assert "Ensure this value is less than or equal to 10." in body
    assert 'value="Client and therapist"' in body and 'name="target_value" value="5"' in body
    assert '<details class="smart-template" open>' in body
    assert not TreatmentGoal.objects.filter(plan=plan).exists()


def test_without_htmx_adding_a_goal_returns_to_the_plan_page(owner_client, plan):
    response = owner_client.post(reverse("goal-add", args=[plan.pk]), goal_data())

    goal = TreatmentGoal.objects.get(plan=plan)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('plan-detail', args=[plan.pk])}#goal-{goal.pk}"


def test_without_htmx_a_refused_goal_is_a_full_page(owner_client, plan):
    response = owner_client.post(reverse("goal-add", args=[plan.pk]), goal_data(description=""))

    assert response.status_code == 200
    assert "<html" in text(response) and "This field is required." in text(response)


def test_the_smart_hint_follows_what_is_typed(owner_client):
    response = owner_client.post(
        reverse("goal-smart-hint"),
        {
            "key": "new-root",
            "description": "Sleep seven hours",
            "target_date": "2027-01-01",
            "smart_relevant_alignment": "x",
        },
    )

    assert response.status_code == 200
    assert "still empty: Measurable, Achievable." in text(response)


# --- editing goals -------------------------------------------------------------------------------------------


def test_the_edit_form_holds_the_goal(owner_client, owner, tree):
    goal = tree["objective"]
    goal = goal_update(by=AuditContext.system("tests"), goal=goal, smart={"specific": {"who": "Client"}})

    body = text(owner_client.get(reverse("goal-edit", args=[goal.pk]), **HTMX))

    assert body.lstrip().startswith("<form")
    assert "Practice deep breathing daily" in body
    assert 'name="status"' in body and 'value="not_started" selected' in body
    assert 'name="smart_specific_who" value="Client"' in body
    assert AuditEvent.objects.filter(action="view", object_id=str(goal.pk), user=owner).exists()


def test_editing_a_goal_saves_it_and_rolls_progress_up(owner_client, plan, tree):
    goal = tree["objective"]

    response = owner_client.post(
        reverse("goal-edit", args=[goal.pk]),
        edit_data(goal, status="achieved", current_value="daily", smart_specific_what="Breathe 10 min"),
        **HTMX,
    )

    goal.refresh_from_db()
    assert response["HX-Retarget"] == "#goal-tree"
    assert goal.status == "achieved" and goal.progress_percentage == 100 and goal.current_value == "daily"
    assert goal.smart == {"specific": {"what": "Breathe 10 min"}}
    plan.refresh_from_db()
    assert plan.overall_progress == 100
    assert 'aria-valuenow="100"' in text(response) and "Goal saved." in text(response)


def test_a_stale_goal_etag_is_a_conflict_shown_inline(owner_client, tree):
    goal = tree["objective"]
    stale = goal.etag
    goal_update(by=AuditContext.system("tests"), goal=goal, target_value="7 days a week")

    response = owner_client.post(
        reverse("goal-edit", args=[goal.pk]),
        edit_data(goal, etag=stale, description="Breathe daily, 10 minutes"),
        **HTMX,
    )

    assert response.status_code == 200 and "HX-Retarget" not in response
    body = text(response)
    assert "Someone else saved this goal first" in body
    assert "Breathe daily, 10 minutes" in body
    goal.refresh_from_db()
    assert goal.description == "Practice deep breathing daily" and goal.target_value == "7 days a week"
    assert f'name="etag" value="{goal.etag.replace(chr(34), "&quot;")}"' in body


def test_goal_pages_of_a_closed_plan_answer_409(owner_client, plan, tree):
    """The one answer for a closed plan: 409, the page saying why with a link to the plan; htmx is sent there."""
    plan_update(by=AuditContext.system("tests"), plan=plan, status="completed", status_reason="Closed in a test.")
    plan_url = reverse("plan-detail", args=[plan.pk])

    full = owner_client.get(reverse("goal-edit", args=[tree["objective"].pk]))
    partial = owner_client.get(reverse("goal-add", args=[plan.pk]), **HTMX)
    move = owner_client.post(reverse("goal-move", args=[tree["objective"].pk]), {"direction": "up"}, **HTMX)

    assert full.status_code == 409
    assert "This plan is completed; its record is closed to changes." in text(full)
    assert f'href="{plan_url}"' in text(full)
    assert (partial.status_code, partial["HX-Redirect"]) == (409, plan_url)
    assert (move.status_code, move["HX-Redirect"]) == (409, plan_url)
    page = owner_client.get(plan_url)
    assert "This plan is completed; its record is closed to changes." in text(page)  # the message waits there


# --- reordering --------------------------------------------------------------------------------------------


def test_move_up_and_down_exchange_priorities(owner_client, plan):
    first = GoalFactory(plan=plan, description="First goal", priority=1)
    second = GoalFactory(plan=plan, description="Second goal", priority=2)
    third = GoalFactory(plan=plan, description="Third goal", priority=2)
    url = reverse("goal-move", args=[third.pk])

    response = owner_client.post(url, {"direction": "up", "etag": third.etag}, **HTMX)
    body = text(response)
    assert response["HX-Retarget"] == "#goal-tree"
    assert body.index("Third goal") < body.index("Second goal")
    third.refresh_from_db()
    second.refresh_from_db()
    assert (third.priority, second.priority) == (2, 3)  # the tie is broken below the moved goal

    owner_client.post(url, {"direction": "up", "etag": third.etag}, **HTMX)
    first.refresh_from_db()
    third.refresh_from_db()
    order = list(TreatmentGoal.objects.filter(plan=plan).order_by("priority", "created_at"))
    assert order == [third, first, second]

    third.refresh_from_db()
    owner_client.post(url, {"direction": "down", "etag": third.etag}, **HTMX)
    order = list(TreatmentGoal.objects.filter(plan=plan).order_by("priority", "created_at"))
    assert order == [first, third, second]


def test_reordering_keeps_priorities_within_1_to_10(plan):
    from treatment.services import reorder_priorities

    goals = [GoalFactory(plan=plan, description=f"Goal {i}", priority=10) for i in range(3)]
    moved = [goals[0], goals[2], goals[1]]  # the last one moved up one place

    priorities = reorder_priorities(moved, [10, 10, 10])

    # 10, 10, 11 would not fit: the level is renumbered in its new order.
    assert [priorities[g.pk] for g in moved] == [1, 2, 3]
    assert reorder_priorities([goals[1], goals[0], goals[2]], [1, 5, 9]) == {
        goals[1].pk: 1,
        goals[0].pk: 5,
        goals[2].pk: 9,
    }


def test_the_actions_menu_offers_only_the_moves_a_goal_can_make(owner_client, plan):
    GoalFactory(plan=plan, description="First goal", priority=1)
    GoalFactory(plan=plan, description="Second goal", priority=2)

    body = text(owner_client.get(reverse("plan-detail", args=[plan.pk])))
    moves = re.findall(r'<button type="submit" name="direction" value="(up|down)" aria-label="([^"]*)"', body)

    # The top goal can only go down, the bottom one only up: no dead "Move up" in the first goal's menu.
    assert moves == [("down", "Move down: First goal"), ("up", "Move up: Second goal")]
    assert body.count('class="goal-menu"') == 2


def test_a_move_with_a_stale_etag_changes_nothing_and_says_so(owner_client, plan):
    first = GoalFactory(plan=plan, description="First goal", priority=1)
    second = GoalFactory(plan=plan, description="Second goal", priority=2)
    stale = second.etag
    goal_update(by=AuditContext.system("tests"), goal=second, description="Second goal, reworded")

    response = owner_client.post(reverse("goal-move", args=[second.pk]), {"direction": "up", "etag": stale}, **HTMX)

    assert "Someone else changed this goal first" in text(response)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.priority, second.priority) == (1, 2)


def test_without_htmx_a_move_returns_to_the_goal(owner_client, plan):
    GoalFactory(plan=plan, description="First goal", priority=1)
    second = GoalFactory(plan=plan, description="Second goal", priority=2)

    response = owner_client.post(reverse("goal-move", args=[second.pk]), {"direction": "up", "etag": second.etag})

    assert response.status_code == 302 and response["Location"].endswith(f"#goal-{second.pk}")
    second.refresh_from_db()
    assert second.priority == 1


# --- interventions ------------------------------------------------------------------------------------------


def test_the_picker_searches_the_library_by_words_and_modality(owner_client, owner, practice, tree):
    goal = tree["long_term"]
    own = intervention_services.intervention_create(
        created_by=owner,
        practice=practice,
        name="Riverside worry group",
        modality="CBT",
        category="cbt",
    )
    foreign = Intervention.objects.create(
        name="Harbor worry circle", modality="CBT", practice=PracticeFactory(name="Harbor")
    )
    url = reverse("goal-interventions", args=[goal.pk])

    body = text(owner_client.get(url, {"q": "worry", "modality": "CBT"}, **HTMX))

    assert body.lstrip().startswith("<section")
    assert own.name in body and "your practice" in body
    assert foreign.name not in body
    assert "Deep Breathing" not in body
    assert ">Search interventions" in body and ">Modality" in body
    assert f'hx-select="#goal-{goal.pk}-results"' in body
    full = text(owner_client.get(url, {"modality": "DBT"}))
    assert "<html" in full and "Deep Breathing" not in full


def test_adding_an_intervention_links_it_with_its_frequency(owner_client, tree):
    goal = tree["short_term"]
    sleep = intervention("Sleep Hygiene")

    response = owner_client.post(
        reverse("goal-interventions", args=[goal.pk]), {"intervention": sleep.pk, "frequency": "weekly"}, **HTMX
    )

    link = GoalIntervention.objects.get(goal=goal)
    assert (link.intervention, link.frequency) == (sleep, "weekly")
    assert response["HX-Retarget"] == "#goal-tree"
    assert "Sleep Hygiene added to the goal." in text(response)


def test_an_intervention_already_linked_is_refused_in_the_picker(owner_client, tree):
    goal = tree["objective"]

    listed = text(owner_client.get(reverse("goal-interventions", args=[goal.pk]), {"q": "deep breathing"}, **HTMX))
    assert "Linked to this goal" in listed

    response = owner_client.post(
        reverse("goal-interventions", args=[goal.pk]), {"intervention": intervention("Deep Breathing").pk}, **HTMX
    )
    assert "HX-Retarget" not in response
    assert "already linked to this goal" in text(response)
    assert GoalIntervention.objects.filter(goal=goal).count() == 1


def test_a_frequency_too_long_is_refused_in_the_picker_with_what_was_typed_kept(owner_client, tree):
    goal = tree["short_term"]
    typed = "twice a day, " * 4 + "and at night"  # 64 characters: the column holds 50

    response = owner_client.post(
        reverse("goal-interventions", args=[goal.pk]),
        {"intervention": intervention("Sleep Hygiene").pk, "frequency": typed, "q": "sleep"},
        **HTMX,
    )

    assert "HX-Retarget" not in response
    assert "at most 50 characters" in text(response)
    assert f'value="{typed}"' in text(response)
    assert not GoalIntervention.objects.filter(goal=goal).exists()


def test_an_intervention_of_another_practice_cannot_be_linked(owner_client, tree):
    foreign = Intervention.objects.create(name="Harbor only", modality="CBT", practice=PracticeFactory(name="Harbor"))

    response = owner_client.post(
        reverse("goal-interventions", args=[tree["long_term"].pk]), {"intervention": foreign.pk}, **HTMX
    )

    assert "Choose an intervention from your practice" in text(response)
    assert not GoalIntervention.objects.filter(goal=tree["long_term"]).exists()


def test_rating_an_interventions_effectiveness(owner_client, owner, tree):
    link = GoalIntervention.objects.get(goal=tree["objective"])
    url = reverse("goal-intervention-edit", args=[link.pk])

    form = text(owner_client.get(url, **HTMX))
    assert "Effectiveness (1–5)" in form and 'value="every session"' in form  # noqa: RUF001

    refused = owner_client.post(url, {"effectiveness_rating": "6", "frequency": "daily"}, **HTMX)
    assert "Select a valid choice" in text(refused) and 'value="daily"' in text(refused)

    response = owner_client.post(url, {"effectiveness_rating": "4", "frequency": "daily", "notes": "Helps"}, **HTMX)
    link.refresh_from_db()
    assert (link.effectiveness_rating, link.frequency, link.notes) == (4, "daily", "Helps")
    assert "effectiveness 4/5" in text(response)
    assert AuditEvent.objects.filter(action="update", object_id=str(link.pk), user=owner).exists()


def test_the_tree_partial_is_for_htmx_and_redirects_otherwise(owner_client, owner, plan, tree):
    url = reverse("plan-goal-tree", args=[plan.pk])

    partial = owner_client.get(url, **HTMX)
    page = owner_client.get(url)

    assert text(partial).lstrip().startswith('<section id="goal-tree"')
    assert partial["Vary"] and "HX-Request" in partial["Vary"]
    assert page.status_code == 302 and page["Location"].endswith("#goal-tree")
