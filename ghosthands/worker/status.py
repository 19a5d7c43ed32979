"""The worker's status server (``GH_WORKER_HOST:GH_WORKER_PORT``, loopback by default).

``GET /worker/status`` (what it is doing), ``GET /worker/health`` (200 idle, 503 busy: a
deploy waits for 200 before restarting), ``POST /worker/drain`` (stop claiming, stay up)
and ``GET /metrics`` (this worker's Prometheus counters).
"""

from __future__ import annotations

from typing import Any, Protocol

import anyio
import anyio.abc
import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ghosthands.logs import get_logger
from ghosthands.serving import Listener

log = get_logger(__name__)


class ActiveJob(msgspec.Struct, frozen=True):
    job_id: str
    job_type: str
    execution_attempt_id: str
    running_seconds: float
    paused: bool


class WorkerStatus(msgspec.Struct, frozen=True):
    worker_id: str
    #: active | draining | offline
    status: str
    claiming: bool
    active_jobs: list[ActiveJob]
    max_concurrent_jobs: int
    listener_connected: bool
    heartbeat_age_seconds: float
    version: str
    pid: int
    host: str


class StatusSource(Protocol):
    """What the status server asks the worker."""

    def status(self) -> WorkerStatus: ...
    def begin_drain(self, reason: str) -> None: ...
    def metrics_text(self) -> bytes: ...


def _json(body: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/json")


def create_status_app(source: StatusSource) -> Starlette:
    async def status(request: Request) -> Response:
        return _json(source.status())

    async def health(request: Request) -> Response:
        current = source.status()
        busy = bool(current.active_jobs)
        body = {
            "status": "busy" if busy else "idle",
            "worker_id": current.worker_id,
            "worker_status": current.status,
            "active_jobs": len(current.active_jobs),
        }
        return _json(body, 503 if busy else 200)

    async def drain(request: Request) -> Response:
        source.begin_drain("http")
        current = source.status()
        return _json({"status": current.status, "active_jobs": len(current.active_jobs)})

    async def metrics(request: Request) -> Response:
        return Response(source.metrics_text(), media_type="text/plain; version=0.0.4")

    return Starlette(
        routes=[
            Route("/worker/status", status, methods=["GET"]),
            Route("/worker/health", health, methods=["GET"]),
            Route("/worker/drain", drain, methods=["POST"]),
            Route("/metrics", metrics, methods=["GET"]),
        ]
    )


class StatusServer:
    """Serves the status app on Hypercorn until :meth:`stop`."""

    def __init__(self, source: StatusSource, host: str, port: int) -> None:
        self.app = create_status_app(source)
        self.host = host
        self.port = port
        self._shutdown = anyio.Event()
        #: Set once Hypercorn has finished its own shutdown.
        self.stopped = anyio.Event()

    def stop(self) -> None:
        self._shutdown.set()

    async def serve(self, *, task_status: anyio.abc.TaskStatus[int]) -> None:
        listener = Listener(self.host, self.port, graceful_seconds=1.0)
        host, port = listener.host, listener.port
        log.info("worker_status_listening", host=host, port=port)
        task_status.started(port)
        try:
            await listener.serve(self.app, self._shutdown.wait)
        finally:
            self.stopped.set()
