"""The OpenAPI 3.1 document, generated from the route table and its msgspec Structs.

Nothing here is written by hand per route: paths, parameters, bodies and responses
come from each :class:`~ghosthands.api.routing.Endpoint`, and the schemas from
``msgspec.json.schema_components`` (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import msgspec

from ghosthands import __version__
from ghosthands.api.errors import ErrorBody
from ghosthands.api.routing import Endpoint

REF = "#/components/schemas/{name}"

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    302: "Found (redirect to the stored file)",
    400: "Malformed JSON (bad_request)",
    401: "Missing or invalid credentials (unauthorized)",
    403: "Not allowed for this caller (forbidden)",
    404: "Not found (also: another user's resource)",
    409: "Conflict with the current state",
    413: "Request body too large (payload_too_large)",
    422: "Invalid fields, one detail per field (validation_error)",
    429: "Rate limit exceeded (rate_limit_exceeded, see Retry-After)",
    503: "Service unavailable",
}

_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "public": [],
    "any": [{"serviceKey": []}, {"bearerAuth": []}],
    "service": [{"serviceKey": []}],
}


def build_document(endpoints: Sequence[Endpoint], *, commit_sha: str = "unknown") -> dict[str, Any]:
    """The whole document as builtins (encode with msgspec.json.encode)."""
    types: list[Any] = [ErrorBody]
    for ep in endpoints:
        if ep.body is not None:
            types.append(ep.body)
        types.extend(t for t in ep.responses.values() if t is not None)
        if ep.query is not None:
            types.extend(f.type for f in msgspec.structs.fields(ep.query))
    unique = list(dict.fromkeys(types))
    schemas, components = msgspec.json.schema_components(unique, ref_template=REF)
    schema_of = dict(zip(unique, schemas, strict=True))
    error_ref = schema_of[ErrorBody]
    for tp, schema in schema_of.items():
        _mark_aliases(tp, components.get(schema.get("$ref", "").rsplit("/", 1)[-1]))

    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep, schema_of, error_ref)

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "GhostHands API",
            "version": __version__,
            "description": (
                "Browser automation jobs for VALET. Errors are always "
                '{"error": code, "message": ..., "details"?: [...]}. A user (Bearer JWT) '
                "sees only their own jobs: another user's job answers 404, as if it did "
                "not exist. Build: " + commit_sha
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "serviceKey": {"type": "apiKey", "in": "header", "name": "X-GH-Service-Key"},
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }


def _operation(
    ep: Endpoint, schema_of: dict[Any, dict[str, Any]], error_ref: dict[str, Any]
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": ep.operation_id,
        "summary": ep.summary,
        "tags": [ep.tag],
        "security": _SECURITY[ep.access],
    }
    if ep.description:
        op["description"] = ep.description
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _scalar_schema(ep.params.get(name, str)),
        }
        for name in ep.path_params
    ]
    if ep.query is not None:
        for info in msgspec.structs.fields(ep.query):
            parameters.append(
                {
                    "name": info.encode_name,
                    "in": "query",
                    "required": info.required,
                    "schema": schema_of[info.type],
                    **({"style": "form", "explode": False} if _is_list(info.type) else {}),
                }
            )
    if parameters:
        op["parameters"] = parameters
    if ep.body is not None:
        op["requestBody"] = {
            "required": ep.body_required,
            "content": {"application/json": {"schema": schema_of[ep.body]}},
        }

    responses: dict[str, Any] = {}
    for status, model in ep.responses.items():
        entry: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "OK")}
        if model is not None:
            entry["content"] = {"application/json": {"schema": schema_of[model]}}
        elif status < 300 and status != 204:
            entry["content"] = {ep.media_type: {"schema": {"type": "string"}}}
        responses[str(status)] = entry
    for status in sorted(_error_statuses(ep)):
        responses.setdefault(
            str(status),
            {
                "description": _STATUS_TEXT.get(status, "Error"),
                "content": {"application/json": {"schema": error_ref}},
            },
        )
    op["responses"] = responses
    return op


def _mark_aliases(tp: Any, component: dict[str, Any] | None) -> None:
    """Say in a body's schema which of two accepted names is canonical (``field_aliases``,
    see ``ghosthands.api.decoding.Alias``): the schema lists both, neither required."""
    properties = (component or {}).get("properties", {})
    by_canonical: dict[str, list[Any]] = {}
    for alias in getattr(tp, "field_aliases", ()):
        by_canonical.setdefault(alias.canonical, []).append(alias)
        either = " One of the two is required." if alias.required else ""
        if alias.name in properties:
            properties[alias.name]["description"] = (
                f"Alias of {alias.canonical} ({alias.origin}); {alias.canonical} is "
                f"canonical. Both may be sent when they are equal.{either}"
            )
    for canonical, aliases in by_canonical.items():
        if canonical not in properties:
            continue
        names = ", ".join(f"{a.name} ({a.origin})" for a in aliases)
        either = " One of them is required." if any(a.required for a in aliases) else ""
        note = f"Canonical name; also accepted as {names}.{either}"
        before = properties[canonical].get("description")
        properties[canonical]["description"] = " ".join(p for p in (before, note) if p)


def _error_statuses(ep: Endpoint) -> set[int]:
    statuses = set(ep.errors)
    if ep.access != "public":
        statuses |= {401, 429}
    if ep.access == "service":
        statuses.add(403)
    if ep.body is not None:
        statuses |= {400, 413, 422}
    if ep.query is not None or ep.path_params:
        statuses.add(422)
    return statuses


def _scalar_schema(tp: Any) -> dict[str, Any]:
    if tp is uuid.UUID:
        return {"type": "string", "format": "uuid"}
    return {"type": "string"}


def _is_list(tp: Any) -> bool:
    schema = msgspec.json.schema(tp)
    return schema.get("type") == "array" or any(
        s.get("type") == "array" for s in schema.get("anyOf", [])
    )
