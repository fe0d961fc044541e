"""The SMART hint counts what the goal really answers and says with what: a part is answered by the goal
field that carries it (description, measurable criteria or target value, target date) or by a non-blank
answer in the SMART template; "all five parts answered" is said only when all five are, and names where."""

import datetime

from django.template.loader import render_to_string

from treatment.forms import GoalForm, smart_check
from treatment.models import TreatmentGoal
from treatment.services import smart_coverage, smart_missing


def goal(**fields) -> TreatmentGoal:
    return TreatmentGoal(**{"description": "Reduce worry", **fields})


def test_a_goal_with_only_a_description_answers_only_specific():
    assert smart_coverage(goal()) == {"specific": "the description"}
    check = smart_check(goal())
    assert check.count == 1
    assert check.answered == [("Specific", "the description")]
    assert check.missing == ["Measurable", "Achievable", "Relevant", "Time-bound"]


def test_each_part_names_the_field_or_the_template_that_answers_it():
    answered = goal(
        measurable_criteria="GAD-7 score",
        target_date=datetime.date(2027, 3, 1),
        smart={"achievable": {"resources": "Weekly CBT"}, "relevant": {"importance": "Back to work"}},
    )

    assert smart_coverage(answered) == {
        "specific": "the description",
        "measurable": "the measurable criteria",
        "achievable": "the SMART template",
        "relevant": "the SMART template",
        "time_bound": "the target date",
    }
    assert smart_missing(answered) == []
    # A target value alone answers Measurable; template answers do when no field does.
    assert smart_coverage(goal(target_value="5"))["measurable"] == "the target value"
    assert smart_coverage(goal(description=" ", smart={"specific": {"what": "Sleep"}}))["specific"] == (
        "the SMART template"
    )


def test_blank_template_answers_do_not_count():
    blank = goal(smart={"achievable": {"resources": "  "}, "relevant": {"importance": ""}})

    assert smart_missing(blank) == ["measurable", "achievable", "relevant", "time_bound"]


def test_the_form_hint_says_how_many_parts_and_with_what():
    typed = GoalForm({"description": "Reduce worry", "target_value": "5", "priority": "1"})

    hint = " ".join(render_to_string("treatment/_goal_smart_hint.html", {"form": typed}).split())

    assert hint == (
        "<strong>SMART check:</strong> 2 of 5 parts answered (Specific by the description, Measurable by the "
        "target value); still empty: Achievable, Relevant, Time-bound."
    )


def test_the_form_hint_names_the_sources_when_all_five_are_answered():
    typed = GoalForm(
        {
            "description": "Reduce worry",
            "measurable_criteria": "GAD-7",
            "target_date": "2027-03-01",
            "priority": "1",
            "smart_achievable_resources": "Weekly CBT",
            "smart_relevant_importance": "Back to work",
        }
    )

    hint = " ".join(render_to_string("treatment/_goal_smart_hint.html", {"form": typed}).split())

    assert hint == (
        "<strong>SMART check:</strong> all five parts answered: Specific by the description, Measurable by the "
        "measurable criteria, Achievable by the SMART template, Relevant by the SMART template, Time-bound by "
        "the target date."
    )
