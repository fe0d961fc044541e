"""The progress report API: ask for a PDF report of a plan, follow its status, download it.

- `POST /treatment-plans/{plan_id}/progress-reports` `{"period_start", "period_end", "include_narratives"}` (all
  optional: the last 30 days, with the sessions' notes) answers 202 with the queued report; a worker renders it.
- `GET /treatment-plans/{plan_id}/progress-reports` lists the plan's reports, newest first.
- `GET /progress-reports/{report_id}`: status, period, error, and `download_url` once it is ready.
- `GET /progress-reports/{report_id}/pdf`: the PDF (audited as an export). A report that is not ready yet, or
  failed, answers **409 Conflict** with its status: the report exists, its file does not (yet).

Reading the plan is enough to ask for and download its reports (a supervisor may). What the caller may
not see is a 404, decided before the body is read.
"""

from django.urls import re_path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.base import NestedMixin, PatientDataViewSet
from accounts.api.fields import ClinicalDateField, ModelSerializer, StrictBooleanField, StrictCharField
from accounts.api.routers import UUID
from accounts.audit import Action, audit_record
from reviews.models import ProgressReport, ReportStatus
from reviews.reports.download import pdf_response
from reviews.services.reports import report_request
from treatment.models import TreatmentPlan

# --- serializers -------------------------------------------------------------------------------


class ProgressReportRequestSerializer(serializers.Serializer):
    """The body of POST /treatment-plans/{plan_id}/progress-reports."""

    period_start = ClinicalDateField(
        required=False, allow_null=True, help_text="Defaults to 29 days before the period's end (30 days in all)."
    )
    period_end = ClinicalDateField(
        required=False, allow_null=True, help_text="Defaults to today in the practice's time zone; not in the future."
    )
    include_narratives = StrictBooleanField(
        default=True,
        help_text="List each session of the period with its notes, each goal's progress note and the addenda.",
    )


class ProgressReportSerializer(ModelSerializer):
    plan_id = serializers.UUIDField(read_only=True)
    requested_by_id = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="Null for the monthly reports the schedule asks for."
    )
    requested_by_name = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "plan_id",
            "period_start",
            "period_end",
            "include_narratives",
            "status",
            "error",
            "attempts",
            "requested_by_id",
            "requested_by_name",
            "created_at",
            "completed_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_requested_by_name(self, report) -> str | None:
        return report.requested_by.get_full_name() if report.requested_by_id else None

    def get_error(self, report) -> str | None:
        """Why the last render attempt failed (a pending report may be waiting for its retry)."""
        return report.error or None

    def get_download_url(self, report) -> str | None:
        """The absolute URL of the PDF once the report is ready, else null."""
        if report.status != ReportStatus.READY:
            return None
        path = reverse("api:progress-report-pdf", kwargs={"report_id": report.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ReportNotReadySerializer(serializers.Serializer):
    detail = StrictCharField()
    status = serializers.ChoiceField(choices=ReportStatus.choices)


# --- views -------------------------------------------------------------------------------------


def _reports(queryset):
    # The plan's patient comes along: the audit names it for every report read.
    return queryset.select_related("plan__patient", "requested_by")


@extend_schema_view(
    list=extend_schema(summary="List a plan's progress reports, newest first"),
    create=extend_schema(
        summary="Ask for a PDF progress report of a plan (rendered in the background)",
        request=ProgressReportRequestSerializer,
        responses={202: ProgressReportSerializer},
    ),
)
class PlanProgressReportViewSet(NestedMixin, PatientDataViewSet):
    """`/treatment-plans/{plan_id}/progress-reports`: a plan's reports; POST asks for a new one."""

    lookup_url_kwarg = "report_id"
    queryset = ProgressReport.objects.all()
    serializer_class = ProgressReportSerializer
    parent_model = TreatmentPlan
    parent_kwarg = "plan_id"
    parent_select = ("patient__practice",)

    def get_queryset(self):
        return _reports(super().get_queryset().filter(plan=self.parent()))

    def create(self, request, *args, **kwargs):
        # Viewing the plan is enough to ask for its report; 404 comes before any 400.
        plan = self.parent()
        body = ProgressReportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = report_request(by=self.audit, plan=plan, **body.validated_data)
        data = ProgressReportSerializer(report, context=self.get_serializer_context()).data
        location = request.build_absolute_uri(reverse("api:progress-report-detail", kwargs={"report_id": report.pk}))
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


@extend_schema_view(retrieve=extend_schema(summary="Get a progress report's status (and its download URL)"))
class ProgressReportViewSet(PatientDataViewSet):
    """`/progress-reports/{report_id}`: where a report stands; `/progress-reports/{report_id}/pdf`: the PDF itself."""

    lookup_url_kwarg = "report_id"
    queryset = ProgressReport.objects.all()
    serializer_class = ProgressReportSerializer

    def get_queryset(self):
        return _reports(super().get_queryset())

    def perform_content_negotiation(self, request, force=False):
        # The PDF is a file, not a rendering of data: `Accept: application/pdf` must not be a 406,
        # and the errors on that path are JSON whatever the client accepts.
        return super().perform_content_negotiation(request, force=force or self.action == "pdf")

    @extend_schema(
        summary="Download a ready progress report as PDF",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF, as an attachment."),
            409: OpenApiResponse(ReportNotReadySerializer, description="The report is not ready (or failed)."),
        },
    )
    def pdf(self, request, *args, **kwargs):
        report = self.get_object()
        if report.status != ReportStatus.READY:
            detail = {
                ReportStatus.PENDING: "The report is queued; download it when its status is ready.",
                ReportStatus.RENDERING: "The report is being rendered; download it when its status is ready.",
                ReportStatus.FAILED: f"The report could not be rendered ({report.error}); ask for a new one.",
            }[report.status]
            return Response({"detail": detail, "status": report.status}, status=status.HTTP_409_CONFLICT)
        response = pdf_response(report)
        audit_record(self.audit, Action.EXPORT, report)
        return response


urlpatterns = [
    re_path(
        rf"^treatment-plans/(?P<plan_id>{UUID})/progress-reports/?$",
        PlanProgressReportViewSet.as_view({"get": "list", "post": "create"}),
        name="plan-progress-report-list",
    ),
    re_path(
        rf"^progress-reports/(?P<report_id>{UUID})/?$",
        ProgressReportViewSet.as_view({"get": "retrieve"}),
        name="progress-report-detail",
    ),
    re_path(
        rf"^progress-reports/(?P<report_id>{UUID})/pdf/?$",
        ProgressReportViewSet.as_view({"get": "pdf"}),
        name="progress-report-pdf",
    ),
]
