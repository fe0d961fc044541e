"""Outcomes by intervention across the caller's caseload (`treatment.outcomes`): the page and its CSV.

The page sorts on the server (`?sort=`, `-` first for descending), so it works without JavaScript; the CSV
is the same rows in the same order. Reading the page is a view event and downloading the CSV an export event,
each naming the scope, the period and the number of rows, never a patient (`accounts.audit.audit_aggregate`).
"""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.urls import path
from django.views.generic import TemplateView

from accounts.audit import Action, AuditContext
from accounts.audit_report import Echo
from accounts.pages import RecordPage
from treatment import outcomes
from treatment.charts import bar_chart_svg
from treatment.outcome_forms import OutcomesPeriodForm


def period_form(request: HttpRequest) -> OutcomesPeriodForm:
    """The period asked for, validated; with nothing asked the inputs show the default period."""
    today = request.user.practice.today()  # type: ignore[union-attr]
    data = request.GET.copy()
    if not (data.get("since") or data.get("until")):
        since, until = outcomes.default_period(today)
        data["since"], data["until"] = since.isoformat(), until.isoformat()
    return OutcomesPeriodForm(data, today=today)


def sort_of(request: HttpRequest) -> str:
    sort = request.GET.get("sort", outcomes.DEFAULT_SORT)
    return sort if sort.removeprefix("-") in outcomes.SORT_KEYS else outcomes.DEFAULT_SORT


class OutcomesPage(RecordPage, TemplateView):
    """The table (sortable by every column), a chart of mean progress change, the period filter, the CSV link."""

    template_name = "treatment/outcomes.html"
    practice_required = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = period_form(self.request)
        sort = sort_of(self.request)
        context = super().get_context_data(form=form, sort=sort, minimum_cell=outcomes.MINIMUM_CELL, **kwargs)
        if not form.is_valid():
            return context
        since, until = form.period
        report = outcomes.outcomes_by_intervention(self.request.user, since=since, until=until)  # type: ignore[arg-type]
        outcomes.audit_figures(AuditContext.from_request(self.request), Action.VIEW, report)
        charted = [
            (row.name, float(row.mean_progress_change.value))
            for row in report.sorted_by("-mean_progress_change")
            if row.mean_progress_change.value is not None
        ]
        query = {"since": since.isoformat(), "until": until.isoformat()}
        context.update(
            report=report,
            rows=report.sorted_by(sort),
            headers=headers(sort, query),
            query=query,
            chart=bar_chart_svg(charted, label="Mean progress change by intervention", unit="percentage points"),
            charted=len(charted),
        )
        return context

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        status = 200 if context["form"].is_valid() else 400
        return super().render_to_response(context, status=status, **kwargs)


def headers(sort: str, query: dict[str, str]) -> list[dict[str, str]]:
    """The table's column headings: each with the link that sorts by it (ascending first, then the other way),
    and `aria-sort` on the column the table is sorted by."""
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    columns = [("intervention", "Intervention"), *outcomes.COLUMNS]
    out = []
    for key, heading in columns:
        active = key == current
        next_sort = f"-{key}" if active and not descending else key
        out.append(
            {
                "key": key,
                "heading": heading,
                "href": "?" + urlencode({**query, "sort": next_sort}),
                "aria_sort": ("descending" if descending else "ascending") if active else "",
            }
        )
    return out


class OutcomesCsv(RecordPage):
    """The page's rows as CSV, in its order, suppressed cells as "< 5"; audited as an export."""

    practice_required = True

    def get(self, request: HttpRequest) -> HttpResponseBase:
        form = period_form(request)
        if not form.is_valid():
            errors = "; ".join(
                f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in form.errors.items()
            )
            return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
        since, until = form.period
        report = outcomes.outcomes_by_intervention(request.user, since=since, until=until)  # type: ignore[arg-type]
        outcomes.audit_figures(AuditContext.from_request(request), Action.EXPORT, report)
        writer = csv.writer(Echo())
        lines = (writer.writerow(line) for line in outcomes.csv_rows(report, report.sorted_by(sort_of(request))))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="outcomes-by-intervention-{since:%Y%m%d}-{until:%Y%m%d}.csv"'
        )
        return response


urlpatterns = [
    path("outcomes/interventions/", OutcomesPage.as_view(), name="intervention-outcomes"),
    path("outcomes/interventions.csv", OutcomesCsv.as_view(), name="intervention-outcomes-csv"),
]
