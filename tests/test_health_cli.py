"""``ghosthands health``: exit 0 on a 200, 1 otherwise, one line of explanation."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator

import pytest

from tests.support import GhProcess, free_port


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/health" else 503
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()


def test_healthy(gh_process: Callable[..., GhProcess], server: int) -> None:
    proc = gh_process("health", "--url", f"http://127.0.0.1:{server}/health")
    assert proc.wait(timeout=20) == 0
    assert proc.output.strip() == f"healthy: http://127.0.0.1:{server}/health answered 200"


def test_unhealthy_status(gh_process: Callable[..., GhProcess], server: int) -> None:
    proc = gh_process("health", "--url", f"http://127.0.0.1:{server}/down")
    assert proc.wait(timeout=20) == 1
    assert "answered 503" in proc.output


def test_nothing_listening(gh_process: Callable[..., GhProcess]) -> None:
    proc = gh_process("health", "--url", f"http://127.0.0.1:{free_port()}/health")
    assert proc.wait(timeout=20) == 1
    assert proc.output.startswith("unhealthy:")
    assert len(proc.output.strip().splitlines()) == 1
