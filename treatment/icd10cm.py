"""The ICD-10-CM code set as `simple-icd-10-cm` ships it, turned into rows of `DiagnosisCode`.

Only the migration that fills the table reads the package (parsing it takes seconds); everything else reads
the table. `search_words` is the one normalization of text that both the stored rows and a query go through,
so a word typed matches a word stored.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

_NOT_A_WORD = re.compile(r"[^a-z0-9]+")


def words(text: str) -> list[str]:
    """'Post-traumatic stress disorder (PTSD)' -> ['post', 'traumatic', 'stress', 'disorder', 'ptsd'].

    An apostrophe joins ("Alzheimer's" is the word "alzheimers", which "alzheimer" starts); every other
    character that is not a letter or digit separates words.
    """
    return _NOT_A_WORD.sub(" ", (text or "").lower().replace("'", "")).split()


#: How many words of a description name what it is about ("Generalized anxiety disorder" against "Vascular
#: dementia, ..., and anxiety"): a word typed that starts one of them ranks the code higher.
FIRST_WORDS = 3


def search_words(text: str, first: int | None = None) -> str:
    """The stored form: every word after a space, so ' panic' is found exactly where a word starts with 'panic'.

    `first` keeps only that many words.
    """
    return "".join(f" {word}" for word in words(text)[:first]) + " "


def code_set() -> Iterator[tuple[str, str, bool]]:
    """(code, description, billable) for every category and code of the classification, in code order."""
    with warnings.catch_warnings():
        # The package reads its data with a deprecated importlib.resources call.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm

    seen: set[str] = set()
    for code in cm.get_all_codes(True):
        # The list also holds chapters ("5") and blocks ("F40-F48"), which are no diagnosis; a block of one
        # category is named as that category ("B10"), so the category comes twice.
        if cm.is_category_or_subcategory(code) and code not in seen:
            seen.add(code)
            description = " ".join(cm.get_description(code).split())
            yield code, description, cm.is_leaf(code)


def load_code_set(model: Any, batch_size: int = 5000) -> int:
    """Insert every row of `code_set()` into `model` (the migration's historical DiagnosisCode); returns the count."""
    rows = [
        model(
            code=code,
            description=description,
            billable=billable,
            search_words=search_words(description),
            first_words=search_words(description, FIRST_WORDS),
        )
        for code, description, billable in code_set()
    ]
    model.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)
