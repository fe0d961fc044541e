"""An amendment and a signature of the same plan, on real PostgreSQL connections (issue 13).

The signing side holds the plan's lock (`lock_plan`, as the signing service does) and signs version 2; an
amendment starts meanwhile and must wait for it (`pg_blocking_pids` says it does), then read the plan as signed:
it amends version 2 and leaves the plan `amended_unsigned`. Were the amendment not behind the plan lock it would
not wait (the test fails waiting for it to block) and would record that it amends version 1, while the signature
that committed meanwhile would claim the changed plan as signed. Every event stays on the audit chain.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.audit import AuditContext
from accounts.audit_verify import verify_chain
from accounts.models import AuditEvent
from tests.factories import GoalFactory, mark_signed
from tests.treatment.test_audit_lock_order import postgres_only, write_while_held  # noqa: F401 (the fixture)
from treatment.models import PlanAmendment, TreatmentPlan
from treatment.services import goal_update, lock_plan

pytestmark = pytest.mark.django_db(transaction=True)


def sign_version_2(plan: TreatmentPlan) -> None:
    """What re-signing does to the plan row, under the lock the holder already took."""
    TreatmentPlan.objects.filter(pk=plan.pk).update(
        signature_status="signed", signed_version=2, first_signed_at=timezone.now()
    )


@pytest.mark.parametrize("round_", range(3))
def test_an_amendment_waits_for_a_signature_in_progress_and_amends_what_was_signed(owner, plan, round_):
    goal = GoalFactory(plan=plan, description="Sleep through the night")
    mark_signed(plan)
    TreatmentPlan.objects.filter(pk=plan.pk).update(signature_status="awaiting_supervisor")
    by = AuditContext(user=owner)

    write_while_held(
        writer=lambda: goal_update(by=by, goal=goal, description="Sleep most nights", amendment_reason="Softer target"),
        hold=lambda: lock_plan(plan.pk),
        then=lambda: sign_version_2(plan),
    )

    amendment = PlanAmendment.objects.get()
    assert amendment.amends_version == 2
    stored = TreatmentPlan.objects.get(pk=plan.pk)
    assert (stored.signature_status, stored.signed_version) == ("amended_unsigned", 2)
    assert verify_chain().checked == AuditEvent.objects.count()
