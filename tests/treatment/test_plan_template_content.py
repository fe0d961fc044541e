"""The content of the system plan-template library (fixtures/plan_templates/*.json), checked as data.

No model is needed: each file is read as JSON and held to the format the loader relies on
(fixtures/plan_templates/README.md) and to the rules a plan built from it must pass: real ICD-10-CM codes,
interventions that exist in the library, a goal tree of exactly three levels with 2-3 children per node
(2-4 objectives), the SMART template's keys, instruments with targets in range, target offsets that never
exceed their parent's, and placeholders the therapist fills in exactly the `[[...]]` form.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from treatment.diagnoses import MAX_DIAGNOSES
from treatment.icd10cm import code_set
from treatment.instruments import get_instrument
from treatment.models.goal import SMART_TEMPLATE

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = ROOT / "fixtures" / "plan_templates"
LIBRARY = ROOT / "fixtures" / "interventions_library.json"
FILES = sorted(TEMPLATE_DIR.glob("*.json"))

REQUIRED_KEYS = {
    "generalized-anxiety",
    "panic-disorder",
    "social-anxiety",
    "major-depression",
    "persistent-depressive-disorder",
    "ptsd",
    "ocd",
    "insomnia",
    "adult-adhd",
    "alcohol-use-disorder",
    "adjustment-disorder",
    "grief",
    "emotion-dysregulation",
    "relationship-distress",
    "anger-management",
}
TEMPLATE_KEYS = {"key", "name", "summary", "diagnosis_codes", "presenting_problems", "sources", "goals"}
GOAL_KEYS = {
    "description",
    "measurable_criteria",
    "priority",
    "target_offset_weeks",
    "smart",
    "interventions",
    "sub_goals",
}
OBJECTIVE_KEYS = {
    "description",
    "measurable_criteria",
    "baseline_value",
    "target_value",
    "priority",
    "target_offset_weeks",
    "smart",
    "interventions",
}
MEASURE_KEYS = {"measure_instrument", "measure_target_score"}
#: A target is plausible when it is below the "moderate" band: PHQ-9 and GAD-7 below 10 (mild or remission),
#: PCL-5 below 33 (the usual threshold for probable PTSD).
PLAUSIBLE_TARGET_BELOW = {"phq9": 10, "gad7": 10, "pcl5": 33}
#: `treatment.services.goals.clean_smart` keeps 2,000 characters of an answer.
SMART_ANSWER_MAX_LENGTH = 2000
FREQUENCIES = {"every session", "weekly", "daily practice", "twice weekly", "as needed", "monthly"}
#: Objectives per short-term goal; long-term goals per template and short-term goals per long-term goal.
OBJECTIVES_PER_GOAL = range(2, 5)
CHILDREN = range(2, 4)
#: A value the therapist fills: "[[hint]]", the whole field, at most 100 characters (the model field).
PLACEHOLDER = re.compile(r"\[\[[^\[\]]+\]\]")
WHOLE_PLACEHOLDER = re.compile(r"^\[\[[^\[\]]+\]\]$")
VALUE_MAX_LENGTH = 100
KEY = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DEADLINE = re.compile(r"^\+(\d+) weeks? from the plan's start$")


@functools.cache
def icd10cm_codes() -> dict[str, bool]:
    """code -> billable, from the bundled classification (no database)."""
    return {code: billable for code, _description, billable in code_set()}


@functools.cache
def library_ids() -> frozenset[str]:
    entries = json.loads(LIBRARY.read_text(encoding="utf-8"))
    return frozenset(entry["pk"] for entry in entries if entry["fields"]["is_system"])


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def walk(template: dict[str, Any]) -> list[tuple[int, dict[str, Any], dict[str, Any] | None]]:
    """(depth, goal, parent) for every goal of the tree, depth 1 = long-term."""
    found: list[tuple[int, dict[str, Any], dict[str, Any] | None]] = []

    def visit(goal: dict[str, Any], depth: int, parent: dict[str, Any] | None) -> None:
        found.append((depth, goal, parent))
        for child in goal.get("sub_goals", []):
            visit(child, depth + 1, goal)

    for goal in template["goals"]:
        visit(goal, 1, None)
    return found


def strings(value: Any) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


by_name = pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])


def test_the_library_has_every_required_template() -> None:
    assert REQUIRED_KEYS - {p.stem for p in FILES} == set()
    assert len(FILES) >= 15


@by_name
def test_top_level_keys_and_name(path: Path) -> None:
    template = load(path)
    assert set(template) == TEMPLATE_KEYS
    assert template["key"] == path.stem
    assert KEY.match(template["key"])
    for field in ("name", "summary"):
        assert isinstance(template[field], str)
        assert template[field].strip() == template[field] != ""
    assert len(template["name"]) <= 200
    assert isinstance(template["presenting_problems"], list)
    assert len(template["presenting_problems"]) >= 3
    assert all(isinstance(p, str) and p.strip() == p != "" for p in template["presenting_problems"])
    assert len(set(template["presenting_problems"])) == len(template["presenting_problems"])
    assert isinstance(template["sources"], list)
    assert 2 <= len(template["sources"]) <= 4
    assert all(isinstance(s, str) and len(s) >= 20 for s in template["sources"])


def test_keys_and_names_are_unique() -> None:
    templates = [load(p) for p in FILES]
    assert len({t["key"] for t in templates}) == len(templates)
    assert len({t["name"] for t in templates}) == len(templates)


@by_name
def test_diagnosis_codes_are_billable_icd10cm_codes(path: Path) -> None:
    codes = load(path)["diagnosis_codes"]
    assert isinstance(codes, list)
    assert 1 <= len(codes) <= MAX_DIAGNOSES
    assert len(set(codes)) == len(codes)
    known = icd10cm_codes()
    assert [c for c in codes if c not in known] == []
    assert [c for c in codes if not known[c]] == []


@by_name
def test_tree_has_three_levels_with_the_counts(path: Path) -> None:
    template = load(path)
    assert len(template["goals"]) in CHILDREN
    for long_term in template["goals"]:
        assert set(long_term) == GOAL_KEYS
        assert len(long_term["sub_goals"]) in CHILDREN
        for short_term in long_term["sub_goals"]:
            assert set(short_term) == GOAL_KEYS
            assert len(short_term["sub_goals"]) in OBJECTIVES_PER_GOAL
            for objective in short_term["sub_goals"]:
                keys = set(objective)
                assert keys - MEASURE_KEYS == OBJECTIVE_KEYS
                assert keys & MEASURE_KEYS in (set(), MEASURE_KEYS)
                assert "sub_goals" not in objective
                assert "goal_type" not in objective


@by_name
def test_goal_fields(path: Path) -> None:
    for depth, goal, _parent in walk(load(path)):
        assert isinstance(goal["description"], str)
        assert goal["description"].strip() == goal["description"] != ""
        assert isinstance(goal["measurable_criteria"], str)
        assert goal["measurable_criteria"].strip() == goal["measurable_criteria"] != ""
        assert type(goal["priority"]) is int
        assert 1 <= goal["priority"] <= 10
        assert type(goal["target_offset_weeks"]) is int
        assert 1 <= goal["target_offset_weeks"] <= 104
        if depth == 3:
            assert goal["description"].startswith("Client will ")


@by_name
def test_siblings_have_distinct_descriptions(path: Path) -> None:
    descriptions = [goal["description"] for _depth, goal, _parent in walk(load(path))]
    assert len(set(descriptions)) == len(descriptions)


@by_name
def test_offsets_never_exceed_the_parent(path: Path) -> None:
    for _depth, goal, parent in walk(load(path)):
        if parent is not None:
            assert goal["target_offset_weeks"] <= parent["target_offset_weeks"]


@by_name
def test_smart_answers_fill_the_template(path: Path) -> None:
    for _depth, goal, _parent in walk(load(path)):
        smart = goal["smart"]
        assert set(smart) == set(SMART_TEMPLATE)
        for part, questions in SMART_TEMPLATE.items():
            assert set(smart[part]) == set(questions)
            for answer in smart[part].values():
                assert isinstance(answer, str)
                assert answer.strip() == answer != ""
                assert len(answer) <= SMART_ANSWER_MAX_LENGTH
        deadline = DEADLINE.match(smart["time_bound"]["deadline"])
        assert deadline is not None
        assert int(deadline.group(1)) == goal["target_offset_weeks"]


@by_name
def test_interventions_are_library_entries_with_a_known_frequency(path: Path) -> None:
    ids = library_ids()
    for depth, goal, _parent in walk(load(path)):
        links = goal["interventions"]
        assert isinstance(links, list)
        if depth < 3:
            assert len(links) >= 1
        for link in links:
            assert set(link) == {"intervention_id", "frequency"}
            assert link["intervention_id"] in ids
            assert link["frequency"] in FREQUENCIES
        chosen = [link["intervention_id"] for link in links]
        assert len(set(chosen)) == len(chosen)


@by_name
def test_measures_name_an_instrument_with_a_target_in_range(path: Path) -> None:
    for depth, goal, _parent in walk(load(path)):
        if "measure_instrument" not in goal:
            continue
        assert depth == 3
        assert goal["measure_instrument"] in {"phq9", "gad7", "pcl5"}
        instrument = get_instrument(goal["measure_instrument"])
        assert instrument is not None
        score = goal["measure_target_score"]
        assert type(score) is int
        assert instrument.min_score <= score <= instrument.max_score
        assert score < PLAUSIBLE_TARGET_BELOW[goal["measure_instrument"]]


@pytest.mark.parametrize(
    ("key", "instrument"),
    [
        ("generalized-anxiety", "gad7"),
        ("major-depression", "phq9"),
        ("persistent-depressive-disorder", "phq9"),
        ("ptsd", "pcl5"),
    ],
)
def test_templates_where_a_measure_fits_use_it(key: str, instrument: str) -> None:
    goals = [goal for _depth, goal, _parent in walk(load(TEMPLATE_DIR / f"{key}.json"))]
    assert [g for g in goals if g.get("measure_instrument") == instrument] != []


@by_name
def test_objectives_have_placeholder_baseline_and_target(path: Path) -> None:
    for depth, goal, _parent in walk(load(path)):
        if depth != 3:
            continue
        for field in ("baseline_value", "target_value"):
            value = goal[field]
            assert isinstance(value, str)
            assert WHOLE_PLACEHOLDER.match(value), value
            assert len(value) <= VALUE_MAX_LENGTH


@by_name
def test_placeholders_appear_only_where_the_therapist_fills_them(path: Path) -> None:
    template = load(path)
    for depth, goal, _parent in walk(template):
        allowed = {"baseline_value", "target_value"} if depth == 3 else set()
        if depth == 3:
            allowed |= {"description", "measurable_criteria"}
        for field, value in goal.items():
            if field in allowed or field == "sub_goals":
                continue
            assert [s for s in strings(value) if "[[" in s or "]]" in s] == [], field
        for field in allowed:
            # What is left after removing the well-formed placeholders has no stray bracket pair.
            rest = PLACEHOLDER.sub("", goal[field])
            assert "[[" not in rest and "]]" not in rest
    top = {k: v for k, v in template.items() if k != "goals"}
    assert [s for s in strings(top) if "[[" in s or "]]" in s] == []


@by_name
def test_objective_text_reads_finished_so_only_the_values_are_blanks(path: Path) -> None:
    """The format lets an objective's text point at its values with `[[...]]`; the system library does not, so a
    therapist fills two blanks per objective (baseline and target), not four."""
    for depth, goal, _parent in walk(load(path)):
        if depth == 3:
            assert PLACEHOLDER.search(goal["description"]) is None
            assert PLACEHOLDER.search(goal["measurable_criteria"]) is None
