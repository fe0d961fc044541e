"""Progress reports in Django admin: read-only, each practice admin sees their own practice's.

Reports are asked for in the app, the API or by the monthly schedule, and written only by the worker.
Here an admin sees which were made, which failed and why, and can send failed or lost ones back to the
worker ("Render again", through `reviews.services.reports.report_retry`). The PDF is downloaded through
the app's own page, which checks access and audits the export.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin_base import ReadOnlyAdmin
from reviews.models import ProgressReport, ReportStatus
from reviews.services.reports import report_retry


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    """Which PDF reports were asked for, by whom, and how their render went."""

    practice_lookup = "plan__patient__practice"
    audit_reads = True
    list_display = ["plan", "period_start", "period_end", "status", "requester", "attempts", "created_at", "pdf"]
    list_filter = ["status"]
    search_fields = ["plan__patient__last_name", "plan__patient__external_id", "plan__title"]
    date_hierarchy = "created_at"
    list_select_related = ["plan__patient", "requested_by"]
    fields = [
        "plan",
        "period_start",
        "period_end",
        "status",
        "requester",
        "attempts",
        "error",
        "created_at",
        "completed_at",
        "pdf",
    ]
    readonly_fields = fields
    actions = ["render_again"]

    @admin.display(description="Requested by", ordering="requested_by__full_name")
    def requester(self, obj):
        return obj.requested_by or "Monthly schedule"

    @admin.display(description="PDF")
    def pdf(self, obj):
        if obj.status != ReportStatus.READY:
            return "—"
        return format_html('<a href="{}">Download</a>', reverse("report-pdf", args=[obj.pk]))

    @admin.action(description="Render again (failed or stuck reports)")
    def render_again(self, request, queryset):
        audit = self.audit_context(request)
        sent = 0
        for report in queryset.exclude(status=ReportStatus.READY).select_related("plan__patient"):
            try:
                report_retry(by=audit, report=report)
            except (PermissionDenied, ValidationError) as refused:
                self.message_user(request, f"{report}: {refused}", messages.ERROR)
            else:
                sent += 1
        skipped = queryset.filter(status=ReportStatus.READY).count()
        self.message_user(
            request, f"{sent} report(s) sent back to the worker; {skipped} ready report(s) left as they are."
        )
