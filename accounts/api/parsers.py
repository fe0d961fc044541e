"""The API's one parser: JSON, with NUL characters refused wherever they hide in the document.

PostgreSQL stores no NUL in text or jsonb, so a NUL that reached a write would be a database error (a 500);
refusing it here, for every endpoint at once, answers 400 naming each place it was found (`title`,
`smart.specific.who`, `presenting_problems[1]`), before any serializer or service sees the body. The body's
size and depth were checked before the view ran (`accounts.middleware.RequestGuardMiddleware`).
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from accounts.validators import MAX_JSON_DEPTH, NUL_MESSAGE, nul_paths

#: How many places with a NUL one answer names (a body can hold thousands).
MAX_REPORTED = 20


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing NUL characters in any string or key of the body."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # The middleware's depth check runs first; this is for a parser called without it.
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.") from None
        refused = list(islice(nul_paths(data), MAX_REPORTED))
        if refused:
            raise ValidationError({path or "non_field_errors": [NUL_MESSAGE] for path in refused})
        return data
