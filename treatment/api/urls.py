from django.urls import re_path

from accounts.api.routers import UUID, OptionalSlashRouter
from treatment.api import fhir, measures, templates, views
from treatment.api.outcomes import InterventionOutcomesView

router = OptionalSlashRouter()
router.register(f"patients/(?P<patient_id>{UUID})/treatment-plans", views.PatientPlanViewSet, basename="patient-plan")
router.register(f"patients/(?P<patient_id>{UUID})/sessions", views.PatientSessionViewSet, basename="patient-session")
router.register(
    f"patients/(?P<patient_id>{UUID})/measurements", measures.PatientMeasurementViewSet, basename="patient-measurement"
)
router.register(
    f"patients/(?P<patient_id>{UUID})/safety-flags", measures.PatientSafetyFlagViewSet, basename="patient-safety-flag"
)
router.register(
    f"patients/(?P<patient_id>{UUID})/safety-assessments",
    measures.PatientSafetyAssessmentViewSet,
    basename="patient-safety-assessment",
)
router.register("treatment-plans", views.TreatmentPlanViewSet, basename="plan")
router.register(f"treatment-plans/(?P<plan_id>{UUID})/goals", views.PlanGoalViewSet, basename="plan-goal")
router.register("goals", views.GoalViewSet, basename="goal")
router.register(f"goals/(?P<goal_id>{UUID})/interventions", views.GoalInterventionViewSet, basename="goal-intervention")
router.register("sessions", views.SessionViewSet, basename="session")
router.register("plan-templates", templates.PlanTemplateViewSet, basename="plan-template")

urlpatterns = [
    re_path(r"^diagnosis-codes/?$", views.DiagnosisCodeListView.as_view(), name="diagnosis-code-list"),
    re_path(
        r"^diagnosis-codes/(?P<code>[A-Za-z0-9.]{3,8})/?$",
        views.DiagnosisCodeDetailView.as_view(),
        name="diagnosis-code-detail",
    ),
    re_path(r"^instruments/?$", measures.InstrumentListView.as_view(), name="instrument-list"),
    re_path(
        r"^instruments/(?P<code>[a-z0-9]{1,20})/?$", measures.InstrumentDetailView.as_view(), name="instrument-detail"
    ),
    re_path(r"^analytics/interventions/?$", InterventionOutcomesView.as_view(), name="intervention-outcomes"),
    # The FHIR routes take any id segment, so that one which is no id is the view's OperationOutcome 404 (FHIR
    # clients parse nothing else), not the API's generic one.
    re_path(
        r"^treatment-plans/(?P<plan_id>[^/]+)/fhir/?$",
        fhir.PlanFhirViewSet.as_view({"get": "export"}),
        name="plan-fhir",
    ),
    re_path(r"^fhir/metadata/?$", fhir.CapabilityView.as_view(), name="fhir-capabilities"),
    re_path(r"^fhir/CarePlan/?$", fhir.FhirCarePlanViewSet.as_view({"get": "search"}), name="fhir-careplan-search"),
    re_path(
        r"^fhir/CarePlan/(?P<plan_id>[^/]+)/?$",
        fhir.FhirCarePlanViewSet.as_view({"get": "retrieve"}),
        name="fhir-careplan-read",
    ),
    *router.urls,
]
