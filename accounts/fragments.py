"""Rendered fragments kept in the process's memory (settings.CACHES["fragments"]), keyed by the data they show.

A fragment's key is a digest of everything its template reads (`fragment_key`): the rows it shows, field by field,
and the reader's part in it (whether they may change it, the day). A change to any of them is a new key, so a
fragment is never stale and nothing has to be told to forget one. The rows are still read on every request (the
key is made of them); what a hit saves is the work of turning them into HTML.

A fragment is rendered with no request, so it holds nothing of the reader but what its key names. Its forms'
CSRF tokens are a placeholder (`CSRF_SLOT`) that the page fills in with the reader's own token
(`{{ fragment|csrf_filled:csrf_token }}`, accounts/templatetags/fragments.py): a form in a fragment rendered for
one user posts for the next.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import caches
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

#: What a fragment's `{% csrf_token %}` holds until the page fills in the reader's token: random per process, as
#: the fragments are.
CSRF_SLOT = f"csrf-slot-{secrets.token_hex(16)}"


def row_values(obj: models.Model) -> tuple[Any, ...]:
    """Every stored value of a row, in field order: what a key names of a row the fragment shows."""
    return tuple(getattr(obj, field.attname) for field in obj._meta.concrete_fields)


def fragment_key(name: str, parts: Iterable[object]) -> str:
    """The key of fragment `name` showing `parts` (values whose repr is their content: rows as `row_values`,
    dates, ids, flags), in the zone the page is shown in."""
    digest = hashlib.blake2b(repr((timezone.get_current_timezone_name(), *parts)).encode(), digest_size=20)
    return f"{name}:{digest.hexdigest()}"


def cached_fragment(key: str, template_name: str, context: Callable[[], dict[str, Any]]) -> SafeString:
    """The fragment under `key`, rendered from `template_name` and `context()` when this process has none yet
    (`context` is only called then: building it is the work a hit saves)."""
    cache = caches["fragments"]
    html = cache.get(key)
    if html is None:
        html = render_to_string(template_name, {**context(), "csrf_token": CSRF_SLOT})
        cache.set(key, html)
    return mark_safe(html)  # noqa: S308 - the template's own autoescaped output


def csrf_filled(fragment: str, token: object) -> SafeString:
    """`fragment` with its forms' CSRF tokens the reader's (`token`: the page's `csrf_token`)."""
    return mark_safe(fragment.replace(CSRF_SLOT, str(token)))  # noqa: S308 - a rendered fragment and a token


def forget_fragments(**kwargs: object) -> None:
    """Drop every fragment of this process (the development server saw a file change: a template may be new).
    Returns None, so the server still reloads for a change of code."""
    caches["fragments"].clear()
