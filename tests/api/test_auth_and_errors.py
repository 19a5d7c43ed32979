"""Authentication, rate limits, CORS and the error format, against ``ghosthands serve``."""

from __future__ import annotations

import socket
import uuid

import httpx
import pytest

from ghosthands.api.app import endpoints
from tests.api.conftest import (
    CORS_ORIGIN,
    JWT_SECRET,
    MAX_BODY,
    PREFIX,
    SERVICE_SECRET,
    Api,
    Client,
    create_job,
    job_body,
    make_token,
)

PUBLIC = {
    "/health",
    "/monitoring/health",
    "/monitoring/metrics",
    "/monitoring/dashboard",
    "/openapi.json",
}


def concrete(path: str) -> str:
    return (
        path.replace("{job_id}", str(uuid.uuid4()))
        .replace("{artifact_id}", str(uuid.uuid4()))
        .replace("{user_id}", str(uuid.uuid4()))
        .replace("{domain}", "example.com")
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [(ep.method, ep.path) for ep in endpoints() if ep.path not in PUBLIC],
)
def test_every_protected_route_needs_credentials(api: Api, method: str, path: str) -> None:
    anonymous = api.anonymous()
    response = anonymous.http.request(method, concrete(path), json={})
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "unauthorized"
    wrong_key = anonymous.http.request(
        method, concrete(path), json={}, headers={"X-GH-Service-Key": "wrong"}
    )
    assert wrong_key.status_code == 401


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_public_routes_need_no_credentials(api: Api, path: str) -> None:
    assert api.anonymous().get(path).status_code == 200


@pytest.mark.parametrize(
    ("label", "token"),
    [
        ("expired", make_token(uuid.uuid4(), expires_in=-120)),
        ("wrong secret", make_token(uuid.uuid4(), secret="not-the-secret-0123456789abcdef-0123")),
        ("wrong audience", make_token(uuid.uuid4(), audience="anon")),
        ("subject not a uuid", make_token("user-42")),
        ("not a jwt", "abc.def.ghi"),
        ("none algorithm", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."),
        ("no exp", __import__("jwt").encode({"sub": str(uuid.uuid4())}, JWT_SECRET)),
    ],
)
def test_bad_tokens_are_401(api: Api, label: str, token: str) -> None:
    response = api.anonymous().get(f"{PREFIX}/jobs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, label
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_token_without_audience_is_accepted(api: Api) -> None:
    token = make_token(uuid.uuid4(), audience=None)
    response = api.anonymous().get(f"{PREFIX}/jobs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_malformed_authorization_header_is_401(api: Api) -> None:
    for value in ("Basic dXNlcjpwYXNz", "Bearer", "Token abc"):
        response = api.anonymous().get(f"{PREFIX}/jobs", headers={"Authorization": value})
        assert response.status_code == 401, value


def test_users_may_not_use_valet_routes(api: Api) -> None:
    user = api.user()
    for method, path in [
        ("POST", f"{PREFIX}/valet/apply"),
        ("POST", f"{PREFIX}/valet/task"),
        ("GET", f"{PREFIX}/valet/status/{uuid.uuid4()}"),
        ("POST", f"{PREFIX}/valet/workers/deregister"),
        ("GET", f"{PREFIX}/valet/sessions/{user.user_id}"),  # type: ignore[attr-defined]
    ]:
        response = user.http.request(method, path, json={})
        assert response.status_code == 403, path
        assert response.json()["error"] == "forbidden"


def test_user_rate_limit_by_tier_with_headers(api: Api) -> None:
    user = api.user(tier="free")
    first = user.get(f"{PREFIX}/jobs")
    limit = int(first.headers["x-ratelimit-limit"])
    assert limit == 60
    assert int(first.headers["x-ratelimit-remaining"]) == limit - 1
    assert 1 <= int(first.headers["x-ratelimit-reset"]) <= 60
    # A window may roll over during the burst; within two windows' worth we must be refused.
    refused = None
    for _ in range(2 * limit + 2):
        response = user.get(f"{PREFIX}/jobs")
        if response.status_code == 429:
            refused = response
            break
        assert response.status_code == 200
    assert refused is not None, "never rate limited"
    assert refused.json()["error"] == "rate_limit_exceeded"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # The limit is per user: someone else is unaffected, and so is the service caller.
    assert api.user(tier="free").get(f"{PREFIX}/jobs").status_code == 200
    service_response = api.service().get(f"{PREFIX}/jobs")
    assert service_response.status_code == 200
    assert "x-ratelimit-limit" not in service_response.headers


def test_higher_tiers_get_higher_limits(api: Api) -> None:
    response = api.user(tier="enterprise").get(f"{PREFIX}/jobs")
    assert response.headers["x-ratelimit-limit"] == "1200"
    # A tier the user could set themselves (user_metadata) is not trusted.
    token = make_token(uuid.uuid4(), user_metadata={"tier": "enterprise"})
    response = api.anonymous().get(f"{PREFIX}/jobs", headers={"Authorization": f"Bearer {token}"})
    assert response.headers["x-ratelimit-limit"] == "60"


def test_limits_are_shared_between_api_processes(api: Api, start_api: object) -> None:
    other = start_api(DATABASE_URL=api.database_url)  # type: ignore[operator]
    for _ in range(3):  # a fresh try if a window boundary falls between the requests
        user_id = uuid.uuid4()
        for _ in range(5):
            first = api.user(user_id).get(f"{PREFIX}/jobs")
        second = other.user(user_id).get(f"{PREFIX}/jobs")
        if int(second.headers["x-ratelimit-reset"]) <= int(first.headers["x-ratelimit-reset"]):
            # Same window: the second process counted on top of the first one's five.
            assert second.headers["x-ratelimit-remaining"] == str(60 - 6)
            return
    raise AssertionError("three window roll-overs in a row")


def test_cors_preflight_and_headers(api: Api) -> None:
    response = api.anonymous().http.options(
        f"{PREFIX}/jobs",
        headers={
            "Origin": CORS_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == CORS_ORIGIN
    other = api.anonymous().http.options(
        f"{PREFIX}/jobs",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in other.headers
    simple = api.user().get(f"{PREFIX}/jobs", headers={"Origin": CORS_ORIGIN})
    assert simple.headers["access-control-allow-origin"] == CORS_ORIGIN
    assert "X-RateLimit-Remaining" in simple.headers["access-control-expose-headers"]


# -- error format -------------------------------------------------------------------------


def test_starlette_404_and_405_use_the_error_format(api: Api, service: Client) -> None:
    response = service.get(f"{PREFIX}/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    response = service.http.delete(f"{PREFIX}/jobs")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_invalid_json_is_400(api: Api, service: Client) -> None:
    before = api.rows()
    for raw in (b"{", b"not json", b"", b'{"a": 1}{', b'"\\ud800"', b"1e999", b"[" * 5000):
        response = service.post(
            f"{PREFIX}/jobs", content=raw, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, raw[:20]
        assert response.json()["error"] == "bad_request"
        assert "Traceback" not in response.text
    assert api.rows() == before


def test_body_that_is_not_an_object_is_422(service: Client) -> None:
    for body in (b"[]", b'"text"', b"5", b"null", b"true"):
        response = service.post(f"{PREFIX}/jobs", content=body)
        assert response.status_code == 422, body
        assert response.json()["details"][0]["field"] == "body"


def test_nul_characters_and_deep_nesting_are_422(api: Api, service: Client) -> None:
    before = api.rows()
    nul = service.post(
        f"{PREFIX}/jobs", job_body(user_id=str(uuid.uuid4()), task_description="a\u0000b")
    )
    assert nul.status_code == 422
    assert nul.json()["details"][0]["field"] == "task_description"
    deep: object = "x"
    for _ in range(40):
        deep = {"k": deep}
    nested = service.post(f"{PREFIX}/jobs", job_body(user_id=str(uuid.uuid4()), input_data=deep))
    assert nested.status_code == 422
    assert "nested deeper" in nested.json()["details"][0]["message"]
    assert api.rows() == before


def test_declared_body_over_the_limit_is_413(service: Client) -> None:
    big = b'{"job_type": "' + b"x" * (MAX_BODY + 10) + b'"}'
    response = service.post(
        f"{PREFIX}/jobs", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_streamed_body_over_the_limit_is_413(api: Api) -> None:
    """A chunked body has no Content-Length: the limit applies as it streams in."""

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"job_type": "'
        for _ in range(MAX_BODY // 1024 + 2):
            yield b"x" * 1024
        yield b'"}'

    before = api.rows()
    response = httpx.post(
        f"{api.base_url}{PREFIX}/jobs",
        content=chunks(),
        headers={"X-GH-Service-Key": SERVICE_SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert api.rows() == before


def test_raw_chunked_request_without_content_length(api: Api) -> None:
    """The same, written by hand, to be sure no client added a Content-Length."""
    payload = b"x" * (MAX_BODY + 100)
    request = (
        f"POST {PREFIX}/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"X-GH-Service-Key: {SERVICE_SECRET}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(request)
        try:
            for start in range(0, len(payload), 8192):
                part = payload[start : start + 8192]
                sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server may answer and close before the rest arrives
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"payload_too_large"' in answer


def test_request_id_is_echoed(api: Api, service: Client) -> None:
    response = service.get(f"{PREFIX}/jobs", headers={"X-Request-ID": "req-123"})
    assert response.headers["x-request-id"] == "req-123"
    generated = service.get(f"{PREFIX}/jobs")
    assert len(generated.headers["x-request-id"]) == 32


def test_a_created_job_is_visible_to_its_user_with_rate_headers(api: Api) -> None:
    user = api.user()
    job = create_job(user)
    response = user.get(f"{PREFIX}/jobs/{job['id']}")
    assert response.status_code == 200
    assert "x-ratelimit-remaining" in response.headers


def test_answer_before_the_body_is_read_closes_the_connection(api: Api) -> None:
    """A keep-alive client must not reuse a connection whose request body was left unread."""
    client = api.anonymous()
    for _ in range(20):
        response = client.post(f"{PREFIX}/jobs", json=job_body())
        assert response.status_code == 401
        assert response.headers["connection"] == "close"
    # A body that was read leaves the connection open for reuse.
    service = api.service()
    response = service.post(f"{PREFIX}/jobs", json=job_body(priority=99))
    assert response.status_code == 422
    assert response.headers.get("connection") != "close"
