"""Fixtures for the HTTP API: a real ``ghosthands serve`` on a real database, and clients.

Most tests share one server per module (starting one takes about a second) on a
database of their own module; they stay independent by using fresh user ids. Tests
that need special settings or signal the process start their own with ``start_api``.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import psycopg
import pytest
from psycopg.rows import dict_row

from ghosthands.crypto import generate_key
from ghosthands.db.embedded import EmbeddedPostgres
from tests.conftest import TEMPLATE, _create_database, _drop_database
from tests.support import GhProcess, free_port

SERVICE_SECRET = "svc-secret-for-api-tests"
JWT_SECRET = "jwt-secret-for-api-tests-0123456789abcdef"
ENCRYPTION_KEY = generate_key()
MAX_BODY = 64 * 1024
CORS_ORIGIN = "https://app.example.com"
PREFIX = "/api/v1/gh"


def make_token(
    user_id: uuid.UUID | str,
    *,
    secret: str = JWT_SECRET,
    tier: str | None = None,
    expires_in: float = 3600,
    audience: str | None = "authenticated",
    **claims: Any,
) -> str:
    payload: dict[str, Any] = {"sub": str(user_id), "exp": int(time.time() + expires_in)}
    if audience is not None:
        payload["aud"] = audience
    if tier is not None:
        payload["app_metadata"] = {"tier": tier}
    payload.update(claims)
    return jwt.encode(payload, secret, algorithm="HS256")


class Client:
    """An httpx client bound to one server and one caller's credentials."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=10)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.http.post(path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.delete(path, **kw)

    def close(self) -> None:
        self.http.close()


@dataclass
class Api:
    """A running API server and the database behind it."""

    proc: GhProcess
    port: int
    database_url: str

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def service(self) -> Client:
        return Client(self.base_url, {"X-GH-Service-Key": SERVICE_SECRET})

    def user(self, user_id: uuid.UUID | None = None, tier: str | None = None) -> Client:
        user_id = user_id or uuid.uuid4()
        client = Client(
            self.base_url, {"Authorization": f"Bearer {make_token(user_id, tier=tier)}"}
        )
        client.user_id = user_id  # type: ignore[attr-defined]
        return client

    def anonymous(self) -> Client:
        return Client(self.base_url, {})

    def sql(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        """Run SQL directly (as the worker would) and return the rows, if any."""
        with psycopg.connect(self.database_url, autocommit=True, row_factory=dict_row) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def set_status(self, job_id: str, status: str, **columns: Any) -> None:
        """Move a job as a worker would (the status trigger records the event)."""
        sets = ", ".join(["status = %(status)s", *(f"{k} = %({k})s" for k in columns)])
        self.sql(
            f"UPDATE gh_automation_jobs SET {sets} WHERE id = %(id)s",
            {"status": status, "id": job_id, **columns},
        )

    def rows(self, table: str = "gh_automation_jobs") -> int:
        return int(self.sql(f"SELECT count(*) AS n FROM {table}")[0]["n"])


def base_env(database_url: str, port: int) -> dict[str, str]:
    return {
        "GH_API_PORT": str(port),
        "DATABASE_URL": database_url,
        "GH_SERVICE_SECRET": SERVICE_SECRET,
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "GH_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "GH_MAX_BODY_BYTES": str(MAX_BODY),
        "CORS_ORIGIN": CORS_ORIGIN,
        "GH_SSE_KEEPALIVE_SECONDS": "30",
        "GH_LOG_LEVEL": "info",
        # Tests read monitoring figures right after changing the database; the sharing
        # of one read between requests has a test of its own.
        "GH_MONITORING_CACHE_SECONDS": "0",
    }


@pytest.fixture(scope="module")
def module_database_url(pg_cluster: EmbeddedPostgres) -> Iterator[str]:
    name = _create_database(pg_cluster, TEMPLATE)
    yield pg_cluster.dsn_for(name)
    _drop_database(pg_cluster, name)


@pytest.fixture(scope="module")
def api(module_database_url: str) -> Iterator[Api]:
    """One ``ghosthands serve`` for the module."""
    from tests.support import clean_env

    port = free_port()
    proc = GhProcess(["serve"], clean_env(**base_env(module_database_url, port)))
    try:
        proc.wait_event("role_ready")
        yield Api(proc, port, module_database_url)
    finally:
        proc.stop()


@pytest.fixture
def start_api(gh_process: Callable[..., GhProcess], database_url: str) -> Callable[..., Api]:
    """A server of the test's own, with extra or overridden settings (``""`` unsets)."""

    def start(**env: str) -> Api:
        port = free_port()
        merged = {**base_env(database_url, port), **env}
        proc = gh_process("serve", **{k: v for k, v in merged.items() if v != ""})
        proc.wait_event("role_ready")
        return Api(proc, port, database_url)

    return start


@pytest.fixture
def service(api: Api) -> Iterator[Client]:
    client = api.service()
    yield client
    client.close()


def job_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "job_type": "http_check",
        "target_url": "https://example.com/careers/123",
    }
    body.update(overrides)
    return body


def create_job(client: Client, **overrides: Any) -> dict[str, Any]:
    user_id = getattr(client, "user_id", None)
    if user_id is None and "user_id" not in overrides:
        overrides["user_id"] = str(uuid.uuid4())
    response = client.post(f"{PREFIX}/jobs", job_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
