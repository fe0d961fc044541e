"""Optimistic concurrency over the API: the If-Match header as the schema documents it and as a view reads it.

The rule itself (which tags match, `StaleWrite` and its 412) is `accounts.concurrency`; the errors the schema
documents for an operation with this parameter are added in `accounts.api.schema`.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of the state you edited; a stale one answers 412 and changes nothing.",
)


def if_match(request: Request) -> str | None:
    """The If-Match header the write names (None: an unconditional write)."""
    return request.headers.get(IF_MATCH.name)
