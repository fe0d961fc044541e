"""The dashboard: what needs review, reviews awaiting the user's co-signature, plans awaiting signatures, the
caseload (a supervisor's and an admin's by therapist), notifications."""

from typing import cast

from django.urls import path
from django.views.generic import TemplateView

from accounts.audit import Action, AuditContext, audit_record_many
from accounts.models import User
from reviews import selectors


class DashboardView(TemplateView):
    template_name = "reviews/dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        today = selectors.today_for(user)
        caseload = selectors.caseload(user, today)
        awaiting_cosign = list(selectors.reviews_awaiting_cosign(user))
        signatures = selectors.signature_queues(cast(User, user))  # signed in: the login middleware saw to it
        # Every plan on the page is a read of that patient's record (once, though it may show in two sections).
        shown = {plan.pk: plan for plan in caseload.plans}
        for review in awaiting_cosign:
            shown.setdefault(review.plan_id, review.plan)
        for plan in (
            *signatures.to_sign,
            *signatures.awaiting_client,
            *signatures.awaiting_supervisor,
            *signatures.to_cosign,
        ):
            shown.setdefault(plan.pk, plan)
        audit_record_many(AuditContext.from_request(self.request), Action.VIEW, shown.values())
        return super().get_context_data(
            today=today,
            caseload=caseload,
            awaiting_cosign=awaiting_cosign,
            signatures=signatures,
            currency=selectors.plan_currency(user, today),
            latest_notifications=selectors.latest_unread_notifications(user),
            lead_days=user.practice.review_reminder_lead_days if user.practice_id else None,
            **kwargs,
        )


urlpatterns = [path("dashboard/", DashboardView.as_view(), name="dashboard")]
