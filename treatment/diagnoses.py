"""ICD-10-CM diagnoses: validation and search against the code set `simple-icd-10-cm` ships.

A plan's diagnoses are billable codes (the leaves of the classification, which is what a claim and a
partner EHR accept); a category such as F41 is refused with its billable children named.
"""

from __future__ import annotations

import functools
import re
import warnings

from django.core.exceptions import ValidationError

MAX_DIAGNOSES = 12
_CODE_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")


@functools.cache
def _cm():
    with warnings.catch_warnings():
        # The package reads its data with a deprecated importlib.resources call.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    return simple_icd_10_cm


def normalize(code: str) -> str:
    """'f411' and ' F41.1 ' -> 'F41.1'."""
    raw = (code or "").strip().upper().replace(" ", "")
    if not _CODE_SHAPE.match(raw):
        return raw
    cm = _cm()
    return cm.add_dot(raw) if cm.is_valid_item(raw) else raw


def lookup(code: str) -> dict | None:
    """{code, description, billable} for a category or code of the classification, else None."""
    cm = _cm()
    code = normalize(code)
    if not _CODE_SHAPE.match(code) or not cm.is_valid_item(code) or not cm.is_category_or_subcategory(code):
        return None
    return {"code": code, "description": cm.get_description(code), "billable": cm.is_leaf(code)}


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
    cleaned, errors, seen = [], [], set()
    for position, item in enumerate(items, start=1):
        if isinstance(item, str):
            item = {"code": item}
        if not isinstance(item, dict) or not str(item.get("code") or "").strip():
            errors.append(f"Diagnosis {position}: a code is required.")
            continue
        entry = lookup(str(item["code"]))
        if entry is None:
            errors.append(f"Diagnosis {position}: {str(item['code']).strip()!r} is not an ICD-10-CM code.")
            continue
        if not entry["billable"]:
            children = ", ".join(_cm().get_children(entry["code"])[:6])
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


@functools.cache
def _index() -> list[tuple[str, str, str, bool]]:
    """(code, description, lower-case haystack, billable) for every category and code."""
    cm = _cm()
    rows = []
    for code in cm.get_all_codes(True):
        if not cm.is_category_or_subcategory(code):
            continue
        description = cm.get_description(code)
        rows.append((code, description, f"{code} {code.replace('.', '')} {description}".lower(), cm.is_leaf(code)))
    return rows


@functools.lru_cache(maxsize=1024)
def _search(query: str, limit: int, billable_only: bool) -> tuple[tuple[str, str, bool], ...]:
    """Codes whose code or description contains every word of `query`.

    Mental and behavioural disorders (chapter F) come first, then Z codes (social and
    environmental factors), then the rest. Codes starting with the query rank first, then
    descriptions starting with it, then shorter (less specific) descriptions.
    """
    words = [w for w in (query or "").lower().split() if w]
    if not words:
        return ()
    phrase = " ".join(words)
    compact = phrase.replace(".", "")
    hits = []
    for code, description, haystack, billable in _index():
        if billable_only and not billable:
            continue
        if all(w in haystack for w in words):
            chapter_rank = 0 if code.startswith("F") else 1 if code.startswith("Z") else 2
            prefix_rank = 0 if code.lower().replace(".", "").startswith(compact) else 1
            lead_rank = 0 if description.lower().startswith(phrase) else 1
            rank = (prefix_rank, chapter_rank, lead_rank, len(description), code)
            hits.append((rank, code, description, billable))
    hits.sort(key=lambda h: h[0])
    return tuple((c, d, b) for _, c, d, b in hits[:limit])


def search(query: str, limit: int = 20, billable_only: bool = False) -> list[dict]:
    """Codes matching `query` (see `_search`); repeated queries, as autocomplete sends, are cached."""
    normalized = " ".join((query or "").lower().split())
    return [{"code": c, "description": d, "billable": b} for c, d, b in _search(normalized, limit, billable_only)]
