"""The shared input rules (accounts/validators.py): clinical date bounds, dates of birth, NUL characters, JSON
depth, and the admin's JSON input that refuses a document too deep to parse."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput
from django.utils import timezone

from accounts.forms import BoundedJSONField
from accounts.validators import (
    CLINICAL_DATE_MESSAGE,
    check_clinical_dates,
    json_too_deep,
    latest_today,
    nul_paths,
    validate_birth_date,
    validate_clinical_date,
    validate_clinical_datetime,
    validate_no_nul,
)


def messages(call, *args):
    with pytest.raises(ValidationError) as raised:
        call(*args)
    return raised.value.messages


# --- clinical dates ------------------------------------------------------------------------------


def test_the_clinical_range_is_1900_to_2200_inclusive():
    assert CLINICAL_DATE_MESSAGE == "Enter a date between 1900-01-01 and 2200-12-31."
    for inside in (datetime.date(1900, 1, 1), datetime.date(2026, 9, 1), datetime.date(2200, 12, 31), None):
        validate_clinical_date(inside)
    for outside in (datetime.date(1899, 12, 31), datetime.date(2201, 1, 1), datetime.date(9999, 12, 31)):
        assert messages(validate_clinical_date, outside) == [CLINICAL_DATE_MESSAGE]


def test_check_clinical_dates_names_every_date_out_of_range():
    with pytest.raises(ValidationError) as raised:
        check_clinical_dates(
            start_date=datetime.date(9999, 12, 31),
            target_end_date=datetime.date(2027, 1, 1),
            next_review_date=datetime.date(1, 1, 1),
            actual_end_date=None,
        )

    assert raised.value.message_dict == {
        "start_date": [CLINICAL_DATE_MESSAGE],
        "next_review_date": [CLINICAL_DATE_MESSAGE],
    }


def test_a_moment_is_in_range_by_its_own_date():
    utc = datetime.UTC
    validate_clinical_datetime(datetime.datetime(1900, 1, 1, 0, 0, tzinfo=utc))
    validate_clinical_datetime(datetime.datetime(2200, 12, 31, 23, 59, tzinfo=utc))
    plus_five = datetime.timezone(datetime.timedelta(hours=5))
    assert messages(validate_clinical_datetime, datetime.datetime(1, 1, 1, tzinfo=plus_five)) == [
        "Enter a date and time between 1900-01-01 and 2200-12-31."
    ]


def test_a_date_of_birth_is_not_in_the_future_anywhere_nor_before_1900():
    validate_birth_date(timezone.now().date())
    validate_birth_date(datetime.date(1900, 1, 1))
    assert latest_today() in (timezone.now().date(), timezone.now().date() + datetime.timedelta(days=1))

    future = latest_today() + datetime.timedelta(days=1)
    assert messages(validate_birth_date, future) == ["A date of birth cannot be in the future."]
    assert messages(validate_birth_date, datetime.date(1899, 12, 31)) == ["Enter a date of birth from 1900-01-01 on."]


# --- NUL characters --------------------------------------------------------------------------------


def test_nul_paths_name_every_place_a_nul_hides():
    document = {
        "title": "Plan\x00",
        "smart": {"specific": {"who": "Client\x00", "what": "fine"}},
        "presenting_problems": ["worry", "sleep\x00"],
        "diagnosis_codes": [{"code": "F41.1\x00"}],
        "bad\x00key": "value",
        "clean": [1, 2.5, None, True, {"deep": ["text"]}],
    }

    assert sorted(nul_paths(document)) == [
        "bad\\u0000key",
        "diagnosis_codes[0].code",
        "presenting_problems[1]",
        "smart.specific.who",
        "title",
    ]


def test_nul_paths_walk_a_deep_document_without_recursing():
    deep: list = ["\x00"]
    for _ in range(50_000):
        deep = [deep]

    assert list(nul_paths(deep)) == ["[0]" * 50_000 + "[0]"]


def test_a_json_model_field_refuses_a_nul_naming_where_it_is():
    validate_no_nul({"specific": {"who": "Client and therapist"}})

    assert messages(validate_no_nul, {"specific": {"who": "Cli\x00ent"}}) == [
        "Null characters are not allowed (at specific.who)."
    ]
    assert messages(validate_no_nul, "\x00") == ["Null characters are not allowed."]


# --- JSON depth --------------------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_deeper_than_32_levels_is_too_deep():
    assert not json_too_deep(nested(32))
    assert json_too_deep(nested(33))
    assert not json_too_deep('{"a": {"b": [1, {"c": []}]}}')
    assert json_too_deep('{"a": ' * 33 + "1" + "}" * 33)


def test_brackets_inside_strings_do_not_count():
    assert not json_too_deep('{"email": "' + "[" * 1000 + '"}')
    # An escaped quote does not end the string: the brackets after it are still inside it.
    assert not json_too_deep('["a \\" ' + "{" * 1000 + '"]')
    assert json_too_deep('["a \\\\", ' + "[" * 40 + "]" * 40 + "]")


def test_a_hundred_thousand_levels_are_refused_at_once():
    assert json_too_deep(nested(100_000))


def test_the_admin_json_input_refuses_a_document_too_deep_to_parse():
    field = BoundedJSONField(required=False)

    assert field.clean(nested(32)) == json.loads(nested(32))
    with pytest.raises(ValidationError) as raised:
        field.clean(nested(100_000))
    assert raised.value.messages == ["Nest the JSON at most 32 levels deep."]
    assert isinstance(field.bound_data(nested(100_000), None), InvalidJSONInput)
