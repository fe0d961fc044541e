"""DRF's JSON, written by orjson: the bytes of `rest_framework.renderers.JSONRenderer`, several times faster.

Registered on the views whose bodies are large (the plan detail and its goals, `treatment.api.views`), not
globally: the two agree byte for byte on what those views answer (strings, integers, booleans, null, lists and
objects with string keys; tests/treatment/test_goal_tree_json.py), but not on every float (orjson writes
1e16 where json writes 1e+16), which other endpoints may carry.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.settings import api_settings
from rest_framework.utils.encoders import JSONEncoder

#: What orjson leaves to `default`: datetimes (DRF writes them its own way: milliseconds, "Z") and dataclasses
#: (which DRF refuses), so that those too come out as DRF's renderer would write them; and keys that are not
#: strings written as json writes them (a list's errors are keyed by position: {"interventions": {"0": ...}}).
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
_default = JSONEncoder().default


class ORJSONRenderer(JSONRenderer):
    """`JSONRenderer`'s output (compact, UTF-8, U+2028 and U+2029 escaped) by orjson; an `indent` asked for in
    the Accept header is DRF's to honour (orjson only indents by two)."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        body = orjson.dumps(data, default=_default, option=_OPTIONS)
        # DRF escapes the two line separators JavaScript does not allow in a string literal; orjson does not.
        return body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")


def orjson_renderers() -> list[type[BaseRenderer]]:
    """The API's renderers (the settings' list) with DRF's JSON renderer replaced by `ORJSONRenderer`."""
    # api_settings imports the settings' dotted paths: these are the classes (typed as the settings' strings).
    renderers = cast(list[type[BaseRenderer]], api_settings.DEFAULT_RENDERER_CLASSES)
    return [ORJSONRenderer if renderer is JSONRenderer else renderer for renderer in renderers]
