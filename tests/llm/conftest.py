"""Fixtures for the LLM tests: scripted model servers, local test sites, Chromium, and jobs
run through the worker's own job context (``ghosthands.worker.testing``).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import msgspec
import pytest
from playwright.async_api import Browser, async_playwright

from ghosthands.config import load_settings
from ghosthands.db.pool import Database
from ghosthands.worker.testing import JobBench

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
    database = Database(load_settings({"DATABASE_URL": database_url}), pool_size=4, name="test")
    await database.open()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def bench(db: Database, database_url: str) -> JobBench:
    """Jobs claimed and run as the worker runs them; a pause nobody answers ends in 1 s."""
    settings = load_settings(
        {"DATABASE_URL": database_url, "GH_HITL_TIMEOUT_SECONDS": "1", "GH_POLL_SECONDS": "0.05"}
    )
    return JobBench(db, settings)


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
