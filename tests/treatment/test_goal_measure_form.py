"""An objective driven by a measure, set from the plan page's goal forms (add and edit, htmx and full page).

The form only parses: the goal services check the measure as they do the API's `measure`, and their refusal
comes back on the form's fields (or above them), with what was typed kept.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.audit import AuditContext
from tests.treatment.test_goal_pages import HTMX, edit_data, text
from treatment.models import TreatmentGoal
from treatment.services.measures import measurement_record

pytestmark = pytest.mark.django_db

MEASURE_LABELS = ('name="measure_instrument"', 'name="measure_baseline_score"', 'name="measure_target_score"')


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def record_phq9(patient, total: int):
    """A PHQ-9 with item 9 at 0 summing to `total` (0-24 here), recorded through the service."""
    answers = [min(3, max(0, total - 3 * n)) for n in range(8)] + [0]
    assert sum(answers) == total
    return measurement_record(by=AuditContext.system("tests"), patient=patient, instrument="phq9", answers=answers)


def test_only_an_objectives_forms_show_the_measure(owner_client, plan, tree):
    url = reverse("goal-add", args=[plan.pk])

    long_term = text(owner_client.get(url, **HTMX))
    short_term = text(owner_client.get(url, {"parent": tree["long_term"].pk}, **HTMX))
    objective = text(owner_client.get(url, {"parent": tree["short_term"].pk}, **HTMX))
    edit_long = text(owner_client.get(reverse("goal-edit", args=[tree["long_term"].pk]), **HTMX))
    edit_objective = text(owner_client.get(reverse("goal-edit", args=[tree["objective"].pk])))

    for body in (long_term, short_term, edit_long):
        assert not any(name in body for name in MEASURE_LABELS)
    for body in (objective, edit_objective):
        assert all(name in body for name in MEASURE_LABELS)
        assert '<option value="" selected>None (progress from ratings)</option>' in body
        assert '<option value="phq9">PHQ-9</option>' in body and '<option value="gad7">GAD-7</option>' in body
        assert "Blank: the last score on or before the plan&#x27;s start, else the first score after it." in body


def test_adding_an_objective_with_a_measure_makes_its_progress_follow_the_scores(owner_client, plan, tree):
    response = owner_client.post(
        reverse("goal-add", args=[plan.pk]),
        {
            "description": "PHQ-9 down to 5",
            "priority": "2",
            "parent": tree["short_term"].pk,
            "measure_instrument": "phq9",
            "measure_baseline_score": "15",
            "measure_target_score": "5",
        },
        **HTMX,
    )

    assert response.status_code == 200 and response["HX-Retarget"] == "#goal-tree"
    goal = TreatmentGoal.objects.get(description="PHQ-9 down to 5")
    assert (goal.goal_type, goal.measure_instrument, goal.measure_baseline_score, goal.measure_target_score) == (
        "objective",
        "phq9",
        15,
        5,
    )
    record_phq9(plan.patient, 10)
    goal.refresh_from_db()
    assert (goal.current_value, goal.progress_percentage) == ("10 PHQ-9", 50)


def test_editing_an_objective_sets_its_measure_with_the_default_baseline(owner_client, plan, tree):
    goal = tree["objective"]
    record_phq9(plan.patient, 20)  # before the measure: the default rule's baseline

    response = owner_client.post(
        reverse("goal-edit", args=[goal.pk]),
        edit_data(goal, measure_instrument="phq9", measure_baseline_score="", measure_target_score="4"),
    )

    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.measure_instrument, goal.measure_baseline_score, goal.measure_target_score) == ("phq9", None, 4)
    assert (goal.current_value, goal.progress_percentage) == ("20 PHQ-9", 0)
    record_phq9(plan.patient, 12)
    goal.refresh_from_db()
    assert (goal.measure_baseline_used, goal.current_value, goal.progress_percentage) == (20, "12 PHQ-9", 50)
    form = text(owner_client.get(reverse("goal-edit", args=[goal.pk]), **HTMX))
    assert '<option value="phq9" selected>PHQ-9</option>' in form and 'name="measure_target_score" value="4"' in form

    cleared = owner_client.post(
        reverse("goal-edit", args=[goal.pk]), edit_data(goal, measure_instrument="", measure_target_score="")
    )
    assert cleared.status_code == 302
    goal.refresh_from_db()
    assert (goal.measure_instrument, goal.measure_target_score) == ("", None)


def test_a_target_outside_the_instruments_range_is_refused_with_what_was_typed_kept(owner_client, plan, tree):
    goal = tree["objective"]
    before = goal.etag

    response = owner_client.post(
        reverse("goal-edit", args=[goal.pk]),
        edit_data(goal, measure_instrument="gad7", measure_baseline_score="18", measure_target_score="30"),
        **HTMX,
    )

    assert response.status_code == 200
    body = text(response)
    assert "The goal was not saved" in body
    assert f'href="#goal-{goal.pk}-measure_target_score">Target score</a>: A GAD-7 score is between 0 and 21.' in body
    assert '<option value="gad7" selected>GAD-7</option>' in body
    assert 'name="measure_baseline_score" value="18"' in body and 'name="measure_target_score" value="30"' in body
    goal.refresh_from_db()
    assert (goal.measure_instrument, goal.etag) == ("", before)


def test_an_instrument_without_a_target_is_refused_on_the_target(owner_client, plan, tree):
    response = owner_client.post(
        reverse("goal-add", args=[plan.pk]),
        {"description": "Less worry", "priority": "1", "parent": tree["short_term"].pk, "measure_instrument": "gad7"},
        **HTMX,
    )

    body = text(response)
    assert response.status_code == 200
    assert 'href="#goal-new-' in body and "Give the GAD-7 score this objective aims for." in body
    assert not TreatmentGoal.objects.filter(description="Less worry").exists()


def test_a_measure_posted_for_a_long_term_goal_is_refused(owner_client, plan, tree):
    goal = tree["long_term"]

    edited = owner_client.post(
        reverse("goal-edit", args=[goal.pk]),
        edit_data(goal, measure_instrument="phq9", measure_target_score="5"),
        **HTMX,
    )
    added = owner_client.post(
        reverse("goal-add", args=[plan.pk]),
        {"description": "Feel better", "priority": "1", "measure_instrument": "phq9", "measure_target_score": "5"},
        **HTMX,
    )

    for response in (edited, added):
        assert response.status_code == 200
        assert "<li>Only an objective is driven by a measure.</li>" in text(response)
    goal.refresh_from_db()
    assert goal.measure_instrument == ""
    assert not TreatmentGoal.objects.filter(description="Feel better").exists()


def test_the_objective_edit_form_reads_as_many_queries_with_a_measure_as_without(owner_client, plan, tree):
    goal = tree["objective"]
    url = reverse("goal-edit", args=[goal.pk])
    owner_client.get(url, **HTMX)  # the session and the user read once

    with CaptureQueriesContext(connection) as plain:
        owner_client.get(url, **HTMX)
    owner_client.post(url, edit_data(goal, measure_instrument="phq9", measure_target_score="5"))
    record_phq9(plan.patient, 9)
    with CaptureQueriesContext(connection) as measured:
        response = owner_client.get(url, **HTMX)

    assert response.status_code == 200 and '<option value="phq9" selected>' in text(response)
    assert len(measured) == len(plain)
