"""The measurement-based care API: the instrument registry, a patient's measurements, safety flags and assessments.

Instruments are public to any signed-in staff (they are published questionnaires, no patient data, no audit).
Everything under `/patients/{patient_id}/` is patient data: `PatientDataViewSet` narrows it (unseen patient 404, seen
but not changeable 403, decided before the body is read), and reads and writes are audited.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.base import NestedMixin, NestedReadMixin, PatientDataViewSet
from accounts.api.fields import ModelSerializer, StrictCharField, VisibleRelatedField
from accounts.api.serializers import StaffSummarySerializer
from accounts.models import Patient
from treatment import services
from treatment.instruments import INSTRUMENT_CODES, INSTRUMENTS, Instrument
from treatment.models import Measurement, SafetyAssessment, SafetyFlag, TherapySession

# --- instruments ---------------------------------------------------------------------------------


class ItemSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()
    loinc = serializers.CharField(allow_null=True, help_text="The item's LOINC code; null when it has none.")


class OptionSerializer(serializers.Serializer):
    # Fields named `label` and `source` shadow `Field`'s own attributes when declared on the class: built here.
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "value": serializers.IntegerField(),
            "label": serializers.CharField(),
            "loinc": serializers.CharField(allow_null=True, help_text="The LOINC answer code; null when it has none."),
        }


class BandSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {"low": serializers.IntegerField(), "high": serializers.IntegerField(), "label": serializers.CharField()}


class InstrumentSerializer(serializers.Serializer):
    """An instrument of the registry (`treatment.instruments`), as the form and a partner need it."""

    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    loinc_panel = serializers.CharField(allow_null=True)
    loinc_total = serializers.CharField(allow_null=True)
    prompt = serializers.CharField()
    min_score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    items = ItemSerializer(many=True)
    options = OptionSerializer(many=True)
    bands = BandSerializer(many=True)
    reliable_change = serializers.IntegerField(allow_null=True)
    remission_below = serializers.IntegerField(allow_null=True)
    copyright = serializers.CharField()
    caveats = serializers.ListField(child=serializers.CharField())

    def get_fields(self) -> dict[str, serializers.Field]:
        return {**super().get_fields(), "source": serializers.CharField(help_text="Where the instrument is published.")}

    def to_representation(self, instance: Instrument) -> dict[str, Any]:
        def code(value: str) -> str | None:
            return value or None

        return {
            "code": instance.code,
            "name": instance.name,
            "short_name": instance.short_name,
            "loinc_panel": code(instance.loinc_panel),
            "loinc_total": code(instance.loinc_total),
            "prompt": instance.prompt,
            "min_score": instance.min_score,
            "max_score": instance.max_score,
            "items": [{"number": i.number, "text": i.text, "loinc": code(i.loinc)} for i in instance.items],
            "options": [{"value": o.value, "label": o.label, "loinc": code(o.loinc)} for o in instance.options],
            "bands": [{"low": b.low, "high": b.high, "label": b.label} for b in instance.bands],
            "reliable_change": instance.reliable_change,
            "remission_below": instance.remission_below,
            "copyright": instance.copyright,
            "source": instance.source,
            "caveats": list(instance.caveats),
        }


class InstrumentListView(APIView):
    """The standardized instruments Trellis administers."""

    @extend_schema(summary="List the standardized instruments", responses=InstrumentSerializer(many=True))
    def get(self, request):
        return Response([InstrumentSerializer(i).data for i in INSTRUMENTS.values()])


class InstrumentDetailView(APIView):
    """One instrument: items, answers, bands, LOINC codes, copyright."""

    @extend_schema(summary="Get a standardized instrument", responses=InstrumentSerializer)
    def get(self, request, code):
        instrument = INSTRUMENTS.get(code)
        if instrument is None:
            return Response(
                {"detail": f"{code} is not an instrument; use one of {', '.join(INSTRUMENTS)}."},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(InstrumentSerializer(instrument).data)


# --- measurements --------------------------------------------------------------------------------


class MeasurementSerializer(ModelSerializer):
    """A measurement (POST and GET /patients/{patient_id}/measurements)."""

    instrument = serializers.ChoiceField(choices=INSTRUMENT_CODES)
    # Any JSON here: the service checks the list and names each bad answer `answers[i]`.
    answers = serializers.JSONField(help_text="One answer value per item, in the instrument's order.")
    loinc = serializers.SerializerMethodField(help_text="The LOINC code of the total score; null when it has none.")
    session_id = VisibleRelatedField(
        source="session",
        queryset=TherapySession.objects.all(),
        required=False,
        allow_null=True,
        help_text="A session of the same patient.",
    )
    administered_on = serializers.DateField(required=False, help_text="Defaults to the session's date, else today.")
    administered_by = StaffSummarySerializer(read_only=True)

    class Meta:
        model = Measurement
        fields = [
            "id",
            "instrument",
            "loinc",
            "answers",
            "total_score",
            "severity",
            "safety_flag",
            "administered_on",
            "session_id",
            "administered_by",
            "created_at",
        ]
        read_only_fields = ["id", "total_score", "severity", "safety_flag", "created_at"]

    def get_loinc(self, measurement: Measurement) -> str | None:
        return INSTRUMENTS[measurement.instrument].loinc_total or None


class MeasurementQuerySerializer(serializers.Serializer):
    instrument = serializers.ChoiceField(choices=INSTRUMENT_CODES, required=False)


@extend_schema_view(
    list=extend_schema(
        summary="List a patient's measurements, oldest first",
        parameters=[OpenApiParameter("instrument", str, enum=INSTRUMENT_CODES, required=False)],
    ),
    create=extend_schema(summary="Record a measurement (scored; may raise a safety flag)"),
)
class PatientMeasurementViewSet(NestedMixin, PatientDataViewSet, mixins.CreateModelMixin):
    """`/patients/{patient_id}/measurements`: scores on standardized instruments."""

    lookup_url_kwarg = "measurement_id"
    queryset = Measurement.objects.select_related("administered_by", "patient")
    serializer_class = MeasurementSerializer
    parent_model = Patient
    parent_kwarg = "patient_id"
    parent_select = ("practice", "primary_therapist__supervisor")

    def get_queryset(self):
        queryset = super().get_queryset().filter(patient=self.parent()).order_by("administered_on", "created_at")
        if self.action == "list":
            query = MeasurementQuerySerializer(data={k: v for k, v in self.request.query_params.items() if v != ""})
            query.is_valid(raise_exception=True)
            if "instrument" in query.validated_data:
                queryset = queryset.filter(instrument=query.validated_data["instrument"])
        return queryset

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.measurement_record(
            by=self.audit,
            patient=self.parent(),
            instrument=data["instrument"],
            answers=data["answers"],
            administered_on=data.get("administered_on"),
            session=data.get("session"),
        )


# --- safety flags and assessments ----------------------------------------------------------------


class SafetyAssessmentSummarySerializer(ModelSerializer):
    """A recorded risk assessment: who, when, what they found."""

    note = StrictCharField(max_length=5000, help_text="What the risk assessment found and what was done.")
    assessed_by = StaffSummarySerializer(read_only=True)

    class Meta:
        model = SafetyAssessment
        fields = ["id", "note", "assessed_by", "created_at"]
        read_only_fields = ["id", "created_at"]


class SafetyAssessmentSerializer(SafetyAssessmentSummarySerializer):
    """A recorded risk assessment and the flags it cleared (POST /patients/{patient_id}/safety-assessments)."""

    cleared_flag_ids = serializers.SerializerMethodField()

    class Meta(SafetyAssessmentSummarySerializer.Meta):
        fields = [*SafetyAssessmentSummarySerializer.Meta.fields, "cleared_flag_ids"]

    def get_cleared_flag_ids(self, assessment: SafetyAssessment) -> list[str]:
        return [str(flag.pk) for flag in assessment.cleared_flags.all()]


class SafetyFlagSerializer(ModelSerializer):
    """A safety flag with its history: raised by which measurement, when; cleared by whom, when, with what note."""

    measurement_id = serializers.UUIDField(read_only=True)
    instrument = serializers.CharField(source="measurement.instrument", read_only=True)
    administered_on = serializers.DateField(source="measurement.administered_on", read_only=True)
    cleared_by = StaffSummarySerializer(read_only=True, allow_null=True)
    assessment = SafetyAssessmentSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = SafetyFlag
        fields = [
            "id",
            "measurement_id",
            "instrument",
            "administered_on",
            "reason",
            "status",
            "raised_at",
            "cleared_by",
            "cleared_at",
            "assessment",
        ]
        read_only_fields = fields


@extend_schema_view(list=extend_schema(summary="List a patient's safety flags with their history, oldest first"))
class PatientSafetyFlagViewSet(NestedReadMixin, PatientDataViewSet):
    """`/patients/{patient_id}/safety-flags`: every flag ever raised, open or cleared (a flag is never removed)."""

    lookup_url_kwarg = "safety_flag_id"
    queryset = SafetyFlag.objects.select_related(
        "measurement", "cleared_by", "assessment__assessed_by", "patient"
    ).order_by("raised_at", "id")
    serializer_class = SafetyFlagSerializer
    parent_model = Patient
    parent_kwarg = "patient_id"
    parent_select = ("practice",)
    pagination_class = None

    def get_queryset(self):
        return super().get_queryset().filter(patient=self.parent())


@extend_schema_view(
    list=extend_schema(summary="List a patient's safety assessments, oldest first"),
    create=extend_schema(summary="Record a risk assessment, clearing the patient's open safety flags"),
)
class PatientSafetyAssessmentViewSet(NestedMixin, PatientDataViewSet, mixins.CreateModelMixin):
    """`/patients/{patient_id}/safety-assessments`: the recorded risk assessments; POST clears the open flags."""

    lookup_url_kwarg = "safety_assessment_id"
    queryset = SafetyAssessment.objects.select_related("assessed_by", "patient").prefetch_related(
        Prefetch("cleared_flags", queryset=SafetyFlag.objects.order_by("raised_at", "id"))
    )
    serializer_class = SafetyAssessmentSerializer
    parent_model = Patient
    parent_kwarg = "patient_id"
    parent_select = ("practice",)
    pagination_class = None

    def get_queryset(self):
        return super().get_queryset().filter(patient=self.parent()).order_by("created_at", "id")

    def perform_create(self, serializer):
        assessment = services.safety_assessment_record(
            by=self.audit, patient=self.parent(), note=serializer.validated_data["note"]
        )
        serializer.instance = self.get_queryset().get(pk=assessment.pk)
