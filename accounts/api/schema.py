"""What the OpenAPI schema says beyond what drf-spectacular derives (a postprocessing hook): the errors
every operation can answer, and that an optional query parameter sent empty is one not given.

Every error the API answers is JSON in one of two shapes: `{"detail": "..."}` (`Error`), or for a 400 on
input, the fields at fault with their messages (`ValidationError`, `{"title": ["This field is required."]}`,
nested as the body is: `{"diagnosis_codes": [{"code": ["..."]}]}`); a 400 that is about the request as a
whole (a body too large or nested too deep, JSON that does not parse) is `{"detail": "..."}` too. Each
operation lists the errors it can answer, so a client (and the schema fuzzer) knows them all.
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "description": "An error about the request as a whole.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": (
        'The input refused: each field at fault with its messages ({"field": ["message"]}, nested as the body '
        'is; "non_field_errors" for the body as a whole), or {"detail": "..."} when the body could not be read.'
    ),
    "additionalProperties": True,
}
METHODS = ("get", "put", "patch", "post", "delete")
WRITES = ("put", "patch", "post")
#: Paths whose writes land on a plan or what hangs off it, which a closed plan refuses (409).
CLOSABLE = ("/treatment-plans/{", "/goals", "/sessions")
#: ... except asking for a report of it, co-signing a review of it, or appending an addendum to one of its sessions:
#: reading, signing and correcting the record stay open.
NOT_CLOSABLE = ("/progress-reports", "/cosign", "/addenda")


def _response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema}}}}


def _throttled(description: str, schema: str) -> dict[str, Any]:
    response = _response(description, schema)
    response["headers"] = {
        "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
    }
    return response


def document_errors(result: dict, generator, request, public) -> dict:
    """Add the error responses each operation can give (those it documents already are kept), and mark
    optional query parameters as taking an empty value."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    schemas["ValidationError"] = VALIDATION_ERROR
    error, invalid = "#/components/schemas/Error", "#/components/schemas/ValidationError"
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            errors = {
                "400": _response("The input is refused (a field error, or a body too large or too deep).", invalid),
                "401": _response("No credentials, or a token that is invalid or expired.", error),
                "403": _response("The caller may not do this.", error),
                "404": _response("Not found, or not visible to the caller.", error),
            }
            if "requestBody" in operation:
                errors["415"] = _response("The body is not JSON (Content-Type: application/json).", error)
            if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in operation.get("parameters", [])):
                errors["412"] = _response("If-Match names a state that is no longer current: nothing changed.", error)
            closable = any(part in path for part in CLOSABLE) and not any(part in path for part in NOT_CLOSABLE)
            if method in WRITES and closable:
                errors["409"] = _response(
                    "The plan is completed or discontinued: its record is closed to changes.", error
                )
            errors["429"] = _throttled(
                "Too many requests from this caller (or address): try again after Retry-After seconds.", error
            )
            if path.rstrip("/").endswith("/auth/token") and method == "post":
                errors["429"] = _throttled(
                    "Too many sign-in attempts from this address or for this account, or too many failed ones: "
                    "the account is locked here for a while. Try again after Retry-After seconds.",
                    error,
                )
            responses = operation.setdefault("responses", {})
            for status, response in errors.items():
                responses.setdefault(status, response)
            for parameter in operation.get("parameters", []):
                # A filter or page left empty (`?status=&page=`, as an HTML form sends it) is one not given.
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    return result
