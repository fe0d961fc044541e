"""ICD-10-CM diagnoses: validation and search against the `DiagnosisCode` table a migration fills.

A plan's diagnoses are billable codes (the leaves of the classification, which is what a claim and a
partner EHR accept); a category such as F41 is refused with billable codes under it named.

The search matches what a clinician types at the start of words ("panic" finds "Panic disorder", never
"tympanic"), every typed word must start a word of the description, and the abbreviations and lay terms of
`treatment.diagnosis_synonyms` are tried beside the typed words. The database does the matching and the
ranking in one query (a trigram index serves it on PostgreSQL), so nothing is built in the process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypedDict

from django.core.exceptions import ValidationError
from django.db.models import Case, Q, QuerySet, Value, When

from treatment.diagnosis_synonyms import SYNONYMS
from treatment.icd10cm import words
from treatment.models import DiagnosisCode

MAX_DIAGNOSES = 12
_CODE_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
#: What a code typed so far looks like: "F4", "F41", "F41.", "F411", "f41.1".
_CODE_PREFIX = re.compile(r"^[A-Z][0-9]([0-9A-Z]\.?[0-9A-Z]{0,4})?$")
#: The synonym table in the words a query is split into: (("social", "anxiety"), [["social", "phobia"]]).
_SYNONYMS = [(tuple(words(key)), [words(text) for text in expansions]) for key, expansions in SYNONYMS.items()]
_FIELDS = ("code", "description", "billable")


class Diagnosis(TypedDict):
    code: str
    description: str
    billable: bool


def _dotted(raw: str) -> str:
    """'F411' -> 'F41.1': ICD-10-CM puts the dot after the category's three characters."""
    bare = raw.replace(".", "")
    return f"{bare[:3]}.{bare[3:]}" if len(bare) > 3 else bare


def normalize(code: str) -> str:
    """'f411' and ' F41.1 ' -> 'F41.1'; what does not look like a code comes back upper-cased as typed."""
    raw = (code or "").strip().upper().replace(" ", "")
    return _dotted(raw) if _CODE_SHAPE.match(raw) else raw


def lookup_many(codes: Iterable[str]) -> dict[str, Diagnosis]:
    """{normalized code: its entry} for those of `codes` that are categories or codes of the classification."""
    wanted = {normalize(code) for code in codes} - {""}
    if not wanted:
        return {}
    rows = DiagnosisCode.objects.filter(code__in=wanted).values(*_FIELDS)
    return {row["code"]: Diagnosis(**row) for row in rows}  # type: ignore[typeddict-item]


def lookup(code: str) -> Diagnosis | None:
    """{code, description, billable} for a category or code of the classification, else None."""
    return lookup_many([code]).get(normalize(code))


def billable_under(category: str, limit: int = 6) -> list[str]:
    """The first billable codes below a category: 'F41' -> ['F41.0', 'F41.1', ...]."""
    prefix = category if "." in category else f"{category}."
    below = DiagnosisCode.objects.filter(code__startswith=prefix, billable=True).order_by("code")
    return list(below.values_list("code", flat=True)[:limit])


def clean_diagnoses(items, field: str = "diagnosis_codes") -> list[dict]:
    """Validate a plan's diagnoses; fill missing descriptions from the code set.

    Raises ValidationError naming `field` with one message per bad entry.
    """
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValidationError({field: "Send a list of {code, description} objects."})
    if len(items) > MAX_DIAGNOSES:
        raise ValidationError({field: f"A plan takes at most {MAX_DIAGNOSES} diagnoses."})
    items = [{"code": item} if isinstance(item, str) else item for item in items]
    known = lookup_many(str(item["code"]) for item in items if isinstance(item, dict) and item.get("code"))
    cleaned, errors, seen = [], [], set()
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not str(item.get("code") or "").strip():
            errors.append(f"Diagnosis {position}: a code is required.")
            continue
        entry = known.get(normalize(str(item["code"])))
        if entry is None:
            errors.append(f"Diagnosis {position}: {str(item['code']).strip()!r} is not an ICD-10-CM code.")
            continue
        if not entry["billable"]:
            children = ", ".join(billable_under(entry["code"]))
            errors.append(
                f"Diagnosis {position}: {entry['code']} is a category; use a billable code ({children}, ...)."
            )
            continue
        if entry["code"] in seen:
            errors.append(f"Diagnosis {position}: {entry['code']} is listed twice.")
            continue
        seen.add(entry["code"])
        description = str(item.get("description") or "").strip()[:300] or entry["description"]
        cleaned.append({"code": entry["code"], "description": description})
    if errors:
        raise ValidationError({field: errors})
    return cleaned


# --- search ------------------------------------------------------------------------------------


def word_alternatives(typed: list[str]) -> list[list[str]]:
    """The typed words, then the same words with each synonym key found among them replaced by an expansion."""
    alternatives = [typed]
    for key, expansions in _SYNONYMS:
        for start in range(len(typed) - len(key) + 1):
            if tuple(typed[start : start + len(key)]) == key:
                alternatives += [typed[:start] + expansion + typed[start + len(key) :] for expansion in expansions]
                break
    return alternatives


def _code_prefix(query: str) -> str | None:
    raw = query.strip().upper()
    return _dotted(raw).rstrip(".") if _CODE_PREFIX.match(raw) else None


def _all_start_words(typed: list[str]) -> Q:
    """Every one of the words starts a word of the description."""
    return Q(*(Q(search_words__contains=f" {word}") for word in typed))


def ranked(query: str, billable_only: bool = False) -> QuerySet[DiagnosisCode]:
    """Codes matching `query`, best first.

    Matches: the code starts with the query ("F41", "f411"), or every word of the query (or of a synonym's
    expansion) starts a word of the description. Order: the exact code, then codes starting with the query,
    then word matches: mental and behavioural disorders (chapter F) first, then factors influencing health
    (chapter Z), then the rest; within those, descriptions that start with the typed words (or an
    expansion's), then those whose first three words (`first_words`) hold a word the first typed word
    starts, then the rest; then billable codes before categories, then descriptions with the typed words
    themselves before those with only an expansion's; code order last.
    """
    typed, *expansions = word_alternatives(words(query))
    alternatives = [alternative for alternative in [typed, *expansions] if alternative]
    code = _code_prefix(query)
    matches = Q(pk__in=[])
    for alternative in alternatives:
        matches |= _all_start_words(alternative)
    # Codes found by their code keep code order: the word ranks apply to the other rows only.
    by_code, by_words = (Q(code__startswith=code), ~Q(code__startswith=code)) if code else (Q(pk__in=[]), Q())
    rows = DiagnosisCode.objects.filter(matches | by_code)
    if billable_only:
        rows = rows.filter(billable=True)
    return rows.annotate(
        tier=Case(When(code=code, then=0), When(by_code, then=1), default=2) if code else Value(2),
        chapter=Case(
            When(by_words & Q(code__startswith="F"), then=0),
            When(by_words & Q(code__startswith="Z"), then=1),
            default=2,
        ),
        lead=Case(
            *(When(by_words & Q(search_words__startswith=f" {' '.join(a)}"), then=0) for a in alternatives),
            *(When(by_words & Q(first_words__contains=f" {a[0]}"), then=1) for a in alternatives),
            default=2,
        ),
        category=Case(When(by_words & Q(billable=False), then=1), default=0),
        indirect=Case(When(by_words & _all_start_words(typed), then=0), default=1) if typed else Value(0),
    ).order_by("tier", "chapter", "lead", "category", "indirect", "code")


def search(query: str, limit: int = 20, billable_only: bool = False) -> list[Diagnosis]:
    """The first `limit` codes of `ranked(query)` as {code, description, billable}."""
    if not words(query):
        return []
    rows = ranked(query, billable_only).values(*_FIELDS)[:limit]
    return [Diagnosis(**row) for row in rows]  # type: ignore[typeddict-item]
