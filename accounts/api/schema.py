"""What the OpenAPI schema says beyond what drf-spectacular derives (a postprocessing hook), so that a client
generated from it works as it is: each path once, as the spec writes it (no trailing slash; the router answers
both), the errors every operation can answer in one error model, blank-or-email strings that match one branch
only, `null` as a type wherever a value may be null (OpenAPI 3.1), and an optional query parameter sent empty
being one not given.

Every error the API answers is JSON in one shape (`Error`): `{"detail": "..."}` for the request as a whole
(401, 403, 404, 409, 412, 415, 429, and a 400 about the body as a whole: too large, too deep, not parsing), or
for a 400 on input, the fields at fault with their messages (`{"title": ["This field is required."]}`, nested
as the body is: `{"diagnosis_codes": [{"code": ["..."]}]}`; `non_field_errors` for the body as a whole). A few
errors add a machine-readable `code` (`mfa_enrolment_required`) or a flag (`mfa_required`).

Which errors an operation declares follows from what it is, so an endpoint added later gets them too:
401, 403 and 429 on every operation that needs credentials; 404 on every path with a parameter and on paginated
lists (a page past the end); 400 on writes and on operations that take query parameters; 415 where there is a
body; 412 where the operation takes `If-Match`; 409 where a closed plan refuses the write (`CLOSABLE`), or
where the view declares its own.
"""

from __future__ import annotations

from typing import Any

ERROR_REF = "#/components/schemas/Error"
ERROR = {
    "type": "object",
    "description": (
        "Every error the API answers. `detail` says what is wrong with the request as a whole; a 400 on input names "
        'instead each field at fault with its messages ({"field": ["message"]}, nested as the body is; '
        '"non_field_errors" for the body as a whole).'
    ),
    "properties": {
        "detail": {"type": "string", "description": "What is wrong with the request as a whole."},
        "code": {"type": "string", "description": "A machine-readable reason, where there is one."},
        "non_field_errors": {
            "type": "array",
            "items": {"type": "string"},
            "description": "What is wrong with the body as a whole.",
        },
    },
    "additionalProperties": {
        "description": "A field at fault: its messages, or (for a nested object or list) its own fields' errors."
    },
}
#: The error model, for a view that declares an error response of its own (`OpenApiResponse(ERROR_SCHEMA, ...)`).
ERROR_SCHEMA = {"$ref": ERROR_REF}
METHODS = ("get", "put", "patch", "post", "delete")
WRITES = ("put", "patch", "post")
#: Paths whose writes land on a plan or what hangs off it, which a closed plan refuses (409).
CLOSABLE = ("/treatment-plans/{", "/goals", "/sessions")
#: ... except asking for a report of it, co-signing a review of it, or appending an addendum to one of its sessions:
#: reading, signing and correcting the record stay open.
NOT_CLOSABLE = ("/progress-reports", "/cosign", "/addenda")
#: The only operation whose 429 is about signing in (the anti-automation block), not the API's rates.
SIGN_IN = ("/api/v1/auth/token", "post")


def _response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}


#: What every 429 says beside its body: when to try again.
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}


def _throttled(description: str) -> dict[str, Any]:
    return {**_response(description), "headers": dict(RETRY_AFTER)}


def _authenticated(operation: dict[str, Any]) -> bool:
    # drf-spectacular lists an empty requirement (`{}`) when the operation may be called without credentials.
    return {} not in operation.get("security", [{}])


def _paginated(operation: dict[str, Any]) -> bool:
    return any(p.get("in") == "query" and p.get("name") == "page" for p in operation.get("parameters", []))


def operation_errors(path: str, method: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The error responses an operation can answer, by status."""
    parameters = operation.get("parameters", [])
    errors: dict[str, dict[str, Any]] = {}
    if method in WRITES or any(p.get("in") == "query" for p in parameters):
        errors["400"] = _response("The input is refused: the fields at fault, or what is wrong with the body.")
    if _authenticated(operation):
        errors["401"] = _response("No credentials, or a token that is invalid or expired.")
        errors["403"] = _response("The caller may not do this.")
    if "{" in path or _paginated(operation):
        errors["404"] = _response("Not found, or not visible to the caller (or a page past the last).")
    closable = any(part in path for part in CLOSABLE) and not any(part in path for part in NOT_CLOSABLE)
    if method in WRITES and closable:
        errors["409"] = _response("The plan is completed or discontinued: its record is closed to changes.")
    if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in parameters):
        errors["412"] = _response("If-Match names a state that is no longer current: nothing changed.")
    if "requestBody" in operation:
        errors["415"] = _response("The body is not JSON (Content-Type: application/json).")
    if (path, method) == SIGN_IN:
        errors["429"] = _throttled(
            "Too many sign-in attempts from this address or for this account, or too many failed ones: "
            "the account is locked here for a while. Try again after Retry-After seconds."
        )
    else:
        errors["429"] = _throttled(
            "Too many requests from this caller (or address): try again after Retry-After seconds."
        )
    return errors


def _blank_or(node: Any) -> None:
    """A string that may be blank is `oneOf: [<format>, {maxLength: 0}]` from drf-spectacular, which "" matches
    twice (a validator that does not check formats, or `format: email` read as a hint), failing `oneOf`: it is
    an `anyOf`."""
    if isinstance(node, dict):
        branches = node.get("oneOf")
        if isinstance(branches, list) and any(b.get("maxLength") == 0 for b in branches if isinstance(b, dict)):
            node["anyOf"] = node.pop("oneOf")
        for value in node.values():
            _blank_or(value)
    elif isinstance(node, list):
        for value in node:
            _blank_or(value)


def _null_typed(node: Any) -> None:
    """OpenAPI 3.1 says "may be null" with the type `null`; a `nullable: true` that a library still writes (DRF's
    pagination: `next`, `previous`) would be read as not null, so it becomes that type."""
    if isinstance(node, dict):
        if node.pop("nullable", False) is True:
            kind = node.get("type")
            if isinstance(kind, str):
                node["type"] = [kind, "null"]
            elif isinstance(kind, list) and "null" not in kind:
                kind.append("null")
            elif kind is None:
                branches = {key: node.pop(key) for key in ("$ref", "allOf", "oneOf", "anyOf") if key in node}
                node["oneOf"] = [branches, {"type": "null"}]
        for value in node.values():
            _null_typed(value)
    elif isinstance(node, list):
        for value in node:
            _null_typed(value)


def document_errors(result: dict, generator, request, public) -> dict:
    """Name each path as the spec does, add the error responses each operation can give (those an operation
    documents itself are kept), and mark optional query parameters as taking an empty value."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    paths: dict[str, Any] = {}
    for path, item in result.get("paths", {}).items():
        path = path.rstrip("/") or "/"
        paths.setdefault(path, {}).update(item)
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, response in operation_errors(path, method, operation).items():
                responses.setdefault(status, response)
            # A view that declares its own 429 (the FHIR routes answer an OperationOutcome) still says when to retry.
            responses["429"].setdefault("headers", dict(RETRY_AFTER))
            for parameter in operation.get("parameters", []):
                # A filter or page left empty (`?status=&page=`, as an HTML form sends it) is one not given.
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
    result["paths"] = paths
    _blank_or(result)
    _null_typed(result)
    return result
