"""The plan review API: record a review (which seals a version), list and read reviews, co-sign; read versions.

- `POST /treatment-plans/{plan_id}/review` records a review (the spec's path); `GET` there lists them.
- `/treatment-plans/{plan_id}/reviews[/{review_id}]` lists and reads reviews; `POST .../{review_id}/cosign` co-signs.
- `/treatment-plans/{plan_id}/versions[/{n}]` lists and reads the sealed versions; `.../{n}/diff?against=m|current`
  says what changed from version n to version m or to the live plan.
- `GET /treatment-plans/{plan_id}/versions/{n}/document`: the treatment-plan document (PDF) of a fully signed
  version; 202 with its status while the worker renders it (the first request queues it); 404 for a version
  that is not fully signed.

Access follows the plan: not visible -> 404, visible but not changeable -> 403, decided before the body is read.
Co-signing is the exception: the supervisor who may co-sign only reads the plan, so the service decides.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import re_path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.base import NestedReadMixin, PatientDataViewSet
from accounts.api.concurrency import IF_MATCH, if_match
from accounts.api.fields import ClinicalDateField, ModelSerializer, StrictCharField
from accounts.api.routers import UUID, OptionalSlashRouter
from accounts.audit import Action, audit_record, audit_record_many
from accounts.models import User
from reviews.amendment_reasons import amendments_between
from reviews.models import PlanDocument, PlanReview, PlanVersion, ReportStatus
from reviews.reports.download import pdf_response
from reviews.services.documents import document_request
from reviews.services.reviews import GOAL_CHANGE_FIELDS, REVIEW_FIELDS, review_cosign, review_record
from reviews.snapshots import plan_snapshot, snapshot_diff
from treatment.api.serializers import PlanAmendmentSerializer
from treatment.models import GoalStatus, TreatmentPlan

#: The largest goal count a review states (far above any plan's goals; the database column stops at 2**31).
MAX_GOAL_COUNT = 10_000

# --- serializers -------------------------------------------------------------------------------


class StaffNameSerializer(ModelSerializer):
    name = StrictCharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class ReviewGoalChangeSerializer(serializers.Serializer):
    """A goal the review updates while it looks at it (applied before the version is sealed)."""

    goal_id = serializers.UUIDField(help_text="A goal of this plan.")
    status = serializers.ChoiceField(choices=GoalStatus.choices, required=False)
    progress_percentage = serializers.IntegerField(
        min_value=0, max_value=100, required=False, help_text="Settable on a goal without sub-goals."
    )
    current_value = StrictCharField(max_length=100, required=False, allow_blank=True)


class PlanReviewWriteSerializer(serializers.Serializer):
    """The body of POST /treatment-plans/{plan_id}/review."""

    review_date = ClinicalDateField(help_text="Not in the future, not before the plan started.")
    summary = StrictCharField(help_text="What the review found.")
    goals_reviewed = serializers.IntegerField(
        min_value=0,
        max_value=MAX_GOAL_COUNT,
        required=False,
        help_text="Defaults to the plan's goals that are not discontinued.",
    )
    goals_on_track = serializers.IntegerField(
        min_value=0,
        max_value=MAX_GOAL_COUNT,
        required=False,
        help_text="Defaults to the achieved and in-progress goals; at most the goals reviewed.",
    )
    modifications_made = StrictCharField(required=False, allow_blank=True, default="")
    next_review_date = ClinicalDateField(
        required=False, allow_null=True, help_text="Defaults to the review date plus the plan's review frequency."
    )
    goal_changes = ReviewGoalChangeSerializer(
        many=True, required=False, help_text="Goals updated as part of the review."
    )


class PlanReviewSerializer(ModelSerializer):
    plan_id = serializers.UUIDField(read_only=True)
    reviewer = StaffNameSerializer(read_only=True)
    cosigned_by = StaffNameSerializer(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True, help_text="The plan version this review sealed.")

    class Meta:
        model = PlanReview
        # What a review records (the plan as its id), then its co-signature.
        fields = [
            "id",
            *("plan_id" if name == "plan" else name for name in REVIEW_FIELDS),
            "cosigned_by",
            "cosigned_at",
            "created_at",
        ]
        read_only_fields = fields


class PlanVersionSerializer(ModelSerializer):
    created_by = StaffNameSerializer(read_only=True, allow_null=True)
    review_id = serializers.UUIDField(read_only=True, allow_null=True)
    review_date = serializers.DateField(source="review.review_date", read_only=True, allow_null=True, default=None)

    class Meta:
        model = PlanVersion
        fields = ["number", "created_at", "created_by", "review_id", "review_date"]
        read_only_fields = fields


class PlanVersionDetailSerializer(PlanVersionSerializer):
    snapshot = serializers.DictField(read_only=True, help_text="The plan and its goals as the review saw them.")

    class Meta(PlanVersionSerializer.Meta):
        fields = [*PlanVersionSerializer.Meta.fields, "snapshot"]
        read_only_fields = fields


class FieldChangesField(serializers.DictField):
    """{field: [old, new]}"""

    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2), **kwargs
        )


class VersionInterventionChangeSerializer(serializers.Serializer):
    intervention_id = StrictCharField()
    name = StrictCharField()
    changes = FieldChangesField()


class VersionGoalChangeSerializer(serializers.Serializer):
    id = StrictCharField()
    description = StrictCharField()
    goal_type = StrictCharField()
    changes = FieldChangesField()
    interventions_added = serializers.ListField(child=serializers.DictField())
    interventions_removed = serializers.ListField(child=serializers.DictField())
    interventions_changed = VersionInterventionChangeSerializer(many=True)


class PlanVersionDiffSerializer(serializers.Serializer):
    """What changed from version `from_version` to `to_version` (a number, or "current": the live plan)."""

    from_version = serializers.IntegerField()
    to_version = StrictCharField(help_text='A version number, or "current".')
    plan = FieldChangesField()
    goals_added = serializers.ListField(child=serializers.DictField())
    goals_removed = serializers.ListField(child=serializers.DictField())
    goals_changed = VersionGoalChangeSerializer(many=True)
    amendments = PlanAmendmentSerializer(
        many=True, help_text="The amendments recorded between the two versions (why the plan changed), oldest first."
    )


# --- views -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List a plan's reviews, newest first"),
    retrieve=extend_schema(summary="Get a plan review"),
)
class PlanReviewViewSet(NestedReadMixin, PatientDataViewSet):
    """`/treatment-plans/{plan_id}/reviews[/{review_id}]`: the plan's reviews; a supervisor co-signs one."""

    lookup_url_kwarg = "review_id"
    queryset = PlanReview.objects.select_related("plan__patient", "reviewer", "cosigned_by")
    serializer_class = PlanReviewSerializer
    parent_model = TreatmentPlan
    parent_kwarg = "plan_id"
    parent_select = ("patient__practice", "therapist")
    lookup_value_regex = UUID

    def get_queryset(self):
        return super().get_queryset().filter(plan=self.parent())

    def check_object_permissions(self, request, obj):
        if self.action == "cosign":
            # The supervisor who co-signs reads the plan but does not change it: review_cosign decides.
            return super(PatientDataViewSet, self).check_object_permissions(request, obj)
        return super().check_object_permissions(request, obj)

    @extend_schema(summary="Co-sign a review (the clinical supervisor)", request=None, responses=PlanReviewSerializer)
    @action(detail=True, methods=["post"])
    def cosign(self, request, *args, **kwargs):
        review = review_cosign(by=self.audit, review=self.get_object())
        return Response(PlanReviewSerializer(review, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(summary="List a plan's reviews, newest first"),
    create=extend_schema(
        summary="Record a plan review (seals the plan's current version)",
        parameters=[IF_MATCH],
        request=PlanReviewWriteSerializer,
        responses={201: PlanReviewSerializer},
    ),
)
class PlanReviewRecordViewSet(PlanReviewViewSet):
    """`/treatment-plans/{plan_id}/review`: the spec's path; POST records a review, GET lists them."""

    def create(self, request, *args, **kwargs):
        plan = self.parent()
        # Access is decided before the body is read: 404/403 come before any 400.
        self.require_change(plan)
        body = PlanReviewWriteSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        changes = {}
        for item in data.pop("goal_changes", []):
            item = dict(item)
            changes[str(item.pop("goal_id"))] = {k: v for k, v in item.items() if k in GOAL_CHANGE_FIELDS}
        review = review_record(by=self.audit, plan=plan, goal_changes=changes, if_match=if_match(request), **data)
        review = self.get_queryset().get(pk=review.pk)
        response = Response(PlanReviewSerializer(review, context=self.get_serializer_context()).data, status=201)
        response["Location"] = f"/api/v1/treatment-plans/{plan.pk}/reviews/{review.pk}"
        return response


class DocumentStatusSerializer(serializers.Serializer):
    """Where a treatment-plan document stands while it is not ready."""

    status = serializers.ChoiceField(choices=ReportStatus.choices)
    detail = StrictCharField()
    version = serializers.IntegerField()


AGAINST = OpenApiParameter(
    "against",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description='The version to compare with: a number, or "current" (the live plan; the default).',
)


NUMBER = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH, description="The version number.")


@extend_schema_view(
    list=extend_schema(summary="List a plan's sealed versions, newest first"),
    retrieve=extend_schema(summary="Get a sealed plan version with its snapshot", parameters=[NUMBER]),
)
class PlanVersionViewSet(NestedReadMixin, PatientDataViewSet):
    """`/treatment-plans/{plan_id}/versions[/{number}]`: the immutable snapshots each review sealed."""

    queryset = PlanVersion.objects.select_related("plan__patient", "created_by", "review")
    serializer_class = PlanVersionSerializer
    parent_model = TreatmentPlan
    parent_kwarg = "plan_id"
    parent_select = ("patient__practice", "therapist")
    lookup_field = "number"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        versions = super().get_queryset().filter(plan=self.parent()).order_by("-number")
        return versions.defer("snapshot") if self.action == "list" else versions

    def get_serializer_class(self):
        return PlanVersionSerializer if self.action == "list" else PlanVersionDetailSerializer

    @extend_schema(
        summary="What changed from this version to another or to the live plan",
        parameters=[NUMBER, AGAINST],
        responses=PlanVersionDiffSerializer,
    )
    @action(detail=True, methods=["get"], serializer_class=PlanVersionDiffSerializer)
    def diff(self, request, *args, **kwargs):
        version = self.get_object()
        plan = self.parent()
        against = (request.query_params.get("against") or "current").strip().lower()
        audit_record(self.audit, Action.VIEW, version)
        other: PlanVersion | None = None
        if against == "current":
            new = plan_snapshot(plan)
            audit_record(self.audit, Action.VIEW, plan)
        elif against.isdigit():
            other = get_object_or_404(self.get_queryset(), number=int(against))
            new = other.snapshot
            audit_record(self.audit, Action.VIEW, other)
        else:
            raise serializers.ValidationError({"against": ['Give a version number or "current".']})
        amendments = [entry.amendment for entry in amendments_between(plan, version, other)]
        audit_record_many(self.audit, Action.VIEW, amendments)
        body = {
            "from_version": version.number,
            "to_version": against,
            **snapshot_diff(version.snapshot, new),
            "amendments": amendments,
        }
        return Response(PlanVersionDiffSerializer(body).data)

    def perform_content_negotiation(self, request, force=False):
        # The document is a file: `Accept: application/pdf` must not be a 406, and its errors are JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "document")

    @extend_schema(
        summary="Download the treatment-plan document (PDF) of a fully signed version",
        parameters=[NUMBER],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF, as an attachment."),
            202: OpenApiResponse(
                DocumentStatusSerializer,
                description="Being rendered: ask again shortly. (404: no such version, or not fully signed.)",
            ),
        },
    )
    @action(detail=True, methods=["get"], serializer_class=DocumentStatusSerializer)
    def document(self, request, *args, **kwargs):
        version = self.get_object()
        version.plan = self.parent()
        try:
            document = document_request(by=self.audit, version=version)
        except PlanDocument.DoesNotExist:
            raise Http404("This version is not fully signed: it has no treatment-plan document.") from None
        if document.status != ReportStatus.READY:
            audit_record(self.audit, Action.VIEW, document)
            body = {"status": document.status, "detail": DOCUMENT_WAIT[document.status], "version": version.number}
            return Response(DocumentStatusSerializer(body).data, status=status.HTTP_202_ACCEPTED)
        response = pdf_response(document)
        audit_record(self.audit, Action.EXPORT, document)
        return response


#: What a caller is told while the document is not ready (a failed one is queued again by the request).
DOCUMENT_WAIT: dict[str, str] = {
    ReportStatus.PENDING: "The document is queued for rendering; ask again in a few seconds.",
    ReportStatus.RENDERING: "The document is being rendered; ask again in a few seconds.",
    ReportStatus.FAILED: "The document could not be rendered; ask again to render it again.",
}


router = OptionalSlashRouter()
router.register(f"treatment-plans/(?P<plan_id>{UUID})/reviews", PlanReviewViewSet, basename="plan-reviews")
router.register(f"treatment-plans/(?P<plan_id>{UUID})/versions", PlanVersionViewSet, basename="plan-versions")

urlpatterns = [
    re_path(
        rf"^treatment-plans/(?P<plan_id>{UUID})/review/?$",
        PlanReviewRecordViewSet.as_view({"get": "list", "post": "create"}),
        name="plan-review-record",
    ),
    *router.urls,
]
