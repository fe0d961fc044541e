"""The dashboard's plans awaiting signatures (a clinician's own by what they await, a supervisor's supervisees'
awaiting the co-signature, a practice admin's as figures) and Treatment Plan Currency's signed figure."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.selectors import plan_currency, signature_queues
from tests.factories import PatientFactory, PlanFactory
from tests.reviews.test_signing import sign_staff
from treatment.models import TreatmentPlan

pytestmark = pytest.mark.django_db

DASHBOARD = "/dashboard/"


def section(client, user) -> str:
    client.force_login(user)
    html = client.get(DASHBOARD).content.decode()
    if 'id="signatures-heading"' not in html:
        return ""
    start = html.index('id="signatures-heading"')
    return html[start : html.index("</section>\n", html.index('class="dashboard-section awaiting-signatures"'))]


def test_a_clinician_sees_their_plans_by_the_signature_they_await(client, owner, supervisor, plan, tree):
    board = signature_queues(owner)
    assert ([p.pk for p in board.to_sign], board.awaiting_client, board.total) == ([plan.pk], [], 1)
    assert "Awaiting your signature (1)" in section(client, owner)
    sign_staff(owner, plan)
    board = signature_queues(owner)
    assert (board.to_sign, [p.pk for p in board.awaiting_client]) == ([], [plan.pk])
    html = section(client, owner)
    assert "Awaiting the client's signature (1)" in html
    assert f"/plans/{plan.pk}/" in html
    # The owner does not need supervision: nothing waits on the supervisor.
    assert signature_queues(supervisor).total == 0
    assert section(client, supervisor) == ""


def test_a_supervisor_sees_supervisees_plans_awaiting_the_cosignature(client, owner, supervisor, practice, plan, tree):
    practice.require_client_signature = False
    practice.save(update_fields=["require_client_signature"])
    owner.needs_supervision = True
    owner.save(update_fields=["needs_supervision"])
    sign_staff(owner, plan)
    assert [p.pk for p in signature_queues(owner).awaiting_supervisor] == [plan.pk]
    assert [p.pk for p in signature_queues(supervisor).to_cosign] == [plan.pk]
    html = section(client, supervisor)
    assert "Awaiting your co-signature (1)" in html
    assert owner.full_name in html
    sign_staff(supervisor, plan, role="supervisor")
    assert signature_queues(supervisor).total == signature_queues(owner).total == 0


def test_a_practice_admin_sees_figures(client, owner, practice_admin, patient, plan, tree):
    other = PlanFactory(patient=patient, title="Second plan")
    sign_staff(owner, plan)
    board = signature_queues(practice_admin)
    assert board.plans == []
    assert board.counts == {"unsigned": 1, "awaiting_client": 1, "awaiting_supervisor": 0, "amended_unsigned": 0}
    html = section(client, practice_admin)
    assert "Awaiting the client&#x27;s signature</th><td>1</td>" in html
    assert f"/plans/{other.pk}/" not in html


def test_currency_counts_current_plans_and_current_signed_plans(client, owner, practice, plan, tree):
    practice.require_client_signature = False
    practice.save(update_fields=["require_client_signature"])
    PatientFactory(primary_therapist=owner, first_name="Sam", last_name="Ode")  # no plan: not current
    TreatmentPlan.objects.filter(pk=plan.pk).update(next_review_date=practice.today() + datetime.timedelta(days=30))
    currency = plan_currency(owner, practice.today())
    assert (currency.current, currency.current_signed, currency.total) == (1, 0, 2)
    sign_staff(owner, plan)
    currency = plan_currency(owner, practice.today())
    assert (currency.current, currency.current_signed, currency.total, currency.signed_percent) == (1, 1, 2, 50)
    client.force_login(owner)
    assert "1 of 2 (50%) has a current plan that is signed" in client.get(DASHBOARD).content.decode()


@pytest.mark.parametrize("role", ["owner", "supervisor", "practice_admin"])
def test_the_lists_cost_the_same_queries_for_2_and_20_plans(client, cast, owner, practice, role):
    owner.needs_supervision = True
    owner.save(update_fields=["needs_supervision"])
    practice.require_client_signature = False
    practice.save(update_fields=["require_client_signature"])
    user = cast[role]

    def add_plans(count):
        for index in range(count):
            patient = PatientFactory(primary_therapist=owner, first_name=f"N{index}", last_name="Many")
            plan = PlanFactory(patient=patient, title=f"Plan {index}")
            if index % 2:
                sign_staff(owner, plan)  # awaiting the supervisor

    def queries() -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DASHBOARD).status_code == 200
        return len(captured)

    add_plans(2)
    few = queries()
    add_plans(18)
    assert queries() == few
    assert signature_queues(user).total == (20 if role != "supervisor" else 10)


def test_the_lists_reuse_the_plans_the_page_holds_and_load_only_the_others(
    owner, supervisor, practice, django_assert_num_queries
):
    """The dashboard hands the selector its caseload's plans: the same lists, read as which plans wait, with only
    the plans it does not hold loaded (one more query, none when it holds them all)."""
    owner.needs_supervision = True
    owner.save(update_fields=["needs_supervision"])
    practice.require_client_signature = False
    practice.save(update_fields=["require_client_signature"])
    for index in range(3):
        plan = PlanFactory(patient=PatientFactory(primary_therapist=owner, first_name=f"N{index}", last_name="Many"))
        sign_staff(owner, plan)  # awaiting the supervisor
    fresh = signature_queues(supervisor)
    held = fresh.to_cosign[1]

    with django_assert_num_queries(2):
        reused = signature_queues(supervisor, known={held.pk: held})
    assert [p.pk for p in reused.to_cosign] == [p.pk for p in fresh.to_cosign] and len(fresh.to_cosign) == 3
    assert reused.to_cosign[1] is held and reused.total == fresh.total == 3
    with django_assert_num_queries(1):
        assert signature_queues(supervisor, known={p.pk: p for p in fresh.plans}).to_cosign == fresh.to_cosign
