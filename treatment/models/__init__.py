from .diagnosis import DiagnosisCode
from .goal import GoalIntervention, GoalProgress, GoalStatus, GoalType, TreatmentGoal
from .measure import Measurement, SafetyAssessment, SafetyFlag, SafetyFlagStatus
from .plan import PlanAmendment, PlanStatus, ReviewStatus, SignatureStatus, TreatmentPlan
from .session import ADDENDUM_MAX_LENGTH, SessionAddendum, SessionIntervention, TherapySession
from .template import PlanTemplate, TemplateGoal, TemplateGoalIntervention

__all__ = [
    "ADDENDUM_MAX_LENGTH",
    "DiagnosisCode",
    "GoalIntervention",
    "GoalProgress",
    "GoalStatus",
    "GoalType",
    "Measurement",
    "PlanAmendment",
    "PlanStatus",
    "PlanTemplate",
    "ReviewStatus",
    "SafetyAssessment",
    "SafetyFlag",
    "SafetyFlagStatus",
    "SessionAddendum",
    "SessionIntervention",
    "SignatureStatus",
    "TemplateGoal",
    "TemplateGoalIntervention",
    "TherapySession",
    "TreatmentGoal",
    "TreatmentPlan",
]
