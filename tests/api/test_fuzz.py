"""Generated bad bodies at every POST route: never a 500, never a row written on rejection.

Bodies are random JSON, valid bodies with fields swapped for junk (wrong types, huge
strings, unicode including NUL and lone surrogates, nested junk), bodies missing fields
or carrying unknown ones, and raw bytes. Each route gets a bounded number of examples.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import PREFIX, Api, Client, create_job
from tests.api.test_valet import apply_body

EXAMPLES_PER_ROUTE = 120

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
    | st.sampled_from(["\u0000", "\ud800", "\U0001f600" * 50, "", " ", "-1"])
    | st.integers(1000, 70_000).map(lambda n: "x" * n)
)
junk = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)


def mutations(valid: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A valid body with some fields replaced by junk, some removed, some added."""
    keys = sorted(valid)

    @st.composite
    def mutate(draw: st.DrawFn) -> dict[str, Any]:
        body = dict(valid)
        for key in draw(st.lists(st.sampled_from(keys), min_size=1, max_size=4, unique=True)):
            action = draw(st.sampled_from(["junk", "drop", "deep"]))
            if action == "drop":
                body.pop(key, None)
            elif action == "deep":
                value: Any = draw(junk)
                for _ in range(draw(st.integers(30, 60))):
                    value = [value]
                body[key] = value
            else:
                body[key] = draw(junk)
        if draw(st.booleans()):
            body[draw(st.text(min_size=1, max_size=12))] = draw(junk)
        return body

    return mutate()


def bodies(valid: dict[str, Any]) -> st.SearchStrategy[bytes]:
    shapes = (mutations(valid) | junk) if valid else junk
    as_json = shapes.map(lambda b: json.dumps(b, allow_nan=False).encode("utf-8", "surrogatepass"))
    return as_json | st.binary(max_size=200)


@pytest.fixture(scope="module")
def counter(api: Api) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(api.database_url, autocommit=True) as conn:
        yield conn


def snapshot(conn: psycopg.Connection[Any]) -> tuple[Any, ...]:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM gh_automation_jobs), (SELECT count(*) FROM gh_job_events),"
        " (SELECT count(*) FROM gh_callback_outbox),"
        " (SELECT count(*) FROM gh_automation_jobs WHERE resume_ref IS NOT NULL),"
        " (SELECT count(*) FROM gh_worker_registry WHERE status <> 'active'),"
        " (SELECT count(*) FROM gh_automation_jobs WHERE status <> 'paused'"
        "  AND user_id = '00000000-0000-0000-0000-00000000f022')"
    ).fetchone()
    assert row is not None
    return tuple(row)


@pytest.fixture(scope="module")
def targets(api: Api) -> dict[str, tuple[str, dict[str, Any]]]:
    """Route → (path, a valid body to mutate). A paused job exists for resume/cancel/retry."""
    service = api.service()
    owner = "00000000-0000-0000-0000-00000000f022"
    job_id = create_job(service, user_id=owner)["id"]
    api.sql("UPDATE gh_automation_jobs SET status = 'paused' WHERE id = %s", (job_id,))
    api.sql("INSERT INTO gh_worker_registry (worker_id, host) VALUES ('fuzz-worker', 'h')")
    job = {
        "job_type": "http_check",
        "target_url": "https://example.com/",
        "user_id": owner,
        "priority": 5,
        "tags": ["a"],
        "input_data": {"tier": "pro"},
    }
    return {
        "jobs": (f"{PREFIX}/jobs", job),
        "batch": (f"{PREFIX}/jobs/batch", {"jobs": [job, job]}),
        "cancel": (f"{PREFIX}/jobs/{job_id}/cancel", {}),
        "retry": (f"{PREFIX}/jobs/{job_id}/retry", {}),
        "apply": (f"{PREFIX}/valet/apply", {**apply_body(), "user_id": owner}),
        "task": (f"{PREFIX}/valet/task", {**job, "quality": "speed"}),
        "resume": (f"{PREFIX}/valet/resume/{job_id}", {"action": "code", "code": "1234"}),
        "deregister": (
            f"{PREFIX}/valet/workers/deregister",
            {"worker_id": "fuzz-worker", "status": "draining"},
        ),
    }


@pytest.mark.parametrize(
    "route", ["jobs", "batch", "cancel", "retry", "apply", "task", "resume", "deregister"]
)
def test_bad_bodies_never_500_and_never_write(
    api: Api,
    service: Client,
    counter: psycopg.Connection[Any],
    targets: dict[str, tuple[str, dict[str, Any]]],
    route: str,
) -> None:
    path, valid = targets[route]
    seen: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(raw=bodies(valid))
    def check(raw: bytes) -> None:
        before = snapshot(counter)
        response = service.post(path, content=raw, headers={"Content-Type": "application/json"})
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (raw[:300], response.text)
        body = response.json()
        assert "Traceback" not in response.text
        if response.status_code >= 400:
            assert set(body) <= {"error", "message", "details", "existing_job_id"}
            if response.status_code != 409:  # a 409 names a state that already existed
                assert snapshot(counter) == before, (raw[:300], response.status_code)
        else:
            # The generator produced a valid body: undo what it legitimately did.
            counter.execute(
                "UPDATE gh_automation_jobs SET resume_ref = NULL, status = 'paused'"
                " WHERE user_id = '00000000-0000-0000-0000-00000000f022'"
            )
            counter.execute("UPDATE gh_worker_registry SET status = 'active'")

    check()
    assert sum(seen.values()) >= EXAMPLES_PER_ROUTE // 2
    if route not in ("cancel", "retry"):  # bodies there are ignored: 200/409 by state
        assert seen.get(400, 0) + seen.get(422, 0) > 0, seen


def test_random_uuid_paths_are_404_not_500(service: Client) -> None:
    for path in (f"/jobs/{uuid.uuid4()}/cancel", f"/valet/resume/{uuid.uuid4()}"):
        response = service.post(PREFIX + path, {"action": "skip"})
        assert response.status_code == 404


def test_text_postgres_cannot_store_is_a_422_in_query_and_path_parameters(
    service: Client, counter: psycopg.Connection[Any]
) -> None:
    """NUL bytes in a query or path parameter never reach PostgreSQL (which refuses them
    with a 500-making error): every parameter of every route answers 422 naming it."""
    import re
    from urllib.parse import quote

    from ghosthands.api.app import endpoints
    from ghosthands.api.decoding import unstorable

    checked = 0
    before = snapshot(counter)
    for endpoint in endpoints():
        if not endpoint.path.startswith(PREFIX) or endpoint.media_type != "application/json":
            continue
        names = re.findall(r"{(\w+)(?::\w+)?}", endpoint.path)
        concrete = {name: str(uuid.uuid4()) for name in names}
        for name in names:
            path = endpoint.path
            for other, value in concrete.items():
                bad = quote("a\x00b") if other == name else value
                path = re.sub(rf"{{{other}(?::\w+)?}}", bad, path)
            response = service.http.request(endpoint.method, path, json={})
            assert response.status_code in (404, 422), (endpoint.path, name, response.text)
            if response.status_code == 422:
                fields = [d["field"] for d in response.json()["details"]]
                assert name in fields, (endpoint.path, response.text)
            checked += 1
        if endpoint.query is None or endpoint.method != "GET":
            continue
        path = endpoint.path
        for other, value in concrete.items():
            path = re.sub(rf"{{{other}(?::\w+)?}}", value, path)
        nul = quote("x\x00y")
        for name in endpoint.query.__struct_fields__:
            response = service.get(f"{path}?{name}={nul}")
            assert response.status_code == 422, (endpoint.path, name, response.text)
            assert [d["field"] for d in response.json()["details"]] == [name], response.text
            checked += 1
    assert checked >= 10  # the walk really went through the routes
    assert snapshot(counter) == before
    assert unstorable("lone \ud800 surrogate") == "unpaired surrogate characters"
    assert unstorable("fine ✓") is None
