"""``ghosthands fleet serve``: receive VALET-bound ``deploy_ready`` webhooks and roll out.

``POST /webhooks/deploy`` verifies the delivery (either signature scheme, constant
time, fresh timestamp, first delivery of its id), then starts a rollout of the payload's
``image_tag`` across the hosts file and answers 202 at once. One rollout runs at a time
(a second is refused with 409); ``GET /rollouts/latest`` shows its progress per host.
The rollout task belongs to the server's task group: a shutdown stops starting hosts
and waits for the host in progress within the drain limit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path

import anyio
import anyio.abc
import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ghosthands.deploy.fleet import FleetHost, HostResult, RolloutResult, rollout
from ghosthands.deploy.notify import EVENT
from ghosthands.deploy.webhooks import ReplayGuard, WebhookRejected, WebhookVerifier
from ghosthands.logs import get_logger
from ghosthands.serving import Listener

log = get_logger(__name__)

MAX_BODY = 64 * 1024


class _DeployReadyIn(msgspec.Struct):
    event: str
    image_tag: str
    commit_sha: str = ""


class RolloutView(msgspec.Struct):
    id: str
    tag: str
    state: str  # running | success | halted | degraded
    started_at: str
    hosts: list[HostResult] = []
    finished_at: str | None = None


def _json(body: object, status: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status, media_type="application/json")


def _error(status: int, code: str, message: str) -> Response:
    return _json({"error": code, "message": message}, status)


class FleetReceiver:
    """The receiver's state and routes; ``run`` serves it until shutdown."""

    def __init__(
        self,
        secret: str,
        hosts: list[FleetHost],
        *,
        parallel: int = 1,
        continue_on_rollback: bool = False,
        replay_file: Path | None = None,
    ) -> None:
        self.verifier = WebhookVerifier(secret, replay=ReplayGuard(replay_file))
        self.hosts = hosts
        self.parallel = parallel
        self.continue_on_rollback = continue_on_rollback
        self.latest: RolloutView | None = None
        self.task_group: anyio.abc.TaskGroup | None = None
        self.stopping = anyio.Event()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/webhooks/deploy", self.webhook, methods=["POST"]),
                Route("/rollouts/latest", self.latest_rollout, methods=["GET"]),
                Route("/health", self.health, methods=["GET"]),
            ]
        )

    async def health(self, request: Request) -> Response:
        return _json({"status": "ok", "service": "ghosthands-fleet"})

    async def latest_rollout(self, request: Request) -> Response:
        if self.latest is None:
            return _error(404, "not_found", "no rollout yet")
        return _json(self.latest)

    async def webhook(self, request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error(413, "payload_too_large", "the body is larger than 64 KiB")
        try:
            scheme = self.verifier.verify(body, dict(request.headers))
        except WebhookRejected as exc:
            log.warning("fleet_webhook_rejected", reason=exc.reason, detail=str(exc))
            status = 409 if exc.reason == "replayed" else 401
            return _error(status, exc.reason, str(exc))
        try:
            payload = msgspec.json.decode(body, type=_DeployReadyIn)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return _error(400, "bad_request", f"not a deploy_ready payload: {exc}")
        if payload.event != EVENT:
            return _error(400, "bad_request", f"unknown event {payload.event!r}")
        if self.latest is not None and self.latest.state == "running":
            return _error(409, "rollout_in_progress", f"rolling out {self.latest.tag} already")
        if self.task_group is None:
            return _error(503, "unavailable", "the receiver is not running")
        view = RolloutView(
            id=uuid.uuid4().hex,
            tag=payload.image_tag,
            state="running",
            started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        self.latest = view
        log.info("fleet_rollout_accepted", tag=payload.image_tag, scheme=scheme, id=view.id)
        self.task_group.start_soon(self._roll, view)
        return _json({"status": "deploy_initiated", "rollout_id": view.id}, 202)

    async def _roll(self, view: RolloutView) -> None:
        def progress(result: HostResult) -> None:
            view.hosts = [*view.hosts, result]

        try:
            result: RolloutResult = await rollout(
                view.tag,
                self.hosts,
                parallel=self.parallel,
                continue_on_rollback=self.continue_on_rollback,
                on_host=progress,
                stop=self.stopping,
            )
            view.hosts, view.state = result.hosts, result.status
        except Exception:
            log.exception("fleet_rollout_crashed", tag=view.tag)
            view.state = "halted"
        view.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        log.info("fleet_rollout_finished", tag=view.tag, state=view.state)


class FleetRole:
    """The receiver as a supervised role (signals, READY=1, drain)."""

    name = "fleet"

    def __init__(self, receiver: FleetReceiver, host: str, port: int, drain_seconds: float) -> None:
        self.receiver = receiver
        self.host = host
        self.port = port
        self.drain_seconds = drain_seconds

    async def run(self, shutdown: anyio.Event, ready: Callable[[str], None]) -> None:
        listener = Listener(self.host, self.port, graceful_seconds=5, access_log=True)
        host, port = listener.host, listener.port
        async with anyio.create_task_group() as tg:
            self.receiver.task_group = tg
            log.info("fleet_listening", host=host, port=port)
            ready(f"listening on {host}:{port}")
            await listener.serve(self.receiver.app(), shutdown.wait)
            self.receiver.task_group = None
            # A rollout in progress finishes the hosts it has started and starts no more;
            # the supervisor's drain deadline bounds the wait.
            self.receiver.stopping.set()

    async def abort(self) -> None:
        """Host deploys are separate processes with their own locks; nothing to release."""
