"""The dashboard: what needs review, reviews awaiting the user's co-signature, measures due, the caseload (a
supervisor's and an admin's by therapist), notifications."""

from django.urls import path
from django.views.generic import TemplateView

from accounts.audit import Action, AuditContext, audit_record_many
from reviews import selectors
from treatment.measure_selectors import plans_with_measures_due


class DashboardView(TemplateView):
    template_name = "reviews/dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        today = selectors.today_for(user)
        caseload = selectors.caseload(user, today)
        awaiting_cosign = list(selectors.reviews_awaiting_cosign(user))
        # The measures due on the user's own plans (three queries, however many); a practice admin carries none.
        due_plans = plans_with_measures_due([row.plan for row in caseload.mine], today)
        # Every plan on the page is a read of that patient's record (once, though it may show in two sections).
        shown = {plan.pk: plan for plan in caseload.plans}
        for review in awaiting_cosign:
            shown.setdefault(review.plan_id, review.plan)
        audit_record_many(AuditContext.from_request(self.request), Action.VIEW, shown.values())
        return super().get_context_data(
            today=today,
            caseload=caseload,
            awaiting_cosign=awaiting_cosign,
            due_plans=due_plans,
            currency=selectors.plan_currency(user, today),
            latest_notifications=selectors.latest_unread_notifications(user),
            lead_days=user.practice.review_reminder_lead_days if user.practice_id else None,
            **kwargs,
        )


urlpatterns = [path("dashboard/", DashboardView.as_view(), name="dashboard")]
