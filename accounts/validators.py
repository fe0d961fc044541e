"""The input rules every app shares: clinical dates in a range date arithmetic survives, dates of birth
not in the future, no NUL characters in what is stored, and JSON no deeper than a parser can take.

Models put these on their fields (services call `full_clean`), forms and serializers on their inputs, so an
out-of-range date or a NUL is a field error wherever it comes in; `check_clinical_dates` is for services that
compute with a date before `full_clean` runs (a review date plus the review frequency).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

#: The dates a plan, goal, session, review or report may carry. Far enough out for any real plan, and far
#: enough inside `datetime.date`'s range (years 1-9999) that adding a year of review frequency cannot overflow.
CLINICAL_DATE_MIN = datetime.date(1900, 1, 1)
CLINICAL_DATE_MAX = datetime.date(2200, 12, 31)
CLINICAL_DATE_MESSAGE = f"Enter a date between {CLINICAL_DATE_MIN:%Y-%m-%d} and {CLINICAL_DATE_MAX:%Y-%m-%d}."
#: The earliest date of birth (the latest is today).
BIRTH_DATE_MIN = CLINICAL_DATE_MIN
#: The largest UTC offset in use (Kiribati's +14:00): "today" somewhere on Earth is at most this far ahead.
_EARLIEST_ZONE_AHEAD = datetime.timedelta(hours=14)

#: How deep a JSON body or field may nest: a treatment plan's deepest document (a goal's SMART answers in a
#: review's goal changes) is 4 levels; 32 leaves room for any client and stops parsers recursing on a bomb.
MAX_JSON_DEPTH = 32
NUL_MESSAGE = "Null characters are not allowed."
#: A JSON string (with its escapes), or one of the brackets that open or close a level.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPENERS = frozenset("[{")


def validate_clinical_date(value: datetime.date | None) -> None:
    """A plan, goal, session, review or report date lies between CLINICAL_DATE_MIN and CLINICAL_DATE_MAX."""
    if value is not None and not CLINICAL_DATE_MIN <= value <= CLINICAL_DATE_MAX:
        raise ValidationError(CLINICAL_DATE_MESSAGE, code="date_out_of_range")


def validate_clinical_datetime(value: datetime.datetime | None) -> None:
    """A moment (a progress entry's, an audit filter's) on a date between CLINICAL_DATE_MIN and CLINICAL_DATE_MAX,
    read in its own offset: converting it to UTC or a practice's time zone cannot leave `datetime`'s range."""
    if value is not None and not CLINICAL_DATE_MIN <= value.date() <= CLINICAL_DATE_MAX:
        raise ValidationError(
            f"Enter a date and time between {CLINICAL_DATE_MIN:%Y-%m-%d} and {CLINICAL_DATE_MAX:%Y-%m-%d}.",
            code="datetime_out_of_range",
        )


def latest_today() -> datetime.date:
    """Today's date where it is latest on Earth: a date of birth after it is in the future everywhere."""
    return (timezone.now() + _EARLIEST_ZONE_AHEAD).date()


def validate_birth_date(value: datetime.date | None) -> None:
    """A date of birth is not in the future (in any time zone) nor before BIRTH_DATE_MIN."""
    if value is None:
        return
    if value > latest_today():
        raise ValidationError("A date of birth cannot be in the future.", code="birth_date_future")
    if value < BIRTH_DATE_MIN:
        raise ValidationError(f"Enter a date of birth from {BIRTH_DATE_MIN:%Y-%m-%d} on.", code="birth_date_early")


def check_clinical_dates(**dates: datetime.date | None) -> None:
    """For services, before they compute with dates: one ValidationError naming every date out of range."""
    errors = {}
    for name, value in dates.items():
        try:
            validate_clinical_date(value)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)


# --- NUL characters ----------------------------------------------------------------------------


def nul_paths(value: Any, path: str = "") -> Iterator[str]:
    """The paths (`smart.specific.who`, `presenting_problems[2]`) of the strings or keys in `value` holding NUL.

    Walks with its own stack, not by recursion: a document as deep as the request allows cannot overflow it.
    """
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                yield where
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                name = str(key)
                child_path = f"{where}.{name}" if where else name
                if "\x00" in name:
                    yield child_path.replace("\x00", "\\u0000")
                    continue
                children.append((child_path, child))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(reversed([(f"{where}[{index}]", child) for index, child in enumerate(item)]))


def validate_no_nul(value: Any) -> None:
    """For JSON model fields: no string or key anywhere inside holds a NUL (PostgreSQL's jsonb refuses them)."""
    where = next(nul_paths(value), None)
    if where is not None:
        message = f"Null characters are not allowed (at {where})." if where else NUL_MESSAGE
        raise ValidationError(message, code="null_characters_not_allowed")


# --- JSON depth --------------------------------------------------------------------------------


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text opens more than `limit` levels of arrays and objects at some point.

    A scan of the raw text before any parser sees it (json.loads recurses once per level): brackets inside
    strings do not count, and the scan stops at the first level past the limit. Text that is not JSON gets
    an answer too; the parser refuses it afterwards.
    """
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif token in ("]", "}"):
            depth -= 1
    return False
