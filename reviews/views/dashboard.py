"""The dashboard: what needs review, the caseload (a supervisor's and an admin's by therapist), notifications."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import path
from django.views.generic import TemplateView

from accounts.audit import Action, AuditContext, audit_record_many
from reviews import selectors


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "reviews/dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        today = selectors.today_for(user)
        caseload = selectors.caseload(user, today)
        # Every plan on the page is a read of that patient's record.
        audit_record_many(AuditContext.from_request(self.request), Action.VIEW, caseload.plans)
        return super().get_context_data(
            today=today,
            caseload=caseload,
            currency=selectors.plan_currency(user, today),
            latest_notifications=selectors.latest_unread_notifications(user),
            lead_days=user.practice.review_reminder_lead_days if user.practice_id else None,
            **kwargs,
        )


urlpatterns = [path("dashboard/", DashboardView.as_view(), name="dashboard")]
