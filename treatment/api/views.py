"""The treatment-plan API of the spec: plans, goals, goal interventions, progress, sessions, diagnoses.

Access comes from `PatientDataViewSet`: what the caller may not see is a 404, what they may see but
not change is a 403. Nested paths look their parent up the same way (`parent()`).
"""

from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.base import NestedMixin, PatientDataViewSet
from accounts.api.concurrency import IF_MATCH, if_match
from accounts.api.fields import StrictCharField
from accounts.api.renderers import orjson_renderers
from accounts.api.routers import UUID
from accounts.audit import Action, audit_record, audit_record_many
from accounts.models import Patient
from treatment import diagnoses, services
from treatment.api.goal_tree import audit_stand_ins, plan_goal_list, plan_goal_tree
from treatment.api.serializers import (
    DiagnosisCodeSerializer,
    GoalCreateSerializer,
    GoalInterventionSerializer,
    GoalInterventionUpdateSerializer,
    GoalSerializer,
    PlanDetailSerializer,
    PlanSerializer,
    PlanWriteSerializer,
    ProgressSerializer,
    SessionAddendumSerializer,
    SessionSerializer,
)
from treatment.api.template_serializers import PlanCreateSerializer
from treatment.api.templates import SaveAsTemplateMixin
from treatment.filters import PlanFilter, SessionFilter
from treatment.models import (
    GoalIntervention,
    GoalProgress,
    PlanStatus,
    SessionAddendum,
    SessionIntervention,
    TherapySession,
    TreatmentGoal,
    TreatmentPlan,
)
from treatment.selectors import plan_tree, with_progress_summary


def _with_etag(response: Response, obj) -> Response:
    response["ETag"] = obj.etag
    return response


def _goal_response(goal: TreatmentGoal, context: Mapping[str, Any], status_code: int = 200) -> Response:
    """The goal with its sub-goals and interventions, as its plan's tree (loaded now) has them, and its ETag."""
    tree = plan_tree(goal.plan)
    current = tree.node(goal.pk).goal
    body = GoalSerializer(current, context={**context, "tree": tree}).data
    return _with_etag(Response(body, status=status_code), current)


# --- plans -------------------------------------------------------------------------------------


def _plan_fields(data: dict) -> dict:
    data = dict(data)
    if "diagnosis_codes" in data:
        data["diagnosis_codes"] = [dict(d) for d in data["diagnosis_codes"]]
    return data


@extend_schema_view(
    list=extend_schema(summary="List a patient's treatment plans"),
    create=extend_schema(
        summary="Create a treatment plan (with `template_ids`, its goal tree from those templates, adjusted first)",
        request=PlanCreateSerializer,
        responses={201: PlanDetailSerializer},
    ),
)
class PatientPlanViewSet(NestedMixin, PatientDataViewSet, mixins.CreateModelMixin):
    """`/patients/{patient_id}/treatment-plans`: the patient's plans, newest first; POST starts one."""

    lookup_url_kwarg = "plan_id"
    queryset = TreatmentPlan.objects.select_related("therapist", "patient__practice")
    serializer_class = PlanSerializer
    parent_model = Patient
    parent_kwarg = "patient_id"
    parent_select = ("practice",)

    def get_queryset(self):
        return with_progress_summary(super().get_queryset().filter(patient=self.parent()))

    def get_serializer_class(self):
        return PlanCreateSerializer if self.action == "create" else PlanSerializer

    def create(self, request, *args, **kwargs):
        patient = self.parent()
        self.require_change(patient)
        body = PlanCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = _plan_fields(body.validated_data)
        data.pop("amendment_reason", None)  # a new plan is unsigned: nothing to amend
        if data.pop("status", PlanStatus.ACTIVE) != PlanStatus.ACTIVE:
            raise serializers.ValidationError({"status": ["A new plan starts active."]})
        if data.pop("actual_end_date", None):
            raise serializers.ValidationError({"actual_end_date": ["A new plan has no end date yet."]})
        if data.pop("status_reason", ""):
            raise serializers.ValidationError(
                {"status_reason": ["A new plan is open: a reason is given when it closes."]}
            )
        plan = services.plan_create(by=self.audit, patient=patient, **data)
        context = {**self.get_serializer_context(), "goal_tree": plan_goal_tree(plan)}
        response = Response(PlanDetailSerializer(plan, context=context).data, status=201)
        return _with_etag(response, plan)


@extend_schema_view(
    list=extend_schema(summary="List the treatment plans the caller may see"),
    retrieve=extend_schema(summary="Get a treatment plan with its goal tree", responses=PlanDetailSerializer),
    update=extend_schema(
        summary="Update a treatment plan",
        parameters=[IF_MATCH],
        request=PlanWriteSerializer,
        responses=PlanDetailSerializer,
    ),
    partial_update=extend_schema(
        summary="Update part of a treatment plan",
        parameters=[IF_MATCH],
        request=PlanWriteSerializer,
        responses=PlanDetailSerializer,
    ),
)
class TreatmentPlanViewSet(SaveAsTemplateMixin, PatientDataViewSet, mixins.UpdateModelMixin):
    """`/treatment-plans/{plan_id}`: the plan with its goals; PUT/PATCH with If-Match for safe edits."""

    lookup_url_kwarg = "plan_id"
    queryset = TreatmentPlan.objects.select_related("therapist", "patient__practice")
    serializer_class = PlanDetailSerializer
    renderer_classes = orjson_renderers()  # a plan's detail is the API's largest answer
    filterset_class = PlanFilter
    lookup_value_regex = UUID

    def get_queryset(self):
        queryset = super().get_queryset()
        return with_progress_summary(queryset) if self.action == "list" else queryset

    def get_serializer_class(self):
        if self.action == "list":
            return PlanSerializer
        if self.action in ("update", "partial_update"):
            return PlanWriteSerializer
        return PlanDetailSerializer

    def _detail(self, plan) -> Response:
        context = {**self.get_serializer_context(), "goal_tree": plan_goal_tree(plan)}
        return _with_etag(Response(PlanDetailSerializer(plan, context=context).data), plan)

    def retrieve(self, request, *args, **kwargs):
        plan = self.get_object()
        audit_record(self.audit, Action.VIEW, plan)
        return self._detail(plan)

    def update(self, request, *args, **kwargs):
        plan = self.get_object()
        body = PlanWriteSerializer(
            plan, data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        plan = services.plan_update(
            by=self.audit, plan=plan, if_match=if_match(request), **_plan_fields(body.validated_data)
        )
        return self._detail(self.get_queryset().get(pk=plan.pk))


@extend_schema_view(
    list=extend_schema(summary="List a plan's goals (flat, every level)", responses=GoalSerializer(many=True)),
    create=extend_schema(summary="Add a goal to a plan", request=GoalCreateSerializer, responses={201: GoalSerializer}),
)
class PlanGoalViewSet(NestedMixin, PatientDataViewSet, mixins.CreateModelMixin):
    """`/treatment-plans/{plan_id}/goals`: add a goal (with its interventions) anywhere in the tree."""

    lookup_url_kwarg = "goal_id"
    queryset = TreatmentGoal.objects.all()
    serializer_class = GoalSerializer
    renderer_classes = orjson_renderers()
    parent_model = TreatmentPlan
    parent_kwarg = "plan_id"
    parent_select = ("patient__practice",)
    pagination_class = None

    def get_queryset(self):
        return super().get_queryset().filter(plan=self.parent())

    def list(self, request, *args, **kwargs):
        # GoalSerializer's representation of each goal, built from the rows (`treatment.api.goal_tree`).
        plan = self.parent()
        goals = plan_goal_list(self.filter_queryset(self.get_queryset()), plan)
        audit_record_many(self.audit, Action.VIEW, audit_stand_ins(goals, plan))
        return Response(goals.flat)

    def create(self, request, *args, **kwargs):
        plan = self.parent()
        self.require_change(plan)
        body = GoalCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["interventions"] = [dict(i) for i in data.get("interventions", [])]
        goal = services.goal_add(by=self.audit, plan=plan, **data)
        return _goal_response(goal, self.get_serializer_context(), status_code=201)


# --- goals -------------------------------------------------------------------------------------


@extend_schema_view(
    retrieve=extend_schema(summary="Get a goal with its sub-goals and interventions"),
    update=extend_schema(summary="Update a goal", parameters=[IF_MATCH]),
    partial_update=extend_schema(summary="Update part of a goal", parameters=[IF_MATCH]),
)
class GoalViewSet(PatientDataViewSet, mixins.UpdateModelMixin):
    """`/goals/{goal_id}`: read and change a goal; record progress; read its history."""

    lookup_url_kwarg = "goal_id"
    queryset = TreatmentGoal.objects.select_related("plan__patient__practice")
    serializer_class = GoalSerializer
    lookup_value_regex = UUID

    def retrieve(self, request, *args, **kwargs):
        goal = self.get_object()
        audit_record(self.audit, Action.VIEW, goal)
        return _goal_response(goal, self.get_serializer_context())

    def update(self, request, *args, **kwargs):
        goal = self.get_object()
        body = GoalSerializer(
            goal, data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        goal = services.goal_update(by=self.audit, goal=goal, if_match=if_match(request), **body.validated_data)
        return _goal_response(self.get_queryset().get(pk=goal.pk), self.get_serializer_context())

    @extend_schema(summary="Record a progress entry", request=ProgressSerializer, responses={201: ProgressSerializer})
    @action(detail=True, methods=["post"])
    def progress(self, request, *args, **kwargs):
        goal = self.get_object()
        body = ProgressSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        entry = services.progress_record(by=self.audit, goal=goal, **body.validated_data)
        return Response(ProgressSerializer(entry, context=self.get_serializer_context()).data, status=201)

    @extend_schema(summary="A goal's progress history, oldest first", responses=ProgressSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def history(self, request, *args, **kwargs):
        goal = self.get_object()
        entries = list(goal.progress_entries.select_related("recorded_by").order_by("recorded_at", "id"))
        audit_record_many(self.audit, Action.VIEW, [_with_patient(e, goal) for e in entries])
        return Response(ProgressSerializer(entries, many=True, context=self.get_serializer_context()).data)


def _with_patient(entry: GoalProgress, goal: TreatmentGoal) -> GoalProgress:
    entry.goal = goal  # the audit reads entry.patient through the goal already loaded
    return entry


@extend_schema_view(
    list=extend_schema(summary="List a goal's interventions"),
    create=extend_schema(summary="Link an intervention to a goal", responses={201: GoalInterventionSerializer}),
    retrieve=extend_schema(summary="Get a goal's intervention"),
    update=extend_schema(summary="Update a goal's intervention", request=GoalInterventionUpdateSerializer),
    partial_update=extend_schema(
        summary="Update frequency, notes or effectiveness rating", request=GoalInterventionUpdateSerializer
    ),
)
class GoalInterventionViewSet(NestedMixin, PatientDataViewSet, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """`/goals/{goal_id}/interventions[/{goal_intervention_id}]`: what serves the goal, how often, how well (1-5)."""

    lookup_url_kwarg = "goal_intervention_id"
    queryset = GoalIntervention.objects.select_related("intervention", "goal__plan__patient__practice")
    serializer_class = GoalInterventionSerializer
    parent_model = TreatmentGoal
    parent_kwarg = "goal_id"
    parent_select = ("plan__patient__practice",)
    lookup_value_regex = UUID
    pagination_class = None

    def get_queryset(self):
        return super().get_queryset().filter(goal=self.parent())

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return GoalInterventionUpdateSerializer
        return GoalInterventionSerializer

    def perform_create(self, serializer):
        goal = self.parent()
        self.require_change(goal)
        serializer.instance = services.goal_intervention_add(by=self.audit, goal=goal, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.goal_intervention_update(
            by=self.audit, link=serializer.instance, **serializer.validated_data
        )


# --- sessions ----------------------------------------------------------------------------------


def _sessions(queryset):
    # The patient comes along: the audit names it for every session listed.
    return queryset.select_related("therapist", "patient").prefetch_related(
        "goals_addressed",
        Prefetch("session_interventions", queryset=SessionIntervention.objects.select_related("intervention")),
        Prefetch("progress_entries", queryset=GoalProgress.objects.select_related("recorded_by")),
        Prefetch("addenda", queryset=SessionAddendum.objects.select_related("author")),
    )


@extend_schema_view(
    list=extend_schema(summary="List a patient's sessions, newest first"),
    create=extend_schema(summary="Record a session (goals, interventions and progress in one transaction)"),
)
class PatientSessionViewSet(NestedMixin, PatientDataViewSet, mixins.CreateModelMixin):
    """`/patients/{patient_id}/sessions`: the sessions that carry out the patient's plans."""

    lookup_url_kwarg = "session_id"
    queryset = TherapySession.objects.all()
    serializer_class = SessionSerializer
    parent_model = Patient
    parent_kwarg = "patient_id"
    parent_select = ("practice",)

    def get_queryset(self):
        return _sessions(super().get_queryset().filter(patient=self.parent()))

    def perform_create(self, serializer):
        patient = self.parent()
        self.require_change(patient)
        data = dict(serializer.validated_data)
        session = services.session_record(
            by=self.audit,
            patient=patient,
            session_date=data["session_date"],
            duration_minutes=data["duration_minutes"],
            plan=data.get("plan"),
            therapist=data.get("therapist"),
            goals=data.get("goals_addressed", []),
            interventions=[dict(i) for i in data.get("interventions", [])],
            progress=[dict(p) for p in data.get("progress", [])],
            notes=data.get("notes", ""),
            confirmed=data.get("confirm", False),
        )
        serializer.instance = _sessions(TherapySession.objects.filter(pk=session.pk)).get()


class SessionViewSet(PatientDataViewSet):
    """`/sessions/{session_id}`, and every session the caller may see (filter by patient, plan, dates)."""

    lookup_url_kwarg = "session_id"
    queryset = TherapySession.objects.all()
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    lookup_value_regex = UUID

    def get_queryset(self):
        return _sessions(super().get_queryset())

    @extend_schema(
        summary="Append an addendum to a session's record (a correction; never edited or removed)",
        request=SessionAddendumSerializer,
        responses={201: SessionAddendumSerializer},
    )
    @action(detail=True, methods=["post"])
    def addenda(self, request, *args, **kwargs):
        # `get_object` decides access before the body is read: 404, then 403, then any 400.
        session = self.get_object()
        body = SessionAddendumSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        addendum = services.session_addendum_add(by=self.audit, session=session, text=body.validated_data["text"])
        return Response(SessionAddendumSerializer(addendum, context=self.get_serializer_context()).data, status=201)


# --- diagnoses ---------------------------------------------------------------------------------


class DiagnosisSearchSerializer(serializers.Serializer):
    search = StrictCharField(
        min_length=2,
        max_length=100,
        help_text='Starts of the description\'s words ("panic dis"), an abbreviation ("PTSD"), or a code\'s start.',
    )
    limit = serializers.IntegerField(min_value=1, max_value=50, default=20)
    billable = serializers.BooleanField(default=False, help_text="Only codes a plan can take as a diagnosis.")


class DiagnosisCodeListView(APIView):
    """ICD-10-CM codes matching `search` (for diagnosis autocomplete): the exact code, codes under it, then
    mental-health codes (chapter F), Z codes, the rest."""

    @extend_schema(parameters=[DiagnosisSearchSerializer], responses=DiagnosisCodeSerializer(many=True))
    def get(self, request):
        # An optional parameter left empty is one not given, as for every query parameter of the API.
        query = DiagnosisSearchSerializer(data={k: v for k, v in request.query_params.items() if v != ""})
        query.is_valid(raise_exception=True)
        params = query.validated_data
        results = diagnoses.search(params["search"], limit=params["limit"], billable_only=params["billable"])
        return Response(DiagnosisCodeSerializer(results, many=True).data)


class DiagnosisCodeDetailView(APIView):
    """One ICD-10-CM code (with or without its dot): its description and whether it is billable."""

    @extend_schema(responses=DiagnosisCodeSerializer)
    def get(self, request, code):
        entry = diagnoses.lookup(code)
        if entry is None:
            return Response({"detail": f"{code} is not an ICD-10-CM code."}, status=status.HTTP_404_NOT_FOUND)
        return Response(DiagnosisCodeSerializer(entry).data)
