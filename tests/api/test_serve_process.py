"""``ghosthands serve`` as a real process: drain on SIGTERM, forced exit, sd_notify."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import GhProcess, connection_refused, free_port, wait_until

SECRET = "svc-secret-for-serve-tests"


@pytest.fixture
def start_api(
    gh_process: Callable[..., GhProcess], database_url: str
) -> Callable[..., tuple[GhProcess, int]]:
    def start(**env: str) -> tuple[GhProcess, int]:
        port = free_port()
        proc = gh_process(
            "serve",
            GH_API_PORT=str(port),
            DATABASE_URL=database_url,
            GH_SERVICE_SECRET=SECRET,
            GH_ENABLE_TEST_ROUTES="true",
            **env,
        )
        proc.wait_event("role_ready")
        return proc, port

    return start


class SlowRequest:
    """A request held open by the test route, run in a thread."""

    def __init__(self, port: int, seconds: float) -> None:
        self.response: httpx.Response | None = None
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, args=(port, seconds), daemon=True)
        self._thread.start()

    def _run(self, port: int, seconds: float) -> None:
        try:
            self.response = httpx.get(
                f"http://127.0.0.1:{port}/__test__/slow?seconds={seconds}", timeout=30
            )
        except Exception as exc:
            self.error = exc

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "slow request never finished"


def test_health_answers_with_identity(start_api: Callable[..., tuple[GhProcess, int]]) -> None:
    _, port = start_api(GH_COMMIT_SHA="abc123")
    body = httpx.get(f"http://127.0.0.1:{port}/health").json()
    assert body["status"] == "ok"
    assert body["service"] == "ghosthands-api"
    assert body["commit_sha"] == "abc123"
    assert body["environment"] == "production"
    assert body["version"]
    assert body["timestamp"].endswith("+00:00")


def test_unknown_route_uses_the_error_format(
    start_api: Callable[..., tuple[GhProcess, int]],
) -> None:
    _, port = start_api()
    response = httpx.get(f"http://127.0.0.1:{port}/no/such/route")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    response = httpx.post(f"http://127.0.0.1:{port}/health")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"


def test_sigterm_finishes_in_flight_request_and_refuses_new_connections(
    start_api: Callable[..., tuple[GhProcess, int]],
) -> None:
    proc, port = start_api()
    slow = SlowRequest(port, seconds=2.5)
    proc.wait_event("test_slow_started")

    signalled = time.monotonic()
    proc.send(signal.SIGTERM)
    proc.wait_event("drain_started")
    wait_until(lambda: connection_refused(port), 3, "listener closed after SIGTERM")

    slow.join(timeout=10)
    assert slow.error is None, slow.error
    assert slow.response is not None and slow.response.status_code == 200
    assert slow.response.json() == {"slept": 2.5}

    assert proc.wait(timeout=5 + 2) == 0
    assert time.monotonic() - signalled < 5 + 2


def test_drain_is_cut_off_at_the_deadline(
    start_api: Callable[..., tuple[GhProcess, int]],
) -> None:
    proc, port = start_api(GH_API_DRAIN_SECONDS="1")
    SlowRequest(port, seconds=30)
    proc.wait_event("test_slow_started")
    signalled = time.monotonic()
    proc.send(signal.SIGTERM)
    assert proc.wait(timeout=1 + 4) == 0
    assert time.monotonic() - signalled < 1 + 4


def test_second_sigterm_exits_at_once_non_zero(
    start_api: Callable[..., tuple[GhProcess, int]],
) -> None:
    proc, port = start_api()
    SlowRequest(port, seconds=30)
    proc.wait_event("test_slow_started")
    proc.send(signal.SIGTERM)
    proc.wait_event("drain_started")
    second = time.monotonic()
    proc.send(signal.SIGTERM)
    code = proc.wait(timeout=3)
    assert code == 128 + signal.SIGTERM
    assert time.monotonic() - second < 3
    assert proc.find_event("forced_stop") is not None


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.5)
    yield sock, path
    sock.close()


def _receive_until(sock: socket.socket, wanted: str, proc: GhProcess) -> list[str]:
    """Datagrams until one holds ``wanted`` (generous deadline: CI machines are busy)."""
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            message = sock.recv(4096).decode()
        except TimeoutError:
            if proc.proc.poll() is not None:
                break
            continue
        seen.append(message)
        if wanted in message.split("\n"):
            return seen
    raise AssertionError(f"{wanted} not received; got {seen}\n--- output ---\n{proc.output}")


def test_sd_notify_ready_then_stopping(
    gh_process: Callable[..., GhProcess],
    database_url: str,
    notify_socket: tuple[socket.socket, str],
) -> None:
    sock, path = notify_socket
    port = free_port()
    proc = gh_process(
        "serve",
        GH_API_PORT=str(port),
        DATABASE_URL=database_url,
        GH_SERVICE_SECRET=SECRET,
        NOTIFY_SOCKET=path,
    )
    ready = _receive_until(sock, "READY=1", proc)
    assert any(f"MAINPID={proc.pid}" in m for m in ready)
    # READY=1 is only sent once the port accepts connections.
    assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    proc.send(signal.SIGTERM)
    stopping = _receive_until(sock, "STOPPING=1", proc)
    assert any("STATUS=draining" in m for m in stopping)
    assert proc.wait(timeout=10) == 0


def test_no_notify_socket_is_silent_and_fine(
    start_api: Callable[..., tuple[GhProcess, int]],
) -> None:
    proc, port = start_api()
    assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
    proc.send(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
