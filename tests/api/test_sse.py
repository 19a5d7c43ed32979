"""``GET /jobs/{id}/events/stream``: live events over LISTEN/NOTIFY, from a real server.

The module's server runs with a 30 s keepalive: a change that reaches the client within
a second can only have been pushed by the notification, not found by a periodic check.
"""

from __future__ import annotations

import queue
import signal
import socket
import threading
import time
from typing import Any

import httpx
import msgspec

from tests.api.conftest import PREFIX, SERVICE_SECRET, Api, Client, create_job
from tests.support import wait_until


class SseReader:
    """Reads an event stream in a thread; each parsed message lands in a queue."""

    def __init__(self, api: Api, job_id: str, headers: dict[str, str] | None = None) -> None:
        self.url = f"{api.base_url}{PREFIX}/jobs/{job_id}/events/stream"
        # The service's key unless a user's token is given: then as that user.
        given = headers or {}
        service = {} if "Authorization" in given else {"X-GH-Service-Key": SERVICE_SECRET}
        self.headers = {**service, **given}
        self.messages: queue.Queue[tuple[float, dict[str, str]]] = queue.Queue()
        self.comments: list[str] = []
        self.status: int | None = None
        self.ended = threading.Event()
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            timeout = httpx.Timeout(10, read=60)
            with httpx.stream("GET", self.url, headers=self.headers, timeout=timeout) as response:
                self.status = response.status_code
                message: dict[str, str] = {}
                for line in response.iter_lines():
                    if line == "":
                        if message:
                            self.messages.put((time.monotonic(), message))
                            message = {}
                        continue
                    if line.startswith(":"):
                        self.comments.append(line)
                        continue
                    name, _, value = line.partition(":")
                    message[name] = value[1:] if value.startswith(" ") else value
        except Exception as exc:
            self.error = exc
        finally:
            self.ended.set()

    def next(self, timeout: float = 5.0) -> tuple[float, dict[str, str]]:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no SSE message within {timeout}s") from None

    def next_event(self, timeout: float = 5.0) -> tuple[float, dict[str, Any]]:
        """The next message that carries a job event (skips ``retry:``-only messages)."""
        deadline = time.monotonic() + timeout
        while True:
            at, message = self.next(max(0.01, deadline - time.monotonic()))
            if "data" in message and message.get("event") != "end":
                return at, {**message, "data": msgspec.json.decode(message["data"])}
            if message.get("event") == "end":
                return at, message

    def until(self, to_status: str, timeout: float = 5.0) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            at, message = self.next_event(max(0.01, deadline - time.monotonic()))
            if message.get("data", {}).get("to_status") == to_status:
                return at, message


def test_status_change_reaches_a_connected_client_within_a_second(
    api: Api, service: Client
) -> None:
    job_id = create_job(service)["id"]
    reader = SseReader(api, job_id)
    _, created = reader.next_event()
    assert created["event"] == "job_created"
    assert created["data"]["to_status"] == "pending"
    assert created["id"] == str(created["data"]["id"])

    for status in ("queued", "running"):
        changed_at = time.monotonic()
        api.set_status(job_id, status)
        received_at, message = reader.until(status, timeout=3)
        assert received_at - changed_at < 1.0, received_at - changed_at
        assert message["event"] == "status_changed"
    assert reader.comments == []  # no keepalive needed: it was all pushed
    api.set_status(job_id, "completed")
    reader.until("completed")
    _, end = reader.next_event()
    assert end["event"] == "end"
    assert reader.ended.wait(5), "stream did not close after the terminal status"
    assert reader.error is None


def test_progress_events_are_streamed_too(api: Api, service: Client) -> None:
    job_id = create_job(service)["id"]
    reader = SseReader(api, job_id)
    reader.next_event()
    api.sql(
        "INSERT INTO gh_job_events (job_id, event_type, message, metadata) "
        "VALUES (%s, 'progress', 'page 1', '{\"step\": \"fill\"}')",
        (job_id,),
    )
    _, message = reader.next_event(timeout=3)
    assert message["event"] == "progress"
    assert message["data"]["metadata"] == {"step": "fill"}
    api.set_status(job_id, "cancelled")
    reader.until("cancelled")
    assert reader.ended.wait(5)


def test_replay_after_last_event_id(api: Api, service: Client) -> None:
    job_id = create_job(service)["id"]
    api.set_status(job_id, "queued")
    api.set_status(job_id, "running")
    events = service.get(f"{PREFIX}/jobs/{job_id}/events").json()["events"]
    assert [e["to_status"] for e in events] == ["pending", "queued", "running"]
    reader = SseReader(api, job_id, {"Last-Event-ID": str(events[0]["id"])})
    replayed = [reader.next_event()[1]["data"]["to_status"] for _ in range(2)]
    assert replayed == ["queued", "running"]
    api.set_status(job_id, "failed")
    reader.until("failed")
    assert reader.ended.wait(5)


def test_a_finished_job_replays_and_closes(api: Api, service: Client) -> None:
    job_id = create_job(service)["id"]
    api.set_status(job_id, "cancelled")
    reader = SseReader(api, job_id)
    statuses = [reader.next_event()[1] for _ in range(3)]
    assert [m.get("data", {}).get("to_status") for m in statuses[:2]] == ["pending", "cancelled"]
    assert statuses[2]["event"] == "end"
    assert reader.ended.wait(5)
    # Reconnecting after the last event: nothing to replay, closes at once.
    last_id = service.get(f"{PREFIX}/jobs/{job_id}/events").json()["events"][-1]["id"]
    again = SseReader(api, job_id, {"Last-Event-ID": str(last_id)})
    assert again.next_event()[1]["event"] == "end"
    assert again.ended.wait(5)


def test_missing_job_is_404_not_a_stream(api: Api) -> None:
    reader = SseReader(api, "00000000-0000-0000-0000-000000000000")
    assert reader.ended.wait(5)
    assert reader.status == 404


def test_client_disconnect_releases_the_subscription(api: Api, service: Client) -> None:
    job_id = create_job(service)["id"]
    sock = socket.create_connection(("127.0.0.1", api.port), timeout=5)
    sock.sendall(
        f"GET {PREFIX}/jobs/{job_id}/events/stream HTTP/1.1\r\nHost: x\r\n"
        f"X-GH-Service-Key: {SERVICE_SECRET}\r\n\r\n".encode()
    )
    received = b""
    while b"job_created" not in received:
        received += sock.recv(4096)
    api.proc.wait_event("event_stream_opened", job_id=job_id)
    sock.close()
    closed = api.proc.wait_event("event_stream_closed", job_id=job_id, timeout=5)
    assert closed["reason"] == "client_disconnected"


def test_keepalive_comments_while_idle(start_api: Any) -> None:
    api = start_api(GH_SSE_KEEPALIVE_SECONDS="0.2")
    service = api.service()
    job_id = create_job(service)["id"]
    reader = SseReader(api, job_id)
    reader.next_event()
    wait_until(lambda: len(reader.comments) >= 2, 5, "two keepalive comments")
    assert set(reader.comments) == {": keepalive"}
    # A keepalive wake-up does not lose events.
    api.set_status(job_id, "queued")
    reader.until("queued", timeout=3)


def test_listener_reconnects_and_streams_catch_up(api: Api, service: Client) -> None:
    job_id = create_job(service)["id"]
    reader = SseReader(api, job_id)
    reader.next_event()
    killed = api.sql(
        "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity "
        "WHERE query = 'LISTEN gh_job_event' AND datname = current_database()"
    )
    assert killed == [{"ok": True}]
    api.set_status(job_id, "queued")  # may happen while the listener is down
    reader.until("queued", timeout=10)
    api.proc.wait_event("event_listener_lost")
    changed_at = time.monotonic()
    api.set_status(job_id, "running")
    received_at, _ = reader.until("running", timeout=5)
    assert received_at - changed_at < 1.0


def test_drain_ends_open_streams_promptly(start_api: Any) -> None:
    api = start_api(GH_API_DRAIN_SECONDS="10")
    service = api.service()
    job_id = create_job(service)["id"]
    readers = [SseReader(api, job_id) for _ in range(3)]
    for reader in readers:
        reader.next_event()
    signalled = time.monotonic()
    api.proc.send(signal.SIGTERM)
    for reader in readers:
        assert reader.ended.wait(5), "stream still open during drain"
        assert reader.error is None
        assert any("reconnect with Last-Event-ID" in c for c in reader.comments)
    assert api.proc.wait(timeout=8) == 0
    assert time.monotonic() - signalled < 5  # far inside the 10 s drain limit
    closed = [e for e in api.proc.events() if e.get("event") == "event_stream_closed"]
    assert [e["reason"] for e in closed] == ["server_draining"] * 3


def test_streams_are_bounded_per_user_and_in_time(start_api: Any) -> None:
    """A user holds at most GH_MAX_STREAMS_PER_USER streams; every stream ends after
    GH_STREAM_MAX_SECONDS, even on a job that never finishes (the client reconnects)."""
    api = start_api(GH_MAX_STREAMS_PER_USER="2", GH_STREAM_MAX_SECONDS="1.5")
    user = api.user()
    token = user.http.headers["Authorization"]
    job_id = create_job(user)["id"]
    readers = [SseReader(api, job_id, {"Authorization": token}) for _ in range(2)]
    for reader in readers:
        reader.next_event()  # both open and streaming
    third = user.get(f"{PREFIX}/jobs/{job_id}/events/stream")
    assert third.status_code == 429 and third.json()["error"] == "too_many_streams"
    # Another user is not affected by this one's streams.
    other = api.user()
    other_job = create_job(other)["id"]
    other_reader = SseReader(api, other_job, {"Authorization": other.http.headers["Authorization"]})
    other_reader.next_event()
    started = time.monotonic()
    for reader in readers:
        assert reader.ended.wait(10), "the stream outlived its lifetime"
        assert ": stream lifetime reached, reconnect with Last-Event-ID" in reader.comments
    assert time.monotonic() - started < 8
    # The slots are free again.
    again = SseReader(api, job_id, {"Authorization": token})
    again.next_event()
