import pytest

from tests.factories import GoalFactory, PlanFactory, intervention


@pytest.fixture
def plan(patient):
    return PlanFactory(patient=patient, title="Anxiety Management Plan")


@pytest.fixture
def tree(plan):
    """A long-term goal with a short-term goal with an objective; the objective uses Deep Breathing."""
    long_term = GoalFactory(plan=plan, description="Reduce overall anxiety levels to a manageable state")
    short_term = GoalFactory(
        parent_goal=long_term, goal_type="short_term", description="Learn and practice 3 relaxation techniques"
    )
    objective = GoalFactory(
        parent_goal=short_term,
        goal_type="objective",
        description="Practice deep breathing daily",
        interventions=[{"intervention": intervention("Deep Breathing"), "frequency": "every session"}],
    )
    return {"long_term": long_term, "short_term": short_term, "objective": objective}
