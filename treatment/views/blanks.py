"""Fill in the blanks: the values a plan template left as `[[hint]]` placeholders, all in one form.

The plan page shows the form above the goal tree while blanks are left; `/plans/<pk>/blanks/` saves it
(`services.blanks.goal_values_fill`: every goal in one write). With htmx the form and the tree are swapped in place;
without JavaScript it is a plain form post, and a refusal comes back on the form's page of its own. Either way a
refusal keeps everything typed. Each goal stays editable one by one through the tree's own forms too.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import patch_vary_headers

from accounts.audit import Action, audit_record
from accounts.concurrency import StaleWrite
from treatment.models import TreatmentPlan
from treatment.selectors import plan_tree
from treatment.services.blanks import goal_values_fill
from treatment.template_forms import BlanksForm
from treatment.views import amending
from treatment.views.base import PlanPage, respond
from treatment.views.tree import blanks_form, plan_blanks, tree_context, tree_order

BLANKS_CONFLICT = (
    "Someone else changed one of these goals first. What you typed is kept below but not saved: check it against "
    "the plan, then save again to replace it."
)


class PlanBlanksView(PlanPage):
    """`/plans/<pk>/blanks/`: GET the form on a page of its own; POST saves every value typed and returns to the
    plan page."""

    required_action = "change"
    http_method_names = ["get", "post"]
    template_name = "treatment/plan_blanks.html"

    def make_form(self, data=None) -> BlanksForm:
        return blanks_form(self.request, self.plan, tree_order(plan_tree(self.plan).roots), data)

    def render_form(self, form: BlanksForm):
        """The form with what was typed: in place for htmx (the plan page's section), else on its own page."""
        plan = self.plan
        context = {"plan": plan, "patient": plan.patient, "blanks": form}
        return respond(self.request, "treatment/_plan_blanks.html", self.template_name, context)

    def get(self, request, *args, **kwargs):
        audit_record(self.audit, Action.VIEW, self.plan)
        return self.render_form(self.make_form())

    def post(self, request, *args, **kwargs):
        plan = self.plan
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        values = form.values()
        if not values:
            messages.info(request, "Nothing was filled in.")
            return redirect(plan)
        reason = amending.reason_for_write(form, request, plan)
        try:
            saved = goal_values_fill(
                by=self.audit, plan=plan, values=values, etags=form.etags(), amendment_reason=reason
            )
        except StaleWrite:
            form.add_error(None, BLANKS_CONFLICT)
            form.refresh_etags()
            return self.render_form(form)
        except ValidationError as error:
            form.add_service_errors(error.message_dict if hasattr(error, "error_dict") else {"": error.messages})
            return self.render_form(form)
        amending.after_write(request, plan, reason)
        filled = sum(len(fields) for fields in values.values())
        message = f"Filled in {filled} value{'s' if filled != 1 else ''}."
        if request.htmx:
            return self.saved_in_place(saved, message)
        messages.success(request, message)
        return redirect(f"{plan.get_absolute_url()}#goal-tree")

    def saved_in_place(self, plan: TreatmentPlan, message: str):
        """For htmx: the form as it now stands (or that nothing is left) and the goal tree, swapped out of band
        (progress and the SMART hints of the goals changed)."""
        context = tree_context(plan, can_change=True, amending_reason=amending.session_reason(self.request, plan))
        context.update(
            blanks=plan_blanks(self.request, plan, context["roots"], editable=True),
            blanks_message=message,
            tree_oob=True,
        )
        response = render(self.request, "treatment/_plan_blanks_saved.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response


urlpatterns = [
    path("plans/<uuid:pk>/blanks/", PlanBlanksView.as_view(), name="plan-blanks"),
]
