"""Every write to plans, goals, progress and sessions. The API, the pages and the admin call these."""

from .goals import (
    GOAL_FIELDS,
    GOAL_INTERVENTION_FIELDS,
    clean_smart,
    goal_add,
    goal_intervention_add,
    goal_intervention_update,
    goal_update,
    progress_record,
    smart_missing,
)
from .plans import PLAN_FIELDS, clean_problems, plan_create, plan_recalculate, plan_update
from .sessions import session_record

__all__ = [
    "GOAL_FIELDS",
    "GOAL_INTERVENTION_FIELDS",
    "PLAN_FIELDS",
    "clean_problems",
    "clean_smart",
    "goal_add",
    "goal_intervention_add",
    "goal_intervention_update",
    "goal_update",
    "plan_create",
    "plan_recalculate",
    "plan_update",
    "progress_record",
    "session_record",
    "smart_missing",
]
