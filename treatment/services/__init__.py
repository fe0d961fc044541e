"""Every write to plans, goals, progress and sessions. The API, the pages and the admin call these.

**The lock rule.** A plan's figures (each goal's progress, the plan's overall progress) are derived from
its whole goal tree, so two writes to one plan must not interleave. Every service that changes a plan,
a goal, a goal's interventions, a progress entry, a session or a review of a plan therefore starts with
`lock_plan(plan_id)` (the plan row, `SELECT ... FOR UPDATE OF` the plan alone), then locks or re-reads
the goals it writes, then computes and stores the rollup (`plan_recalculate`), all in one transaction.
Writes to one plan queue behind each other and each sees what the previous one committed; writes to
different plans take different locks and never wait on each other. Nothing takes a goal's lock before its
plan's, so two writers cannot deadlock. (`tests/treatment/test_plan_lock.py` proves it on PostgreSQL.)
After a plan's first clinician signature each of these writes that changes its content takes an
`amendment_reason` and records a `PlanAmendment` (`treatment.services.amendments` says what counts).
Every lock comes before the transaction's first audit event (audit last, `accounts.audit.audit_record`); a
transfer of care locks all the patient's plans at once (`plans_follow_transfer`).
"""

from .addenda import session_addendum_add
from .amendments import plan_amend_record
from .common import lock_plan
from .goals import (
    GOAL_FIELD_NAMES,
    GOAL_FIELDS,
    GOAL_INTERVENTION_FIELDS,
    MEASURE_FIELDS,
    clean_smart,
    goal_add,
    goal_intervention_add,
    goal_intervention_update,
    goal_update,
    progress_record,
    smart_coverage,
    smart_missing,
)
from .measures import measurement_record, objective_refresh, safety_assessment_record
from .ordering import goal_move, reorder_priorities
from .plans import PLAN_FIELDS, clean_problems, plan_check, plan_create, plan_recalculate, plan_update
from .sessions import session_record
from .template_save import plan_template_save
from .templates import plan_template_apply, plan_template_create, plan_template_delete, plan_template_update

__all__ = [
    "GOAL_FIELDS",
    "GOAL_FIELD_NAMES",
    "GOAL_INTERVENTION_FIELDS",
    "MEASURE_FIELDS",
    "PLAN_FIELDS",
    "clean_problems",
    "clean_smart",
    "goal_add",
    "goal_intervention_add",
    "goal_intervention_update",
    "goal_move",
    "goal_update",
    "lock_plan",
    "measurement_record",
    "objective_refresh",
    "plan_amend_record",
    "plan_check",
    "plan_create",
    "plan_recalculate",
    "plan_template_apply",
    "plan_template_create",
    "plan_template_delete",
    "plan_template_save",
    "plan_template_update",
    "plan_update",
    "progress_record",
    "reorder_priorities",
    "safety_assessment_record",
    "session_addendum_add",
    "session_record",
    "smart_coverage",
    "smart_missing",
]
