"""The drain step against the worker status server's interface (POST /worker/drain,
GET /worker/health: 503 busy, 200 idle), served by a local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ghosthands.deploy.probes import drain_worker, wait_healthy
from tests.support import free_port


class StatusServer:
    def __init__(self, busy_answers: int) -> None:
        self.busy_answers = busy_answers
        self.drains = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, code: int) -> None:
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def do_POST(self) -> None:
                if self.path == "/worker/drain":
                    server.drains += 1
                    self._answer(202)
                else:
                    self._answer(404)

            def do_GET(self) -> None:
                if self.path != "/worker/health":
                    self._answer(404)
                elif server.busy_answers > 0:
                    server.busy_answers -= 1
                    self._answer(503)
                else:
                    self._answer(200)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def status_server() -> Iterator[type[StatusServer]]:
    servers: list[StatusServer] = []

    class Made(StatusServer):
        def __init__(self, busy_answers: int) -> None:
            super().__init__(busy_answers)
            servers.append(self)

    yield Made
    for server in servers:
        server.close()


def test_drain_waits_for_the_worker_to_go_idle(status_server: type[StatusServer]) -> None:
    server = status_server(busy_answers=3)
    result = drain_worker(server.url, timeout=10, interval=0.05)
    assert result.outcome == "idle"
    assert server.drains == 1 and server.busy_answers == 0


def test_drain_gives_up_at_its_deadline(status_server: type[StatusServer]) -> None:
    server = status_server(busy_answers=10_000)
    result = drain_worker(server.url, timeout=0.5, interval=0.05)
    assert result.outcome == "timeout"
    assert 0.5 <= result.waited_seconds < 3


def test_without_a_status_server_the_drain_says_so() -> None:
    result = drain_worker(f"http://127.0.0.1:{free_port()}", timeout=5)
    assert result.outcome == "no_status_server"


def test_health_wait_ends_early_when_the_process_died() -> None:
    report = wait_healthy(
        f"http://127.0.0.1:{free_port()}/health", 30, still_alive=lambda: "api exited (3)"
    )
    assert not report.ok and report.error == "api exited (3)"
