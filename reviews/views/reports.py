"""Progress report pages: ask for a PDF report of a plan, follow its status, download it.

- `plan-report-create` (POST /plans/<pk>/reports/): asks for a report; back to the plan page with a
  message, or (htmx) the new report's status item for the plan page's list.
- `report-detail` (/reports/<pk>/): the report's status page; for htmx the status item alone, which
  polls itself every 2 s while the report is queued or rendering.
- `report-pdf` (/reports/<pk>/pdf/): the PDF as an attachment, audited as an export. A report that is
  not ready answers 409 with its status page.

Reading the plan is enough for all three (a supervisor may ask for a report). Every read is audited, the
status polls included (they stop after POLL_WINDOW, so a page left open on a stopped worker stops too).
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.views.generic import DetailView
from django_htmx.http import reswap, retarget

from accounts.audit import Action, audit_record
from accounts.forms import ClinicalDateField, add_service_error
from accounts.pages import AuditedDetailMixin
from reviews.models import ProgressReport, ReportStatus
from reviews.reports.download import pdf_response
from reviews.services.reports import report_request
from treatment.models import TreatmentPlan
from treatment.views.base import PlanPage

#: A status item stops polling when its report has waited this long (a stopped worker): "check again later".
POLL_WINDOW = datetime.timedelta(minutes=10)


class ReportRequestForm(forms.Form):
    """The period of a report, both dates optional (the service fills in the last 30 days), and whether the PDF
    lists the sessions' notes (a box ticked at first: an unticked box sends nothing, which is "no")."""

    period_start = ClinicalDateField(label="Period start", required=False)
    period_end = ClinicalDateField(label="Period end", required=False)
    include_narratives = forms.BooleanField(label="Include session notes", required=False, initial=True)

    #: The template names the date inputs itself; the error summary links to them.
    error_anchors = {"period_start": "report-period-start", "period_end": "report-period-end"}


def _status_context(report: ProgressReport) -> dict:
    waiting = report.status in (ReportStatus.PENDING, ReportStatus.RENDERING)
    return {"report": report, "poll": waiting and timezone.now() - report.created_at < POLL_WINDOW}


def _form_context(plan: TreatmentPlan, form: ReportRequestForm) -> dict:
    return {"plan": plan, "report_form": form}


class PlanReportCreateView(PlanPage):
    """POST: ask for a PDF progress report of the plan over the period given (default: the last 30 days).

    A supervisor may ask for a report: viewing the plan is enough.
    """

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        plan = self.plan
        form = ReportRequestForm(request.POST)
        if form.is_valid():
            try:
                report = report_request(by=self.audit, plan=plan, **form.cleaned_data)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                return self.created(request, plan, report)
        if request.htmx:
            # The errors go where the form is, with what was typed kept.
            response = render(request, "reviews/_report_form.html", _form_context(plan, form))
            return reswap(retarget(response, "#report-form"), "outerHTML")
        return render(request, "reviews/report_request.html", _form_context(plan, form), status=400)

    def created(self, request, plan, report):
        if request.htmx:
            first = not plan.progress_reports.exclude(pk=report.pk).exists()
            context = {**_status_context(report), "plan": plan, "first": first}
            return render(request, "reviews/_report_created.html", context, status=201)
        messages.success(
            request,
            f"The PDF report for {date_format(report.period_start)} to {date_format(report.period_end)} "
            "is being prepared; it appears under Progress reports when ready.",
        )
        return redirect(f"{plan.get_absolute_url()}#plan-reports")


class ReportPage(PlanPage):
    model = ProgressReport
    plan_path = "plan"
    select_related = ("requested_by",)


class ReportDetailView(ReportPage, AuditedDetailMixin, DetailView):
    """A report's status: the page, or (htmx) the status item, which polls while the report is not final."""

    template_name = "reviews/report_detail.html"

    def get_template_names(self):
        return ["reviews/_report_status.html"] if self.request.htmx else [self.template_name]

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_status_context(self.object)}

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        patch_vary_headers(response, ["HX-Request"])
        return response


class ReportPdfView(ReportPage):
    """The PDF of a ready report, as an attachment; 409 and the status page otherwise."""

    def get(self, request, *args, **kwargs):
        report = self.object
        audit = self.audit
        if report.status != ReportStatus.READY:
            audit_record(audit, Action.VIEW, report)
            context = {**_status_context(report), "not_ready": True}
            return render(request, "reviews/report_detail.html", context, status=409)
        response = pdf_response(report)
        audit_record(audit, Action.EXPORT, report)
        return response


urlpatterns = [
    path("plans/<uuid:pk>/reports/", PlanReportCreateView.as_view(), name="plan-report-create"),
    path("reports/<uuid:pk>/", ReportDetailView.as_view(), name="report-detail"),
    path("reports/<uuid:pk>/pdf/", ReportPdfView.as_view(), name="report-pdf"),
]
