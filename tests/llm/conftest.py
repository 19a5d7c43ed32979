"""Fixtures for the LLM tests: scripted model servers, local test sites, Chromium, and a
JobContext that writes real rows to the test database.

``DbJobContext`` stands in for the worker's JobContext (being written in parallel) and
is the one place to switch to the real worker's context after the merge.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import msgspec
import pytest
from playwright.async_api import Browser, async_playwright

from ghosthands.config import load_settings
from ghosthands.db.pool import Database
from ghosthands.jobs.budgets import action_limit
from ghosthands.jobs.contract import HumanResolution, JobFailure, JobSpec
from ghosthands.jobs.errors import ErrorCode

#: The system Chromium (bin/setup installs it); GH_TEST_CHROMIUM overrides.
CHROMIUM = os.environ.get("GH_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

# -- local HTTP servers -------------------------------------------------------------------


class Recorded(msgspec.Struct):
    """One request a local server received."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Reply(msgspec.Struct):
    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = {}
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


Responder = Callable[[Recorded], Reply]


class LocalServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 that records requests and answers each
    with ``respond(request)``. Started by the test, stopped by the fixture."""

    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with server._lock:
                    server.requests.append(recorded)
                reply = server.respond(recorded)
                payload = reply.encoded()
                self.send_response(reply.status)
                self.send_header("content-type", reply.content_type)
                self.send_header("content-length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def posts(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST"]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def local_server() -> Iterator[Callable[[Responder], LocalServer]]:
    """Start any number of local servers; all are stopped after the test."""
    started: list[LocalServer] = []

    def start(respond: Responder) -> LocalServer:
        server = LocalServer(respond)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def site(pages: dict[str, str]) -> Responder:
    """A responder serving HTML pages by path (query string ignored)."""

    def respond(request: Recorded) -> Reply:
        path = request.path.split("?", 1)[0]
        if path in pages:
            return Reply(200, pages[path], content_type="text/html; charset=utf-8")
        return Reply(404, "not found", content_type="text/plain")

    return respond


# -- Chromium -----------------------------------------------------------------------------


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


# -- the database and a JobContext over it ------------------------------------------------


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(load_settings({"DATABASE_URL": database_url}), pool_size=3, name="test")
    await database.open()
    try:
        yield database
    finally:
        await database.close()


async def insert_job(
    db: Database,
    *,
    job_type: str = "custom",
    target_url: str = "http://127.0.0.1/",
    task_description: str = "",
    input_data: dict[str, Any] | None = None,
    user_id: uuid.UUID | None = None,
    llm_cost_cents: Decimal = Decimal(0),
) -> JobSpec:
    """A job row as a worker would hold it (running, with an execution attempt).
    ``llm_cost_cents``: what earlier attempts of the job spent."""
    async with db.connection() as conn:
        cur = await conn.execute(
            """
            INSERT INTO gh_automation_jobs
                (user_id, job_type, target_url, task_description, input_data, status,
                 execution_attempt_id, started_at, last_heartbeat, llm_cost_cents)
            VALUES (%(user_id)s, %(job_type)s, %(target_url)s, %(task)s, %(input)s,
                    'running', gen_random_uuid(), now(), now(), %(cost)s)
            RETURNING *
            """,
            {
                "user_id": user_id or uuid.uuid4(),
                "job_type": job_type,
                "target_url": target_url,
                "task": task_description,
                "input": json.dumps(input_data or {}),
                "cost": llm_cost_cents,
            },
        )
        row = await cur.fetchone()
    assert row is not None
    return JobSpec(
        id=row["id"],
        job_type=row["job_type"],
        user_id=row["user_id"],
        target_url=row["target_url"],
        task_description=row["task_description"],
        input_data=row["input_data"],
        timeout_seconds=row["timeout_seconds"],
        retry_count=row["retry_count"],
        max_retries=row["max_retries"],
        execution_attempt_id=row["execution_attempt_id"],
        created_by=row["created_by"],
        llm_cost_cents=float(row["llm_cost_cents"]),
    )


async def job_row(db: Database, job_id: uuid.UUID) -> dict[str, Any]:
    async with db.connection() as conn:
        cur = await conn.execute("SELECT * FROM gh_automation_jobs WHERE id = %s", (job_id,))
        row = await cur.fetchone()
    assert row is not None
    return dict(row)


async def user_usage(db: Database, user_id: uuid.UUID) -> dict[str, Any] | None:
    async with db.connection() as conn:
        cur = await conn.execute("SELECT * FROM gh_user_usage WHERE user_id = %s", (user_id,))
        row = await cur.fetchone()
    return dict(row) if row else None


HumanScript = Callable[[str, dict[str, Any]], HumanResolution | None]


class DbJobContext:
    """The JobContext protocol over the real test database (the worker's stand-in).

    Usage goes to the job row (fenced by execution attempt) and to ``gh_user_usage``,
    both in one transaction; actions are counted on the job row against the job type's
    limit; a person's answer comes from ``human`` (None: nobody answers in time).
    """

    def __init__(
        self,
        db: Database,
        job: JobSpec,
        *,
        browser: Any = None,
        human: HumanScript | None = None,
    ) -> None:
        self.db = db
        self.job = job
        self.browser = browser
        self._human = human
        self.progress_steps: list[tuple[str, dict[str, Any]]] = []
        self.human_requests: list[tuple[str, dict[str, Any]]] = []
        self.usage_calls: list[tuple[str, int, int, float]] = []

    async def progress(self, step: str, message: str = "", **data: Any) -> None:
        self.progress_steps.append((step, data))
        async with self.db.connection() as conn:
            await conn.execute(
                "INSERT INTO gh_job_events (job_id, event_type, message, metadata, actor) "
                "VALUES (%s, 'progress', %s, %s, 'test-worker')",
                (self.job.id, message, json.dumps({"step": step, **data})),
            )

    async def save_artifact(self, kind: str, name: str, content_type: str, content: bytes) -> str:
        async with self.db.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO gh_artifacts (job_id, kind, name, content_type, size_bytes, content)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (self.job.id, kind, name, content_type, len(content), content),
            )
            row = await cur.fetchone()
        assert row is not None
        return f"/api/v1/gh/jobs/{self.job.id}/artifacts/{row['id']}"

    async def wait_for_human(
        self,
        interaction_type: str,
        interaction_data: dict[str, Any],
        screenshot: bytes | None = None,
        timeout_seconds: float | None = None,
    ) -> HumanResolution:
        self.human_requests.append((interaction_type, interaction_data))
        answer = self._human(interaction_type, interaction_data) if self._human else None
        if answer is None:
            raise JobFailure(ErrorCode.HITL_TIMEOUT, "nobody answered")
        return answer

    async def record_llm_usage(
        self, model: str, input_tokens: int, output_tokens: int, cost_cents: float
    ) -> None:
        self.usage_calls.append((model, input_tokens, output_tokens, cost_cents))
        params = {
            "job_id": self.job.id,
            "attempt": self.job.execution_attempt_id,
            "user_id": self.job.user_id,
            "cost": Decimal(repr(cost_cents)),
            "tokens": input_tokens + output_tokens,
        }
        async with self.db.connection() as conn:
            cur = await conn.execute(
                "UPDATE gh_automation_jobs SET llm_cost_cents = llm_cost_cents + %(cost)s, "
                "total_tokens = total_tokens + %(tokens)s "
                "WHERE id = %(job_id)s AND execution_attempt_id = %(attempt)s",
                params,
            )
            assert cur.rowcount == 1
            await conn.execute(
                "INSERT INTO gh_user_usage (user_id, period_start, cost_cents, total_tokens) "
                "VALUES (%(user_id)s, date_trunc('month', now() AT TIME ZONE 'UTC')::date, "
                "%(cost)s, %(tokens)s) "
                "ON CONFLICT (user_id, period_start) DO UPDATE SET "
                "cost_cents = gh_user_usage.cost_cents + EXCLUDED.cost_cents, "
                "total_tokens = gh_user_usage.total_tokens + EXCLUDED.total_tokens, "
                "updated_at = now()",
                params,
            )

    async def count_action(self, n: int = 1) -> None:
        async with self.db.connection() as conn:
            cur = await conn.execute(
                "UPDATE gh_automation_jobs SET action_count = action_count + %s "
                "WHERE id = %s AND execution_attempt_id = %s RETURNING action_count",
                (n, self.job.id, self.job.execution_attempt_id),
            )
            row = await cur.fetchone()
        assert row is not None
        limit = action_limit(self.job.job_type)
        if row["action_count"] > limit:
            raise JobFailure(
                ErrorCode.ACTION_LIMIT_EXCEEDED,
                f"{row['action_count']} actions, over the limit of {limit}",
            )
