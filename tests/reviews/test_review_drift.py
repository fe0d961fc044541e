"""review_drift and review_merge: what someone else changed on the plan while a review page was open, and how
the page's entries merge with the plan as it stands now.

The review pages' 409 tests (test_review_pages.py) go through the form; these state the rule itself.
"""

import datetime

import pytest
from django.utils import timezone

from accounts.audit import AuditContext
from reviews.services.drift import GoalSeen, review_drift, review_merge
from reviews.services.reviews import review_record
from tests.factories import GoalFactory
from treatment.models import GoalStatus, TreatmentPlan
from treatment.selectors import plan_tree
from treatment.services import goal_update

pytestmark = pytest.mark.django_db


def by(user):
    return AuditContext.system("tests", user=user)


def loaded(plan, changed=None):
    """What a review page loaded now shows of each goal; `changed`: {goal: fields the user then changed}."""
    changed = changed or {}
    seen = {}
    for node in plan_tree(plan).in_tree_order():
        goal = node.goal
        seen[goal.pk] = GoalSeen(
            status=goal.status,
            progress_percentage=None if node.children else goal.progress_percentage,
            changed=frozenset(changed.get(goal.pk, ())),
        )
    return seen, timezone.now()


def drift_now(plan, seen, loaded_at):
    return review_drift(goals=plan_tree(plan).in_tree_order(), seen=seen, loaded_at=loaded_at)


def test_nothing_changed_meanwhile_is_no_drift(plan, tree):
    seen, loaded_at = loaded(plan, {tree["objective"].pk: {"status", "progress_percentage"}})

    assert drift_now(plan, seen, loaded_at) == []
    merge = review_merge(plan=plan, seen=seen, loaded_at=loaded_at)
    assert merge.plan_changes == []
    assert [goal.goal for goal in merge.goals] == [tree["long_term"], tree["short_term"], tree["objective"]]


def test_a_goal_changed_elsewhere_that_the_user_also_changed_is_a_conflict_and_the_user_entry_stays(owner, plan, tree):
    objective = tree["objective"]
    seen, loaded_at = loaded(plan, {objective.pk: {"status"}})
    goal_update(by=by(owner), goal=objective, status=GoalStatus.ACHIEVED)

    drift = drift_now(plan, seen, loaded_at)

    status = next(d for d in drift if d.goal == objective and d.field == "status")
    assert (status.goal, status.seen, status.current, status.conflict) == (
        objective,
        GoalStatus.NOT_STARTED,
        GoalStatus.ACHIEVED,
        True,
    )
    assert (status.label, status.old, status.new) == ("Status", "Not started", "Achieved")
    merged = {goal.goal.pk: goal for goal in review_merge(plan=plan, seen=seen, loaded_at=loaded_at).goals}
    assert merged[objective.pk].current["status"] == GoalStatus.ACHIEVED
    assert merged[objective.pk].keep == {"status"}


def test_a_goal_changed_elsewhere_that_the_user_did_not_change_takes_the_current_value(owner, plan, tree):
    objective = tree["objective"]
    other = GoalFactory(plan=plan, description="Sleep seven hours on most nights", priority=2)
    seen, loaded_at = loaded(plan, {other.pk: {"status"}})
    goal_update(by=by(owner), goal=objective, status=GoalStatus.IN_PROGRESS, progress_percentage=40)

    drift = drift_now(plan, seen, loaded_at)

    # The objective's status rolls up to the goals above it: those are changed elsewhere too.
    assert {(d.goal, d.field, d.conflict) for d in drift} == {
        (objective, "status", False),
        (objective, "progress_percentage", False),
        (tree["short_term"], "status", False),
        (tree["long_term"], "status", False),
    }
    progress = next(d for d in drift if d.field == "progress_percentage")
    assert (progress.label, progress.old, progress.new) == ("Progress", "0%", "40%")
    merged = {goal.goal.pk: goal for goal in review_merge(plan=plan, seen=seen, loaded_at=loaded_at).goals}
    assert merged[objective.pk].current == {"status": GoalStatus.IN_PROGRESS, "progress_percentage": 40}
    assert merged[objective.pk].keep == frozenset()
    # The user's own change elsewhere stays; a goal with sub-goals shows no progress to edit.
    assert merged[other.pk].keep == {"status"}
    assert "progress_percentage" not in merged[tree["long_term"].pk].current


def test_a_goal_added_meanwhile_is_drift(plan, tree):
    seen, loaded_at = loaded(plan)
    added = GoalFactory(plan=plan, description="Sleep seven hours on most nights", priority=2)

    drift = drift_now(plan, seen, loaded_at)

    assert [(d.goal, d.added, d.label, d.new) for d in drift] == [(added, True, "Added", "Not started")]
    assert added.pk in {goal.goal.pk for goal in review_merge(plan=plan, seen=seen, loaded_at=loaded_at).goals}


def test_without_the_loaded_moment_an_added_goal_is_not_told_apart(plan, tree):
    seen, _ = loaded(plan)
    GoalFactory(plan=plan, priority=2)

    assert drift_now(plan, seen, None) == []
    assert review_merge(plan=plan, seen=seen, loaded_at=None).plan_changes == []


def test_a_review_recorded_meanwhile_is_a_plan_change_with_the_plan_reloaded(owner, plan, tree):
    seen, loaded_at = loaded(plan, {tree["objective"].pk: {"status"}})
    etag = plan.etag
    review_record(
        by=by(owner),
        plan=plan,
        review_date=plan.patient.practice.today(),
        summary="Someone else's review.",
        goal_changes={str(tree["short_term"].pk): {"status": GoalStatus.IN_PROGRESS}},
    )

    drift = drift_now(plan, seen, loaded_at)
    merge = review_merge(plan=plan, seen=seen, loaded_at=loaded_at)

    # The goal it changed is drift the user did not touch; the seal is a write to the plan.
    assert [(d.goal, d.field, d.conflict) for d in drift] == [(tree["short_term"], "status", False)]
    fresh = TreatmentPlan.objects.get(pk=plan.pk)
    assert (merge.plan.version, merge.plan.etag) == (fresh.version, fresh.etag) != (plan.version, etag)
    labels = {row["label"] for change in merge.plan_changes for row in change.changes}
    assert {"Version", "Next review date"} <= labels
    assert all(change.who == owner.email for change in merge.plan_changes)
    assert merge.loaded_at > loaded_at
    assert merge.loaded_at - loaded_at < datetime.timedelta(minutes=1)
