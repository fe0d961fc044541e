"""Diagnosis search finds what a clinician means: words match where they start, abbreviations and lay terms find
their codes, and the ranking puts the intended code first.

The pins are the picker's own search (billable codes, the first 15): the first result, and the top three where
the order among them is meaningful. The codes live in the database (loaded by a migration), so searching and
validating are one query each and nothing is built in the process.
"""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from treatment import diagnoses
from treatment.diagnosis_synonyms import SYNONYMS
from treatment.icd10cm import search_words, words
from treatment.models import DiagnosisCode
from treatment.views.builder_lists import SEARCH_LIMIT

pytestmark = pytest.mark.django_db


def picker(query: str) -> list[str]:
    return [hit["code"] for hit in diagnoses.search(query, limit=SEARCH_LIMIT, billable_only=True)]


# --- the top results of the queries clinicians type ---------------------------------------------

TOP = [
    ("panic", ["F41.0", "F40.01", "F40.02"]),
    ("panic disorder", ["F41.0", "F40.01", "F40.02"]),
    ("panic dis", ["F41.0", "F40.01", "F40.02"]),
    ("depression", ["F32.A", "F32.0", "F32.1"]),
    ("PTSD", ["F43.10", "F43.11", "F43.12"]),
    ("ptsd", ["F43.10", "F43.11", "F43.12"]),
    ("adhd", ["F90.0", "F90.1", "F90.2"]),
    ("ocd", ["F42.9", "F60.5", "F42.8"]),
    ("gad", ["F41.1"]),
    ("mdd", ["F32.0", "F32.1", "F32.2"]),
    ("social anxiety", ["F40.10", "F40.11"]),
    ("insomnia", ["F51.05", "F51.01", "F51.02"]),
    ("F43", ["F43.0", "F43.10", "F43.11"]),
    ("F41.1", ["F41.1"]),
    ("f411", ["F41.1"]),
    ("bipolar", ["F31.0", "F31.10", "F31.11"]),
    ("alcohol", ["F10.10", "F10.11", "F10.120"]),
    ("grief", ["F43.81", "Z63.4"]),
    ("adjustment", ["F43.20", "F43.21", "F43.22"]),
    ("anorexia", ["F50.00", "F50.010", "F50.011"]),
    ("borderline", ["F60.3"]),
    ("bpd", ["F60.3"]),
]


@pytest.mark.parametrize(("query", "top"), TOP, ids=[query for query, _ in TOP])
def test_the_top_results(query, top):
    assert picker(query)[: len(top)] == top


@pytest.mark.parametrize(
    ("query", "everything"),
    [
        ("panic", ["F41.0", "F40.01", "F40.02"]),
        ("ptsd", ["F43.10", "F43.11", "F43.12"]),
        ("social anxiety", ["F40.10", "F40.11"]),
        ("grief", ["F43.81", "Z63.4"]),
        ("bpd", ["F60.3"]),
        ("F41.1", ["F41.1"]),
        ("f411", ["F41.1"]),
    ],
)
def test_narrow_queries_find_exactly_their_codes(query, everything):
    assert picker(query) == everything


def test_panic_finds_no_tympanic_membrane_code():
    found = diagnoses.search("panic", limit=50)

    assert found, "panic must find the panic disorders"
    assert not [hit["code"] for hit in found if hit["code"].startswith("H7")]
    assert all(re.search(r"\bpanic", hit["description"].lower()) for hit in found)


def test_a_word_inside_a_word_is_no_match_but_the_word_itself_is():
    tympanic = diagnoses.search("tympanic", limit=50)

    assert tympanic
    assert all(hit["code"].startswith(("H7", "S09")) for hit in tympanic), tympanic
    assert picker("anic") == []


def test_every_typed_word_must_start_a_word():
    # "dis" starts "disorder"; "panic" starts "panic": agoraphobia *without* panic disorder matches too.
    assert picker("panic dis") == ["F41.0", "F40.01", "F40.02"]
    assert picker("panic zzz") == []


def test_a_longer_query_narrows():
    assert picker("adjustment disorder with anxiety") == ["F43.22", "F43.23"]


def test_punctuation_and_case_do_not_matter():
    assert picker("Post-Traumatic stress")[:3] == ["F43.10", "F43.11", "F43.12"]
    assert picker("post traumatic STRESS")[:3] == ["F43.10", "F43.11", "F43.12"]


def test_an_apostrophe_joins_a_word():
    assert "G30.9" in picker("alzheimer")  # Alzheimer's disease, unspecified


# --- ranking -------------------------------------------------------------------------------------


def test_the_exact_code_comes_first_then_codes_under_it_in_code_order():
    codes = [hit["code"] for hit in diagnoses.search("F43", limit=5)]

    assert codes == ["F43", "F43.0", "F43.1", "F43.10", "F43.11"]


def test_a_code_prefix_without_its_dot():
    assert picker("f431") == ["F43.10", "F43.11", "F43.12"]
    assert picker("F43.1") == ["F43.10", "F43.11", "F43.12"]


def test_a_description_starting_with_the_words_ranks_first():
    """F41.0 starts with "panic"; F40.01 (agoraphobia with panic disorder) is shorter but does not."""
    assert picker("panic")[0] == "F41.0"


def test_the_words_near_the_start_rank_above_the_same_words_at_the_end():
    anxiety = picker("anxiety")

    assert anxiety.index("F41.1") < len(anxiety)
    dementias = [code for code in anxiety if code.startswith("F01")]
    assert all(anxiety.index(code) > anxiety.index("F41.1") for code in dementias)


def test_mental_health_codes_then_z_codes_then_the_rest():
    grief = picker("grief")
    borderline = picker("borderline")

    assert grief == ["F43.81", "Z63.4"]
    assert borderline[0] == "F60.3"
    assert {code[0] for code in borderline[1:]} <= {"A", "H", "R"}


def test_billable_codes_come_before_categories_when_both_are_asked_for():
    codes = [hit["code"] for hit in diagnoses.search("ptsd", limit=10)]

    assert codes == ["F43.10", "F43.11", "F43.12", "F43.1"]


def test_the_picker_offers_billable_codes_only():
    found = diagnoses.search("anxiety", limit=SEARCH_LIMIT, billable_only=True)

    assert len(found) == SEARCH_LIMIT
    assert all(hit["billable"] for hit in found)


def test_the_typed_words_rank_above_a_synonym_of_them():
    """'depression' is F32.A's own word; the major depressive codes come through the synonym."""
    assert picker("depression")[:2] == ["F32.A", "F32.0"]


# --- the synonym table ---------------------------------------------------------------------------


@pytest.mark.parametrize("term", sorted(SYNONYMS))
def test_every_synonym_finds_a_mental_health_or_z_code_first(term):
    found = picker(term)

    assert found, f"{term!r} finds nothing: check its expansion against the code set"
    assert found[0][0] in "FZ", found


@pytest.mark.parametrize(
    ("typed", "alternatives"),
    [
        (["ptsd"], [["ptsd"], ["post", "traumatic", "stress"]]),
        (["chronic", "ptsd"], [["chronic", "ptsd"], ["chronic", "post", "traumatic", "stress"]]),
        (["social", "anxiety", "disorder"], [["social", "anxiety", "disorder"], ["social", "phobia", "disorder"]]),
        (["panic"], [["panic"]]),
    ],
)
def test_word_alternatives(typed, alternatives):
    assert diagnoses.word_alternatives(typed) == alternatives


def test_a_synonym_combines_with_other_words():
    assert picker("ptsd chronic") == ["F43.12"]


# --- the table and its lookups -------------------------------------------------------------------


def test_the_migration_loaded_the_whole_code_set():
    assert DiagnosisCode.objects.count() == 98186
    assert DiagnosisCode.objects.filter(billable=True).count() == 74719
    f411 = DiagnosisCode.objects.get(code="F41.1")
    assert (f411.description, f411.billable) == ("Generalized anxiety disorder", True)
    assert f411.search_words == f411.first_words == " generalized anxiety disorder "
    f0150 = DiagnosisCode.objects.get(code="F01.50")  # Vascular dementia, unspecified severity, without ...
    assert f0150.first_words == " vascular dementia unspecified "


@pytest.mark.django_db(transaction=True)
def test_a_test_flush_leaves_the_codes_in_place():
    """Transactional tests (the browser, the threads) flush every table after them; the reference table stays."""
    call_command("flush", interactive=False, verbosity=0)

    assert DiagnosisCode.objects.count() == 98186
    assert diagnoses.lookup("F41.1") == {
        "code": "F41.1",
        "description": "Generalized anxiety disorder",
        "billable": True,
    }


def test_search_words():
    assert words("Post-traumatic stress disorder (PTSD)") == ["post", "traumatic", "stress", "disorder", "ptsd"]
    assert search_words("Alzheimer's disease, unspecified") == " alzheimers disease unspecified "


@pytest.mark.parametrize(("raw", "code"), [("f411", "F41.1"), (" F41.1 ", "F41.1"), ("F41", "F41"), ("xyz", "XYZ")])
def test_normalize(raw, code):
    assert diagnoses.normalize(raw) == code


def test_one_query_answers_a_search(django_assert_num_queries):
    with django_assert_num_queries(1):
        diagnoses.search("panic disorder", limit=SEARCH_LIMIT, billable_only=True)


def test_one_query_validates_a_plans_diagnoses(django_assert_num_queries):
    with django_assert_num_queries(1):
        cleaned = diagnoses.clean_diagnoses([{"code": "F41.1"}, {"code": "f43.10"}, {"code": "F51.01"}])

    assert [d["code"] for d in cleaned] == ["F41.1", "F43.10", "F51.01"]


def test_a_refused_category_names_billable_codes_under_it():
    with pytest.raises(ValidationError) as caught:
        diagnoses.clean_diagnoses([{"code": "F43.1"}])

    [message] = caught.value.message_dict["diagnosis_codes"]
    assert message == "Diagnosis 1: F43.1 is a category; use a billable code (F43.10, F43.11, F43.12, ...)."


def test_billable_under_skips_subcategories():
    assert diagnoses.billable_under("F43") == ["F43.0", "F43.10", "F43.11", "F43.12", "F43.20", "F43.21"]


# --- the builder's picker ------------------------------------------------------------------------


def test_the_picker_answers_panic_with_panic_disorder_first(client, owner):
    client.force_login(owner)

    response = client.get(reverse("diagnosis-search"), {"diagnosis_q": "panic"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    offered = re.findall(r'name="add_diagnosis" value="([^"]+)"', response.content.decode())
    assert offered == ["F41.0", "F40.01", "F40.02"]


def test_the_api_answers_abbreviations(api, owner):
    response = api.as_(owner).get("/api/v1/diagnosis-codes", {"search": "ADHD", "billable": "true"})

    assert response.status_code == 200, response.content
    assert [row["code"] for row in response.json()] == ["F90.0", "F90.1", "F90.2", "F90.8", "F90.9"]
