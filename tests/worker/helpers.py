"""Helpers for worker tests: jobs in the database, local HTTP servers, test plugins."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from tests.worker.plugin_handlers import ENTRY_POINTS

REPO_ROOT = Path(__file__).resolve().parents[2]
USER = uuid.UUID("00000000-0000-4000-8000-000000000001")
SERVICE_SECRET = "svc-secret-for-worker-tests"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

_JSON_COLUMNS = {"input_data", "metadata", "tags", "result_data", "error_details"}


def write_plugin_dist(directory: Path) -> Path:
    """A minimal installed distribution declaring the test handlers as entry points."""
    dist = directory / "ghosthands_test_plugins-0.0.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ghosthands-test-plugins\nVersion: 0.0.0\n"
    )
    lines = ["[ghosthands.handlers]"] + [
        f"{name} = tests.worker.plugin_handlers:{cls}" for name, cls in ENTRY_POINTS.items()
    ]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return directory


def insert_job(dsn: str, **fields: Any) -> uuid.UUID:
    return insert_jobs(dsn, [fields])[0]


def insert_jobs(dsn: str, rows: list[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert jobs (defaults: http_check by the test user) in one transaction."""
    ids = []
    with psycopg.connect(dsn) as conn:
        for fields in rows:
            values = {
                "user_id": USER,
                "job_type": "http_check",
                "target_url": "http://127.0.0.1:9/",
                **fields,
            }
            values = {k: Jsonb(v) if k in _JSON_COLUMNS else v for k, v in values.items()}
            columns = ", ".join(values)
            marks = ", ".join(["%s"] * len(values))
            row = conn.execute(
                f"INSERT INTO gh_automation_jobs ({columns}) VALUES ({marks}) RETURNING id",
                list(values.values()),
            ).fetchone()
            assert row is not None
            ids.append(row[0])
    return ids


def job(dsn: str, job_id: uuid.UUID) -> dict[str, Any]:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        row = conn.execute("SELECT * FROM gh_automation_jobs WHERE id = %s", [job_id]).fetchone()
    assert row is not None
    return row


def status_of(dsn: str, job_id: uuid.UUID) -> str:
    return str(job(dsn, job_id)["status"])


def events(dsn: str, job_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        if job_id is None:
            return conn.execute("SELECT * FROM gh_job_events ORDER BY id").fetchall()
        return conn.execute(
            "SELECT * FROM gh_job_events WHERE job_id = %s ORDER BY id", [job_id]
        ).fetchall()


def execute(dsn: str, sql: str, params: Any = None) -> list[dict[str, Any]]:
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


def status_counts(dsn: str) -> dict[str, int]:
    rows = execute(dsn, "SELECT status, count(*) AS n FROM gh_automation_jobs GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 whose behaviour a test sets per request."""

    def __init__(
        self, handle: Callable[[BaseHTTPRequestHandler, bytes], tuple[int, dict[str, str], bytes]]
    ) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = server.handle(self, body)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # many workers connect at once; no dropped SYNs

        self.handle = handle
        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Site:
    """Pages with titles; counts GETs per path (to see a job fetched twice)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: dict[str, int] = {}
        self.server = LocalServer(self._handle)
        self.url = self.server.url

    def _handle(
        self, req: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.hits[req.path] = self.hits.get(req.path, 0) + 1
        if req.path.startswith("/redirect"):
            return 302, {"location": "/page/redirected"}, b""
        name = req.path.rsplit("/", 1)[-1]
        page = f"<html><head><title>Page {name}</title></head><body>ok</body></html>"
        return 200, {"content-type": "text/html"}, page.encode()


class Receiver:
    """A callback receiver that can refuse the first N deliveries with 503."""

    def __init__(self, fail_first: int = 0) -> None:
        self.lock = threading.Lock()
        self.fail_first = fail_first
        self.attempts: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        self.server = LocalServer(self._handle)
        self.url = self.server.url + "/callback"

    def _handle(
        self, req: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        record = {
            "headers": {k.lower(): v for k, v in req.headers.items()},
            "body": body,
            "json": json.loads(body) if body else None,
            "at": time.monotonic(),
        }
        with self.lock:
            self.attempts.append(record)
            if len(self.attempts) <= self.fail_first:
                return 503, {}, b"down"
            self.accepted.append(record)
        return 200, {"content-type": "application/json"}, b"{}"
