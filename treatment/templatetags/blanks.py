"""The `[[hint]]` placeholders a plan template leaves, as the pages show them: marked, in words as well as colour."""

from __future__ import annotations

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from treatment.placeholders import PLACEHOLDER

register = template.Library()


@register.filter
def blanks(text: str) -> SafeString:
    """The text escaped, each placeholder as a marked "to fill in: <hint>" (screen readers hear the words)."""
    text = text or ""
    parts: list[str] = []
    end = 0
    for match in PLACEHOLDER.finditer(text):
        parts.append(escape(text[end : match.start()]))
        parts.append(
            format_html(
                '<mark class="blank"><span class="visually-hidden">to fill in: </span>{}</mark>', match.group(1)
            )
        )
        end = match.end()
    parts.append(escape(text[end:]))
    return mark_safe("".join(parts))  # noqa: S308 (every part is escaped above)
