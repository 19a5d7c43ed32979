"""``/openapi.json`` is valid OpenAPI 3, generated, and lists every route with its schemas."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate
from starlette.routing import Route

from ghosthands.api.app import create_app, endpoints
from ghosthands.config import Settings
from tests.api.conftest import Api


def resolve(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/components/schemas/"), ref
    schema: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def test_served_document_validates_as_openapi_3(api: Api) -> None:
    response = api.anonymous().get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    validate(doc)
    assert doc["openapi"].startswith("3.")
    for ref in refs(doc):  # every reference resolves
        resolve(doc, ref)


def test_every_route_is_documented_with_its_schemas(api: Api) -> None:
    doc = api.anonymous().get("/openapi.json").json()
    table = endpoints()
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == {(ep.method, ep.path) for ep in table}

    # Nothing is served that the document does not list (test-only routes aside).
    app = create_app(Settings(service_secret="x"), None)
    served = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route)
        for method in (route.methods or ()) - {"HEAD"}
    }
    assert served == documented

    for ep in table:
        op = doc["paths"][ep.path][ep.method.lower()]
        assert op["summary"] and op["operationId"]
        if ep.body is not None:
            body_ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert resolve(doc, body_ref)["title"] == ep.body.__name__
            assert {"400", "413", "422"} <= set(op["responses"])
        for status, model in ep.responses.items():
            content = op["responses"][str(status)].get("content", {})
            if model is not None:
                ref = content["application/json"]["schema"]["$ref"]
                assert resolve(doc, ref)["title"] == model.__name__
        if ep.access != "public":
            assert {"401", "429"} <= set(op["responses"])
            error = op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
            assert resolve(doc, error)["required"] == ["error", "message"]
        else:
            assert op["security"] == []
        path_params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert path_params == set(ep.path_params)


def test_schemas_carry_the_bounds_the_api_enforces(api: Api) -> None:
    doc = api.anonymous().get("/openapi.json").json()
    job = doc["components"]["schemas"]["JobCreateRequest"]
    props = job["properties"]
    assert set(job["required"]) == {"job_type", "target_url"}
    assert (
        props["priority"]["minimum"],
        props["priority"]["maximum"],
        props["priority"]["default"],
    ) == (1, 10, 5)
    assert (props["max_retries"]["minimum"], props["max_retries"]["maximum"]) == (0, 10)
    assert (props["timeout_seconds"]["minimum"], props["timeout_seconds"]["maximum"]) == (30, 1800)
    assert props["tags"]["maxItems"] == 20
    assert props["tags"]["items"]["maxLength"] == 50
    assert props["target_url"]["maxLength"] == 2048
    assert props["target_url"]["format"] == "uri"
    assert "http_check" in props["job_type"]["description"]
    batch = doc["components"]["schemas"]["JobBatchRequest"]["properties"]["jobs"]
    assert (batch["minItems"], batch["maxItems"]) == (1, 50)
    profile = doc["components"]["schemas"]["Profile"]
    assert {"first_name", "last_name", "email"} <= set(profile["required"])
    assert {
        "location",
        "education",
        "work_history",
        "skills",
        "work_authorization",
        "salary_expectation",
        "years_of_experience",
        "linkedin_url",
        "portfolio_url",
        "phone",
    } <= set(profile["properties"])
    quality = doc["components"]["schemas"]["Quality"]
    assert sorted(quality["enum"]) == ["balanced", "quality", "speed"]
    list_params = {p["name"] for p in doc["paths"]["/api/v1/gh/jobs"]["get"]["parameters"]}
    assert {"status", "job_type", "user_id", "limit", "offset", "sort"} <= list_params
