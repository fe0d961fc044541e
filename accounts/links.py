"""Links that pages build by the dozen: one `reverse()` per URL name, then plain string building per record."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.urls import reverse


def url_of(name: str) -> Callable[[uuid.UUID], str]:
    """`reverse(name, args=[pk])` for any pk, from one reverse: what the pattern puts around the id. The goal
    cards link each goal five ways; reversing each link of each card was a fifth of the plan page's rendering."""
    marker = uuid.UUID(int=0)
    prefix, suffix = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{prefix}{pk}{suffix}"
