from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.fields import ModelSerializer, StrictBooleanField, StrictCharField, VisibleRelatedField
from accounts.api.serializers import PracticeStaffField, StaffSummarySerializer
from accounts.validators import validate_clinical_datetime
from interventions.api.serializers import AvailableInterventionField, InterventionSummarySerializer
from treatment.api.goal_tree import GoalTree
from treatment.instruments import INSTRUMENT_CODES
from treatment.models import (
    GoalIntervention,
    GoalProgress,
    GoalStatus,
    PlanAmendment,
    PlanStatus,
    ReviewStatus,
    SessionAddendum,
    TherapySession,
    TreatmentGoal,
    TreatmentPlan,
)
from treatment.models.goal import SMART_TEMPLATE
from treatment.selectors import GoalNode, PlanTree, plan_amendments, summary_from_annotations
from treatment.services import GOAL_FIELD_NAMES, MEASURE_FIELDS, PLAN_FIELDS, smart_missing
from treatment.services.amendments import REASON_MAX_LENGTH


def amendment_reason_field() -> StrictCharField:
    """`amendment_reason` of every write to a plan, its goals and their interventions."""
    return StrictCharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=REASON_MAX_LENGTH,
        help_text="Why the plan is changed: required (400 naming it when missing) once a clinician has signed the "
        "plan, when the write changes its content; kept with the amendment. Ignored on an unsigned plan.",
    )


class DiagnosisSerializer(serializers.Serializer):
    code = StrictCharField(max_length=10, help_text="An ICD-10-CM code, e.g. F41.1.")
    description = StrictCharField(
        max_length=300, required=False, allow_blank=True, help_text="Filled from ICD-10-CM when left out."
    )


class DiagnosisCodeSerializer(serializers.Serializer):
    code = StrictCharField()
    description = StrictCharField()
    billable = serializers.BooleanField(help_text="Only billable codes (the leaves) can be a plan's diagnosis.")


class ProgressSummarySerializer(serializers.Serializer):
    total_goals = serializers.IntegerField()
    not_started = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    achieved = serializers.IntegerField()
    modified = serializers.IntegerField()
    discontinued = serializers.IntegerField()
    overall_progress = serializers.IntegerField()


class SmartField(serializers.JSONField):
    """Answers to the spec's SMART template: {"specific": {"what": "...", ...}, ...}."""


SMART_SCHEMA = {
    "type": "object",
    "properties": {
        part: {"type": "object", "properties": {q: {"type": "string", "description": text} for q, text in qs.items()}}
        for part, qs in SMART_TEMPLATE.items()
    },
}
extend_schema_field(SMART_SCHEMA)(SmartField)


# --- plans -------------------------------------------------------------------------------------


class PlanWriteSerializer(ModelSerializer):
    """The body of POST .../treatment-plans and of PUT/PATCH /treatment-plans/{plan_id}."""

    diagnosis_codes = DiagnosisSerializer(many=True, required=False)
    presenting_problems = serializers.ListField(child=StrictCharField(max_length=200), required=False)
    therapist_id = PracticeStaffField(
        source="therapist",
        required=False,
        help_text="The clinician who owns the plan (on the patient's care team); defaults to the caller "
        "when a clinician, else the patient's primary therapist.",
    )
    review_frequency_days = serializers.IntegerField(
        min_value=1, max_value=365, required=False, help_text="Defaults to the practice's (90 days)."
    )
    status = serializers.ChoiceField(
        choices=PlanStatus.choices,
        required=False,
        help_text="active <-> on_hold; completed or discontinued close the plan for good and need status_reason.",
    )
    measure_instruments = serializers.ListField(
        child=serializers.ChoiceField(choices=INSTRUMENT_CODES),
        required=False,
        help_text="Instruments the plan administers besides those driving its objectives.",
    )
    measure_every_sessions = serializers.IntegerField(
        min_value=1, max_value=52, required=False, allow_null=True, help_text="Null: the practice's setting."
    )
    measure_every_days = serializers.IntegerField(
        min_value=1, max_value=365, required=False, allow_null=True, help_text="Null: the practice's setting."
    )
    amendment_reason = amendment_reason_field()

    class Meta:
        model = TreatmentPlan
        # What the service accepts, the therapist by id.
        fields = [*("therapist_id" if name == "therapist" else name for name in PLAN_FIELDS), "amendment_reason"]
        extra_kwargs = {"notes": {"required": False}, "status_reason": {"required": False}}


class PlanSerializer(ModelSerializer):
    """A plan without its goal tree (lists)."""

    patient_id = serializers.UUIDField(read_only=True)
    therapist = StaffSummarySerializer(read_only=True)
    diagnosis_codes = DiagnosisSerializer(many=True, read_only=True)
    # JSON columns, declared so the schema types their items (a client reads a list of strings).
    presenting_problems = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="A list of short phrases."
    )
    measure_instruments = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text='Instrument codes the plan administers, e.g. ["phq9"].',
    )
    review_status = serializers.SerializerMethodField()
    progress_summary = serializers.SerializerMethodField()

    class Meta:
        model = TreatmentPlan
        fields = [
            "id",
            "patient_id",
            "therapist",
            "title",
            "status",
            "status_reason",
            "diagnosis_codes",
            "presenting_problems",
            "start_date",
            "target_end_date",
            "actual_end_date",
            "review_frequency_days",
            "next_review_date",
            "review_status",
            "version",
            "signature_status",
            "signed_version",
            "notes",
            "measure_instruments",
            "measure_every_sessions",
            "measure_every_days",
            "progress_summary",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=ReviewStatus.choices))
    def get_review_status(self, plan) -> str:
        return plan.review_status(self.context.get("today"))

    @extend_schema_field(ProgressSummarySerializer)
    def get_progress_summary(self, plan) -> dict:
        tree: GoalTree | None = self.context.get("goal_tree")
        if tree is not None and tree.plan_id == plan.pk:
            return tree.summary
        return summary_from_annotations(plan)


# --- goals -------------------------------------------------------------------------------------


class GoalInterventionSerializer(ModelSerializer):
    goal_id = serializers.UUIDField(read_only=True)
    intervention = InterventionSummarySerializer(read_only=True)
    intervention_id = AvailableInterventionField(source="intervention", write_only=True)
    effectiveness_rating = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    amendment_reason = amendment_reason_field()

    class Meta:
        model = GoalIntervention
        fields = [
            "id",
            "goal_id",
            "intervention",
            "intervention_id",
            "frequency",
            "notes",
            "effectiveness_rating",
            "amendment_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []


class GoalInterventionUpdateSerializer(GoalInterventionSerializer):
    """PATCH/PUT of a goal's intervention: how often, notes, effectiveness. The intervention is fixed."""

    intervention_id = serializers.UUIDField(read_only=True)


class GoalInterventionInputSerializer(serializers.Serializer):
    intervention_id = AvailableInterventionField(source="intervention")
    frequency = StrictCharField(max_length=50, required=False, allow_blank=True)
    notes = StrictCharField(required=False, allow_blank=True)


class GoalMeasureSerializer(serializers.Serializer):
    """What drives an objective: the instrument, the baseline (null: the default rule) and the target score."""

    instrument = serializers.ChoiceField(choices=INSTRUMENT_CODES)
    baseline_score = serializers.IntegerField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Null: the last score on or before the plan's start, else the first after it.",
    )
    target_score = serializers.IntegerField(min_value=0)


@extend_schema_field(GoalMeasureSerializer(allow_null=True))
class GoalMeasureField(serializers.Field):
    """A goal's `measure`: read from and written to its three `measure_*` columns; null clears it."""

    EMPTY = {"measure_instrument": "", "measure_baseline_score": None, "measure_target_score": None}

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def validate_empty_values(self, data):
        if data is None:
            return True, dict(self.EMPTY)
        return super().validate_empty_values(data)

    def to_representation(self, goal):
        if not goal.measure_instrument:
            return None
        return {
            "instrument": goal.measure_instrument,
            "baseline_score": goal.measure_baseline_score,
            "target_score": goal.measure_target_score,
        }

    def to_internal_value(self, data):
        body = GoalMeasureSerializer(data=data)
        body.is_valid(raise_exception=True)
        value = body.validated_data
        return {
            "measure_instrument": value["instrument"],
            "measure_baseline_score": value.get("baseline_score"),
            "measure_target_score": value["target_score"],
        }


class MeasureFlagsSerializer(serializers.Serializer):
    """What the latest score says of a measure-driven objective; each null until a score (or without a rule)."""

    response = serializers.BooleanField(allow_null=True, help_text="At least 50% lower than the baseline.")
    remission = serializers.BooleanField(allow_null=True, help_text="Below the instrument's remission score.")
    reliable_improvement = serializers.BooleanField(allow_null=True)
    reliable_deterioration = serializers.BooleanField(allow_null=True)


class GoalSerializer(ModelSerializer):
    """A goal with its interventions and its sub-goals (short-term under long-term, objectives under those)."""

    # Within a goal tree (`context["tree"]`, a `treatment.selectors.PlanTree` of the goal's plan) both come from
    # the tree; otherwise the interventions are the goal's prefetched links and there are no sub-goals (lists).

    plan_id = serializers.UUIDField(read_only=True)
    parent_goal_id = VisibleRelatedField(
        source="parent_goal", queryset=TreatmentGoal.objects.all(), required=False, allow_null=True
    )
    priority = serializers.IntegerField(min_value=1, max_value=10, required=False, help_text="1 is the highest.")
    progress_percentage = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        help_text="Set by progress ratings and calculated for goals with sub-goals; settable on a leaf goal.",
    )
    smart = SmartField(required=False)
    measure = GoalMeasureField(
        required=False, help_text="The instrument whose scores drive this objective (objectives only); null: none."
    )
    measure_flags = serializers.SerializerMethodField()
    smart_missing = serializers.SerializerMethodField()
    interventions = serializers.SerializerMethodField()
    sub_goals = serializers.SerializerMethodField()
    amendment_reason = amendment_reason_field()

    class Meta:
        model = TreatmentGoal
        fields = [
            "id",
            "plan_id",
            # The measure's fields are nested (`measure`, `measure_flags`), not flat.
            *(name for name in GOAL_FIELD_NAMES if name not in MEASURE_FIELDS),
            "measure",
            "measure_flags",
            "smart_missing",
            "interventions",
            "sub_goals",
            "amendment_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    @extend_schema_field(serializers.ListField(child=StrictCharField()))
    def get_smart_missing(self, goal) -> list[str]:
        return smart_missing(goal)

    @extend_schema_field(MeasureFlagsSerializer(allow_null=True))
    def get_measure_flags(self, goal) -> dict | None:
        if not goal.measure_instrument:
            return None
        return {
            "response": goal.measure_response,
            "remission": goal.measure_remission,
            "reliable_improvement": goal.measure_reliable_improvement,
            "reliable_deterioration": goal.measure_reliable_deterioration,
        }

    def _node(self, goal: TreatmentGoal) -> GoalNode | None:
        tree: PlanTree | None = self.context.get("tree")
        return tree.nodes.get(goal.pk) if tree is not None else None

    @extend_schema_field(GoalInterventionSerializer(many=True))
    def get_interventions(self, goal):
        node = self._node(goal)
        # Lists prefetch these with their interventions (`.all()` uses the prefetch).
        links = node.interventions if node is not None else goal.goal_interventions.all()
        # One serializer reused for every row: building serializers per goal dominates a big tree.
        if "_link_serializer" not in self.context:
            self.context["_link_serializer"] = GoalInterventionSerializer(context=self.context)
        return [self.context["_link_serializer"].to_representation(link) for link in links]

    @extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/Goal"}})
    def get_sub_goals(self, goal):
        node = self._node(goal)
        return [self.to_representation(child.goal) for child in node.children] if node is not None else []


class GoalCreateSerializer(GoalSerializer):
    """The body of POST /treatment-plans/{plan_id}/goals: the goal and the interventions that serve it."""

    goal_type = serializers.ChoiceField(choices=TreatmentGoal._meta.get_field("goal_type").choices)
    status = serializers.ChoiceField(choices=GoalStatus.choices, required=False)
    interventions = GoalInterventionInputSerializer(many=True, required=False, write_only=True)

    class Meta(GoalSerializer.Meta):
        fields = [f for f in GoalSerializer.Meta.fields if f not in ("smart_missing", "sub_goals")]


#: One thing an amendment changed (its `changes` entries; a plain object, since "fields" names a serializer's own).
AMENDMENT_CHANGE_SCHEMA = {
    "type": "object",
    "required": ["object", "id", "label", "action", "fields"],
    "properties": {
        "object": {"type": "string", "enum": ["plan", "goal", "goal_intervention"]},
        "id": {"type": "string", "format": "uuid"},
        "label": {
            "type": "string",
            "description": "The plan's title, the goal's description or the intervention's name.",
        },
        "action": {"type": "string", "enum": ["created", "updated", "removed"]},
        "fields": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The fields it changed (or was given).",
        },
        "goal_id": {"type": "string", "format": "uuid", "description": "For a goal's intervention: the goal."},
        "intervention_id": {
            "type": "string",
            "format": "uuid",
            "description": "For a goal's intervention: the intervention.",
        },
    },
}


@extend_schema_field({"type": "array", "items": AMENDMENT_CHANGE_SCHEMA})
class AmendmentChangesField(serializers.JSONField):
    """What an amendment changed, as recorded."""


class PlanAmendmentSerializer(ModelSerializer):
    """A change to the plan after its first clinician signature: why, who, when, what."""

    author = StaffSummarySerializer(read_only=True)
    changes = AmendmentChangesField(read_only=True)

    class Meta:
        model = PlanAmendment
        fields = ["id", "reason", "author", "created_at", "amends_version", "changes"]
        read_only_fields = fields


class PlanDetailSerializer(PlanSerializer):
    """A plan with its whole goal tree: long-term goals, their short-term goals, their objectives; and the
    amendments made since its signed version (the plan in force)."""

    goals = serializers.SerializerMethodField()
    amendments = serializers.SerializerMethodField(
        help_text="The amendments since the signed version (all of them when no version is fully signed yet), "
        "oldest first; empty before the plan's first signature."
    )

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "overall_progress", "goals", "amendments"]
        read_only_fields = fields

    @extend_schema_field(PlanAmendmentSerializer(many=True))
    def get_amendments(self, plan):
        since = [read.amendment for read in plan_amendments(plan) if read.amends_version == plan.signed_version]
        return PlanAmendmentSerializer(since, many=True, context=self.context).data

    @extend_schema_field(GoalSerializer(many=True))
    def get_goals(self, plan):
        # The long-term goals, each with its sub-goals, as GoalSerializer writes them, built from the rows the view
        # loaded (`treatment.api.goal_tree`: a serializer per goal cost many times the data).
        tree: GoalTree = self.context["goal_tree"]
        return tree.roots


# --- progress and sessions -------------------------------------------------------------------


class ProgressSerializer(ModelSerializer):
    """A progress entry (POST /goals/{goal_id}/progress; GET /goals/{goal_id}/history)."""

    goal_id = serializers.UUIDField(read_only=True)
    session_id = VisibleRelatedField(
        source="session",
        queryset=TherapySession.objects.all(),
        required=False,
        allow_null=True,
        help_text="A session of the same patient.",
    )
    rating = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    recorded_by = StaffSummarySerializer(read_only=True)
    recorded_at = serializers.DateTimeField(
        required=False,
        validators=[validate_clinical_datetime],
        help_text="Defaults to now; cannot be in the future.",
    )

    class Meta:
        model = GoalProgress
        fields = [
            "id",
            "goal_id",
            "session_id",
            "progress_note",
            "progress_value",
            "rating",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = ["id"]


class SessionProgressSerializer(ProgressSerializer):
    goal_id = VisibleRelatedField(source="goal", queryset=TreatmentGoal.objects.all())

    class Meta(ProgressSerializer.Meta):
        fields = ["goal_id", "progress_note", "progress_value", "rating"]


class SessionInterventionSerializer(serializers.Serializer):
    intervention_id = AvailableInterventionField(source="intervention")
    goal_id = VisibleRelatedField(source="goal", queryset=TreatmentGoal.objects.all(), required=False, allow_null=True)


class SessionInterventionReadSerializer(serializers.Serializer):
    intervention_id = serializers.UUIDField()
    intervention_name = StrictCharField(source="intervention.name")
    goal_id = serializers.UUIDField(allow_null=True)


class SessionAddendumSerializer(ModelSerializer):
    """A correction appended to a session's record (POST /sessions/{session_id}/addenda); never edited or removed."""

    session_id = serializers.UUIDField(read_only=True)
    author = StaffSummarySerializer(read_only=True)

    class Meta:
        model = SessionAddendum
        fields = ["id", "session_id", "text", "author", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"text": {"help_text": "The correction or addition, kept under the original."}}


class SessionSerializer(ModelSerializer):
    """A therapy session with the goals it addressed, the interventions delivered and the progress recorded."""

    patient_id = serializers.UUIDField(read_only=True)
    plan_id = VisibleRelatedField(source="plan", queryset=TreatmentPlan.objects.all(), required=False, allow_null=True)
    therapist = StaffSummarySerializer(read_only=True)
    therapist_id = PracticeStaffField(source="therapist", required=False, write_only=True)
    goal_ids = VisibleRelatedField(
        source="goals_addressed", queryset=TreatmentGoal.objects.all(), many=True, required=False
    )
    interventions = SessionInterventionSerializer(many=True, required=False, write_only=True)
    interventions_delivered = SessionInterventionReadSerializer(
        source="session_interventions", many=True, read_only=True
    )
    progress = SessionProgressSerializer(many=True, required=False, write_only=True)
    progress_entries = ProgressSerializer(many=True, read_only=True)
    addenda = SessionAddendumSerializer(many=True, read_only=True)
    duration_minutes = serializers.IntegerField(min_value=1, max_value=600)
    confirm = StrictBooleanField(
        default=False,
        write_only=True,
        help_text="Record the session although it looks implausible (dated before its plan started, or a goal in "
        "goal_ids with nothing recorded for it): without it such a session is a 400 naming those fields and confirm.",
    )

    class Meta:
        model = TherapySession
        fields = [
            "id",
            "patient_id",
            "plan_id",
            "therapist",
            "therapist_id",
            "session_date",
            "duration_minutes",
            "notes",
            "goal_ids",
            "interventions",
            "interventions_delivered",
            "progress",
            "progress_entries",
            "addenda",
            "confirm",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"notes": {"required": False}}
