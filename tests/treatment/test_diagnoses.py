"""ICD-10-CM diagnoses: the autocomplete search, the code lookup, and `clean_diagnoses` (a plan's diagnoses).

The search answers a clinician typing a diagnosis: mental-health (chapter F) codes first, billable codes only
when asked, a bounded number of rows. The lookup takes a code with or without its dot. `clean_diagnoses`
validates what a plan stores: billable codes only, each once, descriptions filled from the code set.
"""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from treatment.diagnoses import MAX_DIAGNOSES, clean_diagnoses

pytestmark = pytest.mark.django_db


def _search(client, **params):
    return client.get("/api/v1/diagnosis-codes", params)


# --- search ------------------------------------------------------------------------------------


def test_search_anxiety_finds_generalized_anxiety_disorder(api, owner):
    response = _search(api.as_(owner), search="anxiety")

    assert response.status_code == 200, response.content
    rows = response.json()
    assert isinstance(rows, list)
    assert {"code": "F41.1", "description": "Generalized anxiety disorder", "billable": True} in rows
    assert all(set(row) == {"code", "description", "billable"} for row in rows)
    assert all("anxiety" in row["description"].lower() for row in rows)
    # Mental and behavioural disorders come first: there are more F codes for anxiety than fit.
    assert all(row["code"].startswith("F") for row in rows)


def test_search_puts_mental_health_codes_before_other_chapters(api, owner):
    """'insomnia' matches F51 (mental), Z73.8 (social factors) and G47 (nervous system) codes."""
    response = _search(api.as_(owner), search="insomnia", limit=50)

    assert response.status_code == 200, response.content
    codes = [row["code"] for row in response.json()]
    chapters = [code[0] for code in codes]
    assert "F" in chapters and "G" in chapters, codes
    first_other = next(i for i, chapter in enumerate(chapters) if chapter != "F")
    assert all(chapter == "F" for chapter in chapters[:first_other])
    assert "F" not in chapters[first_other:], codes
    assert "F51.01" in codes  # Primary insomnia
    # Z codes (social and environmental factors) come before the rest of the classification.
    assert chapters.index("Z") < chapters.index("G")


def test_search_words_must_all_match(api, owner):
    rows = _search(api.as_(owner), search="generalized anxiety").json()

    assert [row["code"] for row in rows] == ["F41.1"]


@pytest.mark.parametrize("query", ["F43.1", "f43.1", "F431"])
def test_search_by_code_prefix_returns_ptsd_codes(api, owner, query):
    response = _search(api.as_(owner), search=query)

    assert response.status_code == 200, response.content
    rows = response.json()
    codes = {row["code"] for row in rows}
    assert {"F43.10", "F43.11", "F43.12"} <= codes
    assert all(row["code"].replace(".", "").startswith("F431") for row in rows)
    assert all("post-traumatic stress disorder" in row["description"].lower() for row in rows)


def test_billable_leaves_out_categories(api, owner):
    client = api.as_(owner)

    everything = _search(client, search="F41").json()
    billable = _search(client, search="F41", billable="true").json()

    assert {"code": "F41", "description": "Other anxiety disorders", "billable": False} in everything
    assert billable, "billable=true must still find the billable F41.x codes"
    assert all(row["billable"] for row in billable)
    assert "F41" not in {row["code"] for row in billable}
    assert "F41.1" in {row["code"] for row in billable}
    assert {row["code"] for row in billable} == {row["code"] for row in everything if row["billable"]}


def test_billable_ptsd_search_has_no_category(api, owner):
    rows = _search(api.as_(owner), search="F43.1", billable="true").json()

    assert {row["code"] for row in rows} == {"F43.10", "F43.11", "F43.12"}


@pytest.mark.parametrize("limit", [1, 5, 50])
def test_limit_is_respected(api, owner, limit):
    response = _search(api.as_(owner), search="disorder", limit=limit)

    assert response.status_code == 200, response.content
    assert len(response.json()) == limit


def test_default_limit_is_twenty(api, owner):
    assert len(_search(api.as_(owner), search="disorder").json()) == 20


@pytest.mark.parametrize("limit", [0, 51, -1, "many"])
def test_bad_limit_is_400_naming_limit(api, owner, limit):
    response = _search(api.as_(owner), search="anxiety", limit=limit)

    assert response.status_code == 400, response.content
    assert "limit" in response.json()


@pytest.mark.parametrize("params", [{}, {"search": ""}, {"search": "a"}, {"search": " "}], ids=repr)
def test_missing_or_one_character_search_is_400_naming_search(api, owner, params):
    response = api.as_(owner).get("/api/v1/diagnosis-codes", params)

    assert response.status_code == 400, response.content
    assert "search" in response.json()


def test_search_with_no_match_is_an_empty_list(api, owner):
    response = _search(api.as_(owner), search="zzqqxx")

    assert response.status_code == 200
    assert response.json() == []


# --- lookup ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["F41.1", "f411", "F411", "f41.1"])
def test_lookup_with_or_without_dot(api, owner, code):
    response = api.as_(owner).get(f"/api/v1/diagnosis-codes/{code}")

    assert response.status_code == 200, response.content
    assert response.json() == {"code": "F41.1", "description": "Generalized anxiety disorder", "billable": True}


def test_lookup_of_a_category_says_it_is_not_billable(api, owner):
    response = api.as_(owner).get("/api/v1/diagnosis-codes/F43.1")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "code": "F43.1",
        "description": "Post-traumatic stress disorder (PTSD)",
        "billable": False,
    }


@pytest.mark.parametrize("code", ["XYZ99", "F99.99", "Z9999", "ABC"])
def test_lookup_of_an_unknown_code_is_404(api, owner, code):
    response = api.as_(owner).get(f"/api/v1/diagnosis-codes/{code}")

    assert response.status_code == 404, response.content


@pytest.mark.parametrize(
    "url", ["/api/v1/diagnosis-codes?search=anxiety", "/api/v1/diagnosis-codes/F41.1", "/api/v1/diagnosis-codes/"]
)
def test_unauthenticated_is_401(api, url):
    response = api.get(url)

    assert response.status_code == 401, response.content
    assert "code" not in response.content.decode()


def test_code_lookups_are_not_patient_data_and_write_no_audit(api, owner):
    before = AuditEvent.objects.count()

    api.as_(owner).get("/api/v1/diagnosis-codes", {"search": "anxiety"})
    api.as_(owner).get("/api/v1/diagnosis-codes/F41.1")

    assert AuditEvent.objects.count() == before


# --- clean_diagnoses ---------------------------------------------------------------------------


def _messages(error: ValidationError, field: str = "diagnosis_codes") -> list[str]:
    return error.message_dict[field]


def test_clean_fills_the_missing_description():
    assert clean_diagnoses([{"code": "F41.1"}]) == [{"code": "F41.1", "description": "Generalized anxiety disorder"}]


def test_clean_fills_a_blank_description():
    assert clean_diagnoses([{"code": "F41.1", "description": "  "}]) == [
        {"code": "F41.1", "description": "Generalized anxiety disorder"}
    ]


def test_clean_keeps_a_given_description():
    cleaned = clean_diagnoses([{"code": "F41.1", "description": "GAD, moderate"}])

    assert cleaned == [{"code": "F41.1", "description": "GAD, moderate"}]


@pytest.mark.parametrize("raw", ["f411", "F411", " f41.1 ", "F41.1"])
def test_clean_normalizes_the_code(raw):
    assert clean_diagnoses([{"code": raw}]) == [{"code": "F41.1", "description": "Generalized anxiety disorder"}]


def test_clean_accepts_bare_code_strings():
    assert clean_diagnoses(["F43.10"]) == [
        {"code": "F43.10", "description": "Post-traumatic stress disorder, unspecified"}
    ]


def test_clean_keeps_order_of_several():
    cleaned = clean_diagnoses([{"code": "F43.10"}, {"code": "F41.1"}, {"code": "F32.1"}])

    assert [d["code"] for d in cleaned] == ["F43.10", "F41.1", "F32.1"]


@pytest.mark.parametrize("items", [None, []])
def test_clean_of_nothing_is_an_empty_list(items):
    assert clean_diagnoses(items) == []


def test_clean_refuses_an_unknown_code_naming_its_position():
    with pytest.raises(ValidationError) as caught:
        clean_diagnoses([{"code": "F41.1"}, {"code": "XYZ99"}])

    messages = _messages(caught.value)
    assert len(messages) == 1
    assert "Diagnosis 2" in messages[0]
    assert "XYZ99" in messages[0]


def test_clean_refuses_a_category_naming_its_position_and_billable_children():
    with pytest.raises(ValidationError) as caught:
        clean_diagnoses([{"code": "F41"}])

    [message] = _messages(caught.value)
    assert "Diagnosis 1" in message
    assert "category" in message
    assert "F41.1" in message  # a billable code to use instead


def test_clean_refuses_a_duplicate_naming_its_position():
    with pytest.raises(ValidationError) as caught:
        clean_diagnoses([{"code": "F41.1"}, {"code": "f411", "description": "again"}])

    [message] = _messages(caught.value)
    assert "Diagnosis 2" in message
    assert "F41.1" in message
    assert "twice" in message


def test_clean_refuses_a_missing_code_naming_its_position():
    with pytest.raises(ValidationError) as caught:
        clean_diagnoses([{"code": "F41.1"}, {"description": "no code"}, {"code": "  "}, 42])

    messages = _messages(caught.value)
    assert len(messages) == 3
    assert "Diagnosis 2" in messages[0]
    assert "Diagnosis 3" in messages[1]
    assert "Diagnosis 4" in messages[2]


def test_clean_reports_every_bad_entry_at_once():
    with pytest.raises(ValidationError) as caught:
        clean_diagnoses([{"code": "XYZ99"}, {"code": "F41.1"}, {"code": "F43"}, {"code": "F41.1"}])

    messages = _messages(caught.value)
    assert [m.split(":")[0] for m in messages] == ["Diagnosis 1", "Diagnosis 3", "Diagnosis 4"]


@pytest.mark.parametrize("items", ["F41.1", {"code": "F41.1"}, 7], ids=["string", "dict", "int"])
def test_clean_refuses_a_non_list(items):
    with pytest.raises(ValidationError) as caught:
        clean_diagnoses(items)

    assert "diagnosis_codes" in caught.value.message_dict


def test_clean_refuses_more_than_the_maximum():
    codes = ["F41.0", "F41.1", "F41.3", "F41.8", "F41.9", "F43.10", "F43.11", "F43.12", "F32.0", "F32.1", "F32.2"]
    codes += ["F32.3", "F32.4"]
    assert len(codes) == MAX_DIAGNOSES + 1 == 13

    assert len(clean_diagnoses(codes[:MAX_DIAGNOSES])) == MAX_DIAGNOSES
    with pytest.raises(ValidationError) as caught:
        clean_diagnoses(codes)

    [message] = _messages(caught.value)
    assert str(MAX_DIAGNOSES) in message


def test_clean_names_the_field_it_is_given():
    with pytest.raises(ValidationError) as caught:
        clean_diagnoses([{"code": "XYZ99"}], field="diagnoses")

    assert list(caught.value.message_dict) == ["diagnoses"]


def test_clean_truncates_an_overlong_description():
    cleaned = clean_diagnoses([{"code": "F41.1", "description": "x" * 400}])

    assert cleaned[0]["description"] == "x" * 300
