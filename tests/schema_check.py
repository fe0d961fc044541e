"""Every API response the suite receives is checked against the OpenAPI schema (tests/conftest.py installs it).

For a request to `/api/v1/...` that matches an operation of the schema, the response's status must be one the
operation declares, its content type one declared for that status, and a JSON body must match the declared
schema. A request that matches no operation (an unknown URL, a method the path does not have) must still
answer in the error shape, as must a 5xx (never declared: it is a bug, and the test that provokes it says so).
A body that is not JSON (a PDF, a CSV) is checked for its status and content type only.

The schema is generated and compiled once per test session, into one `jsonschema_rs` validator map: each
declared response body is a subschema of one document, so compiling it is one pass.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema_rs

API_PREFIX = "/api/v1/"
COMPONENTS = "#/components/schemas/"
METHODS = ("get", "put", "patch", "post", "delete")


FHIR_JSON = "application/fhir+json"


class SchemaDrift(AssertionError):
    """A response the schema does not describe."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    #: status -> content type -> the pointer of its body's validator in the map ("" when the body is not JSON)
    responses: dict[str, dict[str, str]]


@dataclass(frozen=True)
class Contract:
    routes: list[tuple[re.Pattern[str], str, dict[str, Operation]]]
    validators: jsonschema_rs.ValidatorMap

    def match(self, path: str) -> tuple[str, dict[str, Operation]] | None:
        for pattern, template, operations in self.routes:
            if pattern.fullmatch(path):
                return template, operations
        return None


def _local(node: Any) -> Any:
    """The schema's `#/components/schemas/X` references, pointed at the validator document's `$defs`."""
    if isinstance(node, dict):
        return {
            key: ("#/$defs/" + value[len(COMPONENTS) :] if key == "$ref" and isinstance(value, str) else _local(value))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_local(value) for value in node]
    return node


def _pattern(template: str) -> re.Pattern[str]:
    # `{plan_id}` is one path segment; the router answers with and without a trailing slash.
    parts = re.split(r"\{[^}]+\}", template)
    return re.compile("[^/]+".join(re.escape(part) for part in parts) + "/?")


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


@cache
def contract() -> Contract:
    """The schema as served, compiled once."""
    from drf_spectacular.generators import SchemaGenerator

    schema = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    defs: dict[str, Any] = {name: _local(body) for name, body in schema["components"]["schemas"].items()}
    routes = []
    for template, item in schema["paths"].items():
        operations: dict[str, Operation] = {}
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses: dict[str, dict[str, str]] = {}
            for status, response in operation["responses"].items():
                contents: dict[str, str] = {}
                for content_type, media in response.get("content", {}).items():
                    pointer = ""
                    if _is_json(content_type) and "schema" in media:
                        key = f"response{len(defs)}"
                        defs[key] = _local(media["schema"])
                        pointer = f"#/$defs/{key}"
                    contents[content_type] = pointer
                responses[status] = contents
            operations[method] = Operation(method, template, responses)
        routes.append((_pattern(template), template, operations))
    # Literal segments before parameters: `/staff/me` is not `/staff/{staff_id}`.
    routes.sort(key=lambda route: (route[1].count("{"), -len(route[1])))
    document = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs}
    error = Operation("*", "*", {"*": {"application/json": "#/$defs/Error"}})
    outcome = Operation("*", "*", {"*": {FHIR_JSON: "#/$defs/OperationOutcome"}})
    routes.append((re.compile(".*"), "*", {"*": error, "fhir": outcome}))
    return Contract(routes, jsonschema_rs.validator_map_for(document, validate_formats=True))


def _body_errors(contract: Contract, pointer: str, body: bytes) -> list[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return ["the body is not JSON"]
    validator = contract.validators.get(pointer)
    errors = validator.iter_errors(data)
    return [f"{'/'.join(map(str, error.instance_path)) or '(body)'}: {error.message}" for error in errors][:5]


def check(method: str, path: str, response: Any) -> None:
    """Raise `SchemaDrift` when the schema does not describe this response to `method path`."""
    method = method.lower()
    if not path.startswith(API_PREFIX) or method not in METHODS:
        return
    status = str(response.status_code)
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    where = f"{method.upper()} {path} -> {status}"
    rules = contract()
    template, operations = rules.match(path) or ("*", {})
    operation = operations.get(method)
    if operation is None or status.startswith("5"):
        # No such operation (an unknown URL, an undeclared method), or a server error: the error shape still, the
        # FHIR routes' own (an OperationOutcome) on a path that answers FHIR.
        fhir = template != "*" and any(FHIR_JSON in c for op in operations.values() for c in op.responses.values())
        operation = rules.routes[-1][2]["fhir" if fhir else "*"]
        status, where = "*", f"{where} (no operation {method.upper()} {template})"
    declared = operation.responses.get(status)
    if declared is None:
        raise SchemaDrift(f"{where}: the schema declares only {sorted(operation.responses)} for {template}")
    streaming = getattr(response, "streaming", False)
    if not declared:
        if not streaming and response.content:
            raise SchemaDrift(f"{where}: the schema declares no body, the response has one ({content_type})")
        return
    if content_type not in declared:
        raise SchemaDrift(f"{where}: content type {content_type!r}, the schema declares {sorted(declared)}")
    pointer = declared[content_type]
    if pointer and not streaming:
        errors = _body_errors(rules, pointer, response.content)
        if errors:
            raise SchemaDrift(f"{where}: the body does not match the schema: " + "; ".join(errors))
