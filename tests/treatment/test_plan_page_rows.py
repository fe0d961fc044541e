"""The plan page's banner and goal rows as the server renders them: who the plan is for (age, date of
birth, MRN when there is one, diagnoses, status), one actions menu per goal, a goal's empty values left
out, its last rating on its row, and the details of the goal just written open after an htmx write."""

import datetime
import re

import pytest
from django.urls import reverse

from accounts.audit import AuditContext
from accounts.models import Patient
from tests.factories import GoalFactory
from tests.support import shown as shown_date
from treatment.services import plan_update, progress_record
from treatment.views.plans import age_on

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def page(client, plan) -> str:
    response = client.get(reverse("plan-detail", args=[plan.pk]))
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def banner(body: str) -> str:
    return re.search(r'<section class="patient-banner".*?</section>', body).group(0)


def test_the_banner_shows_who_the_plan_is_for(owner_client, patient, plan):
    Patient.objects.filter(pk=patient.pk).update(external_id="RCC-2044", date_of_birth=datetime.date(1990, 5, 17))
    plan_update(by=AuditContext.system("tests"), plan=plan, diagnosis_codes=[{"code": "F41.1"}])
    today = patient.practice.today()

    shown = banner(page(owner_client, plan))

    assert f'<a href="{patient.get_absolute_url()}">Emily Carter</a>' in shown
    assert f"<dt>Age</dt><dd>{age_on(datetime.date(1990, 5, 17), today)}</dd>" in shown
    assert "<dt>Date of birth</dt><dd>17 May 1990</dd>" in shown
    assert "<dt>MRN</dt><dd>RCC-2044</dd>" in shown
    assert '<span class="chip-code">F41.1</span> Generalized anxiety disorder' in shown
    assert '<dt>Plan status</dt><dd><span class="badge badge-active">Active</span></dd>' in shown


def test_the_banner_leaves_out_an_mrn_the_patient_does_not_have(owner_client, patient, plan):
    assert patient.external_id == ""

    assert "MRN" not in banner(page(owner_client, plan))


def test_age_counts_full_years():
    born = datetime.date(1990, 5, 17)
    assert age_on(born, datetime.date(2026, 5, 16)) == 35
    assert age_on(born, datetime.date(2026, 5, 17)) == 36
    assert age_on(datetime.date(2000, 2, 29), datetime.date(2026, 2, 28)) == 25
    assert age_on(datetime.date(2000, 2, 29), datetime.date(2026, 3, 1)) == 26


def test_each_goal_has_one_actions_menu_and_no_row_of_buttons(owner_client, plan, tree):
    body = page(owner_client, plan)

    assert body.count('<details class="goal-menu">') == 3
    assert body.count('class="goal-card ') == 3
    assert 'aria-label="Actions for: Practice deep breathing daily"' in body
    assert "goal-actions" not in body
    for action in ("Edit goal", "Add intervention", "Add short-term goal", "Add objective"):
        assert f">{action}</a>" in body, action


def test_empty_values_are_left_out(owner_client, plan):
    GoalFactory(plan=plan, description="A goal with nothing measured yet")
    GoalFactory(plan=plan, description="A goal with a target only", target_value="3 days", priority=2)

    body = page(owner_client, plan)

    assert "—" not in body
    assert body.count('class="goal-trajectory"') == 1
    assert '<dd><span class="muted">target</span> 3 days</dd>' in body
    assert "Baseline" not in body and "current" not in body


def test_the_row_shows_the_last_rating_or_that_there_is_none(owner_client, plan, tree):
    by = AuditContext.system("tests")
    day = plan.patient.practice.today()
    progress_record(by=by, goal=tree["objective"], progress_note="Week one", rating=3)
    progress_record(by=by, goal=tree["objective"], progress_note="Week two", rating=6)

    body = page(owner_client, plan)

    assert f'<span class="goal-last-rating">Last rating 6/10 · {shown_date(day)}</span>' in body
    # The goals above it are rollups of it: no "not rated" on them.
    assert "Not rated yet" not in body


def test_after_an_htmx_write_the_goal_written_shows_its_details(owner_client, plan, tree):
    objective = tree["objective"]
    response = owner_client.post(
        reverse("goal-move", args=[objective.pk]), {"direction": "up", "etag": objective.etag}, **HTMX
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert f'<details class="goal-details" id="goal-{objective.pk}-details" open>' in body
    assert body.count('class="goal-details"') == 3 and body.count(" open>") == 1
