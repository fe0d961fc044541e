"""The pages ask for the reason for amending a signed plan once per editing session (issue 13).

The first form of a session that changes a signed plan shows the reason field; a refusal keeps what was typed
and changes nothing; once given, the reason is kept for that plan and reused for the following changes (shown
as "Amending: ..."), until it lapses (30 minutes without a change), the plan is signed again, or the user asks
for a new one. One-click changes (a move, an intervention added from the picker) take the kept reason or ask
for it first. Before the first signature nothing is asked.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import intervention, make_tree, mark_signed
from tests.treatment.test_goal_pages import edit_data
from treatment.models import GoalIntervention, PlanAmendment, TreatmentGoal, TreatmentPlan
from treatment.services.amendments import REASON_REQUIRED
from treatment.views.amending import SESSION_KEY

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
FIELD_ID = 'name="amendment_reason"'


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def goals(plan):
    goals = make_tree(plan)
    mark_signed(plan)
    return goals


def text(response) -> str:
    return response.content.decode()


def edit(client, goal, **overrides):
    """Post the goal's edit form as it stands now (its current ETag), with `overrides`."""
    goal = TreatmentGoal.objects.get(pk=goal.pk)
    return client.post(reverse("goal-edit", args=[goal.pk]), edit_data(goal, **overrides), **HTMX)


def test_the_first_edit_asks_why_and_a_refusal_keeps_what_was_typed(owner_client, goals):
    goal = goals["long_term"]
    form = text(owner_client.get(reverse("goal-edit", args=[goal.pk]), **HTMX))
    assert FIELD_ID in form
    assert "Why are you changing the signed plan?" in form

    response = edit(owner_client, goal, description="Anxiety no longer limits work")
    assert response.status_code == 200
    assert REASON_REQUIRED in text(response)
    assert "Anxiety no longer limits work" in text(response)
    assert TreatmentGoal.objects.get(pk=goal.pk).description == "Reduce overall anxiety levels to a manageable state"
    assert PlanAmendment.objects.count() == 0


def test_the_reason_is_asked_once_and_reused_for_the_following_changes(owner_client, goals, plan):
    first, second = goals["long_term"], goals["short_term"]
    response = edit(owner_client, first, description="Anxiety no longer limits work", amendment_reason="New job")
    assert response.status_code == 200
    assert text(response).lstrip().startswith('<section id="goal-tree"')
    assert "Amending: <q>New job</q>" in text(response)

    form = text(owner_client.get(reverse("goal-edit", args=[second.pk]), **HTMX))
    assert FIELD_ID not in form
    assert "Amending: <q>New job</q>" in form
    edit(owner_client, second, description="Practise two techniques at work")

    assert list(PlanAmendment.objects.order_by("created_at").values_list("reason", flat=True)) == ["New job", "New job"]
    assert TreatmentPlan.objects.get(pk=plan.pk).signature_status == "amended_unsigned"


def test_the_plan_builder_asks_why_on_a_signed_plan(owner_client, plan):
    mark_signed(plan)
    url = reverse("plan-edit", args=[plan.pk])
    assert FIELD_ID in text(owner_client.get(url))
    data = {
        "title": "Anxiety and Sleep Plan",
        "start_date": "2026-09-01",
        "review_frequency_days": "90",
        "diagnosis_codes": ["F41.1"],
        "presenting_problems": ["chronic worry"],
        "notes": "",
        "etag": TreatmentPlan.objects.get(pk=plan.pk).etag,
    }
    refused = owner_client.post(url, data)
    assert refused.status_code == 200
    assert REASON_REQUIRED in text(refused)
    assert 'value="Anxiety and Sleep Plan"' in text(refused)
    assert TreatmentPlan.objects.get(pk=plan.pk).title == "Anxiety Management Plan"

    saved = owner_client.post(url, {**data, "amendment_reason": "Sleep added at intake review"})
    assert saved.status_code == 302
    amendment = PlanAmendment.objects.get()
    assert amendment.reason == "Sleep added at intake review"
    assert amendment.changes[0]["fields"] == ["title", "presenting_problems"]
    assert "Amending: <q>Sleep added at intake review</q>" in text(owner_client.get(url))


def test_a_move_takes_the_kept_reason_or_asks_for_it_first(owner_client, plan):
    from tests.factories import GoalFactory

    first = GoalFactory(plan=plan, description="First", priority=1)
    second = GoalFactory(plan=plan, description="Second", priority=2)
    mark_signed(plan)
    move = reverse("goal-move", args=[second.pk])

    refused = owner_client.post(move, {"direction": "up"}, **HTMX)
    assert REASON_REQUIRED in text(refused)
    assert 'action="/plans/' in text(refused) and "This plan is signed: say why you are changing it" in text(refused)
    assert TreatmentGoal.objects.get(pk=second.pk).priority == 2

    given = owner_client.post(
        reverse("plan-amending", args=[plan.pk]), {"amendment_reason": "Sleep first", "next": "/elsewhere/"}
    )
    assert given.status_code == 302 and given["Location"] == "/elsewhere/"
    owner_client.post(move, {"direction": "up"}, **HTMX)
    assert (TreatmentGoal.objects.get(pk=first.pk).priority, TreatmentGoal.objects.get(pk=second.pk).priority) == (2, 1)
    assert PlanAmendment.objects.get().reason == "Sleep first"


def test_the_picker_and_the_link_form_amend_with_the_reason(owner_client, goals):
    objective = goals["objective"]
    picker = reverse("goal-interventions", args=[objective.pk])
    thought_records = intervention("Thought Records")
    owner_client.post(picker, {"intervention": str(thought_records.pk), "frequency": "weekly"}, **HTMX)
    assert not GoalIntervention.objects.filter(goal=objective, intervention=thought_records).exists()
    assert "This plan is signed: say why you are changing it" in text(owner_client.get(picker, **HTMX))

    link = GoalIntervention.objects.get(goal=objective, intervention__name="Deep Breathing")
    link_url = reverse("goal-intervention-edit", args=[link.pk])
    assert FIELD_ID in text(owner_client.get(link_url, **HTMX))
    owner_client.post(
        link_url, {"frequency": "daily", "notes": "", "amendment_reason": "Client practises daily"}, **HTMX
    )
    assert GoalIntervention.objects.get(pk=link.pk).frequency == "daily"

    owner_client.post(picker, {"intervention": str(thought_records.pk), "frequency": "weekly"}, **HTMX)
    assert GoalIntervention.objects.filter(goal=objective, intervention=thought_records).exists()
    assert [a.reason for a in PlanAmendment.objects.order_by("created_at")] == ["Client practises daily"] * 2


def test_the_reason_lapses_after_thirty_minutes(owner_client, goals, plan):
    edit(owner_client, goals["long_term"], description="Changed", amendment_reason="First reason")
    session = owner_client.session
    kept = session[SESSION_KEY]
    kept[str(plan.pk)]["at"] = (timezone.now() - datetime.timedelta(minutes=31)).isoformat()
    session[SESSION_KEY] = kept
    session.save()
    assert FIELD_ID in text(owner_client.get(reverse("goal-edit", args=[goals["short_term"].pk]), **HTMX))


def test_signing_again_ends_the_reason(owner_client, goals, plan):
    edit(owner_client, goals["long_term"], description="Changed", amendment_reason="First reason")
    TreatmentPlan.objects.filter(pk=plan.pk).update(signature_status="signed", signed_version=2)
    assert FIELD_ID in text(owner_client.get(reverse("goal-edit", args=[goals["short_term"].pk]), **HTMX))
    response = edit(owner_client, goals["short_term"], description="Changed too")
    assert REASON_REQUIRED in text(response)


def test_a_new_reason_replaces_the_kept_one(owner_client, goals, plan):
    edit(owner_client, goals["long_term"], description="Changed", amendment_reason="First reason")
    amending = reverse("plan-amending", args=[plan.pk])
    owner_client.post(amending, {"forget": "1", "next": plan.get_absolute_url()})
    assert FIELD_ID in text(owner_client.get(reverse("goal-edit", args=[goals["short_term"].pk]), **HTMX))
    step = owner_client.get(amending)
    assert step.status_code == 200 and "The reason for your changes" in text(step)
    blank = owner_client.post(amending, {"amendment_reason": "  "})
    assert blank.status_code == 200 and REASON_REQUIRED in text(blank)
    owner_client.post(amending, {"amendment_reason": "Second reason"})
    edit(owner_client, goals["short_term"], description="Changed too")
    assert [a.reason for a in PlanAmendment.objects.order_by("created_at")] == ["First reason", "Second reason"]


def test_nothing_is_asked_before_the_first_signature(owner_client, plan):
    goals = make_tree(plan)
    assert FIELD_ID not in text(owner_client.get(reverse("goal-edit", args=[goals["long_term"].pk]), **HTMX))
    assert "This plan is signed" not in text(owner_client.get(plan.get_absolute_url()))
    edit(owner_client, goals["long_term"], description="Changed")
    assert TreatmentGoal.objects.get(pk=goals["long_term"].pk).description == "Changed"
    assert PlanAmendment.objects.count() == 0


ACCESS = {"owner": 200, "colleague": 404, "supervisor": 403, "practice_admin": 200, "outsider_admin": 404}


@pytest.mark.parametrize("role", list(ACCESS))
def test_the_reason_step_has_the_plan_pages_access(client, cast, plan, role):
    mark_signed(plan)
    client.force_login(cast[role])
    url = reverse("plan-amending", args=[plan.pk])
    assert client.get(url).status_code == ACCESS[role]
    posted = client.post(url, {"amendment_reason": "Because"})
    assert posted.status_code == (302 if ACCESS[role] == 200 else ACCESS[role])
    assert (SESSION_KEY in client.session) == (ACCESS[role] == 200)
