"""Live job events as Server-Sent Events, driven by LISTEN/NOTIFY (no polling).

One :class:`JobEventHub` per API process holds ONE direct connection that LISTENs on
``gh_job_event`` (announced by the 0001 trigger for every ``gh_job_events`` row) and
wakes the subscribers of that notification's job. It listens only while some stream is
open (and :data:`IDLE_SECONDS` after the last one ends): ``gh_job_event`` carries every
event of every job in the fleet, and an API process with no stream to feed has no reason
to receive them, nor to hold PostgreSQL's notification queue back if it stalls. A woken
stream reads the job's events after the last one it sent, in id order, so nothing is
lost when several notifications arrive at once or when the listener reconnects (every
subscriber is woken after a reconnect to catch up). Waiting between events is a wait on
that wake-up with a keepalive deadline, never a query loop.

A stream replays the events after ``Last-Event-ID`` (all of them without it), sends
``: keepalive`` comments while idle, and ends after the job reaches a terminal status, when
the client disconnects (Starlette cancels the generator) or when the server drains
(:meth:`JobEventHub.drain`, called by the API role on SIGTERM).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio
import msgspec
from anyio.abc import TaskStatus

from ghosthands.db.pool import Database
from ghosthands.jobs.states import TERMINAL
from ghosthands.jobs.submissions import JobSubmissions
from ghosthands.logs import get_logger

log = get_logger(__name__)

CHANNEL = "gh_job_event"
#: Events read per query while catching up.
PAGE = 500
#: Longest wait between attempts to re-open the listening connection.
MAX_RECONNECT_SECONDS = 15.0
#: How long the listener stays after the last stream ended (streams come and go).
IDLE_SECONDS = 30.0
#: How often the notification wait returns to look at the subscribers.
TICK_SECONDS = 1.0


class TooManyStreams(Exception):
    """This process, or this caller, has as many open streams as it may."""


class Subscription:
    """One stream's interest in one job: a wake-up flag, not a queue (the database is)."""

    def __init__(self, job_id: uuid.UUID, owner: str | None = None) -> None:
        self.owner = owner
        self.job_id = job_id
        self.closed = False
        self._woken = anyio.Event()

    def wake(self) -> None:
        self._woken.set()

    def close(self) -> None:
        self.closed = True
        self._woken.set()

    async def wait(self, seconds: float) -> bool:
        """Wait for a wake-up; False when ``seconds`` passed first (time for a keepalive)."""
        with anyio.move_on_after(seconds):
            await self._woken.wait()
            # Reset before the caller reads the database: a wake-up after this point is
            # kept, one before it is covered by that read.
            self._woken = anyio.Event()
            return True
        return False


class JobEventHub:
    """The process's one LISTEN connection, fanned out to SSE subscribers."""

    def __init__(
        self,
        db: Database,
        *,
        reconnect_seconds: float = 1.0,
        idle_seconds: float = IDLE_SECONDS,
        max_streams: int = 500,
        max_per_owner: int = 5,
    ) -> None:
        self._db = db
        self.max_streams = max_streams
        self.max_per_owner = max_per_owner
        self._per_owner: dict[str, int] = {}
        self._reconnect_seconds = reconnect_seconds
        self._idle_seconds = idle_seconds
        self._subscribers: dict[str, set[Subscription]] = {}
        self._draining = False
        self._wanted = anyio.Event()  # set by subscribe()
        self.listening = False

    @property
    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Listen while streams are open, until cancelled, reconnecting with backoff after
        failures. Reports started at once: the API comes up while the DB is down."""
        task_status.started()
        delay = self._reconnect_seconds
        while True:
            if not self._subscribers:
                self._wanted = anyio.Event()
                await self._wanted.wait()
            try:
                conn = await self._db.connect_direct(
                    connect_timeout=5,
                    keepalives=1,
                    keepalives_idle=30,
                    keepalives_interval=10,
                    keepalives_count=3,
                )
            except Exception as exc:
                log.warning("event_listener_connect_failed", error=type(exc).__name__)
                await anyio.sleep(delay)
                delay = min(delay * 2, MAX_RECONNECT_SECONDS)
                continue
            try:
                await conn.execute(f"LISTEN {CHANNEL}")
                self.listening = True
                delay = self._reconnect_seconds
                log.info("event_listener_listening", channel=CHANNEL)
                # Events may have been missed before or while disconnected: every stream
                # catches up from the database.
                self._wake_all()
                await self._listen(conn)
                log.info("event_listener_idle", channel=CHANNEL)
            except Exception as exc:
                log.warning("event_listener_lost", error=type(exc).__name__)
                await anyio.sleep(delay)
            finally:
                self.listening = False
                with anyio.CancelScope(shield=True):
                    await conn.close()

    async def _listen(self, conn: Any) -> None:
        """Dispatch notifications until no stream has been open for ``idle_seconds``."""
        idle_since: float | None = None
        while True:
            async for notify in conn.notifies(timeout=TICK_SECONDS):
                self._dispatch(notify.payload)
            if self._subscribers:
                idle_since = None
                continue
            now = anyio.current_time()
            if idle_since is None:
                idle_since = now
            elif now - idle_since >= self._idle_seconds:
                return

    def admit(self, owner: str | None = None) -> None:
        """TooManyStreams when this process, or ``owner`` (a user; the service caller
        has only the process's limit), has as many open streams as it may."""
        if self.subscriber_count >= self.max_streams:
            raise TooManyStreams(f"this server has {self.max_streams} open event streams")
        if owner is not None and self._per_owner.get(owner, 0) >= self.max_per_owner:
            raise TooManyStreams(f"at most {self.max_per_owner} open event streams per user")

    def subscribe(self, job_id: uuid.UUID, owner: str | None = None) -> Subscription:
        """A subscription to ``job_id``'s events (within :meth:`admit`'s limits)."""
        self.admit(owner)
        sub = Subscription(job_id, owner)
        if self._draining:
            sub.close()
        self._subscribers.setdefault(str(job_id), set()).add(sub)
        if owner is not None:
            self._per_owner[owner] = self._per_owner.get(owner, 0) + 1
        self._wanted.set()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subscribers.get(str(sub.job_id))
        if subs is not None and sub in subs:
            subs.discard(sub)
            if not subs:
                del self._subscribers[str(sub.job_id)]
            if sub.owner is not None:
                left = self._per_owner.get(sub.owner, 1) - 1
                if left > 0:
                    self._per_owner[sub.owner] = left
                else:
                    self._per_owner.pop(sub.owner, None)

    def drain(self) -> None:
        """End every stream (server shutdown): clients reconnect elsewhere with Last-Event-ID."""
        self._draining = True
        for subs in list(self._subscribers.values()):
            for sub in list(subs):
                sub.close()

    def _dispatch(self, payload: str) -> None:
        try:
            job_id = str(msgspec.json.decode(payload)["job_id"])
        except (msgspec.DecodeError, KeyError, TypeError):
            log.warning("event_notification_malformed")
            return
        for sub in self._subscribers.get(job_id, ()):
            sub.wake()

    def _wake_all(self) -> None:
        for subs in self._subscribers.values():
            for sub in subs:
                sub.wake()


def format_event(row: dict[str, Any]) -> bytes:
    """One SSE message: ``id`` is the event id (what Last-Event-ID sends back)."""
    data = msgspec.json.encode(
        {
            "id": row["id"],
            "job_id": row["job_id"],
            "event_type": row["event_type"],
            "from_status": row["from_status"],
            "to_status": row["to_status"],
            "message": row["message"],
            "metadata": row["metadata"],
            "actor": row["actor"],
            "created_at": row["created_at"],
        }
    )
    event_type = "".join(c for c in str(row["event_type"]) if c.isprintable() and c not in "\r\n")
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (row["id"], event_type.encode(), data)


async def event_stream(
    hub: JobEventHub,
    submissions: JobSubmissions,
    job_id: uuid.UUID,
    *,
    owner: str | None,
    after_id: int,
    started_terminal: bool,
    keepalive_seconds: float,
    max_seconds: float,
    retry_ms: int = 2000,
) -> AsyncIterator[bytes]:
    """The body of ``GET /jobs/{id}/events/stream`` (ownership and :meth:`admit`
    already checked). Ends after ``max_seconds``: a stream on a job that never finishes
    must not hold its slot for ever."""
    try:
        sub = hub.subscribe(job_id, owner)  # before the first read: nothing slips between
    except TooManyStreams:  # taken by a stream admitted at the same moment
        yield b": too many open streams, retry later\n\n"
        return
    ends_at = anyio.current_time() + max_seconds
    log.info("event_stream_opened", job_id=str(job_id), after_id=after_id)
    reason = "client_disconnected"
    try:
        yield b"retry: %d\n\n" % retry_ms
        last = after_id
        while True:
            rows = await submissions.events_after(job_id, last, PAGE)
            ended = False
            for row in rows:
                yield format_event(row)
                last = row["id"]
                if row["event_type"] == "status_changed" and row["to_status"] in TERMINAL:
                    ended = True
            if len(rows) == PAGE:
                continue
            if ended or started_terminal:
                yield b"event: end\ndata: {}\n\n"
                reason = "job_finished"
                return
            if sub.closed:
                yield b": server shutting down, reconnect with Last-Event-ID\n\n"
                reason = "server_draining"
                return
            left = ends_at - anyio.current_time()
            if left <= 0:
                yield b": stream lifetime reached, reconnect with Last-Event-ID\n\n"
                reason = "lifetime"
                return
            if not await sub.wait(min(keepalive_seconds, left)):
                yield b": keepalive\n\n"
    except Exception as exc:
        # E.g. the database went away mid-stream: end cleanly; the client reconnects with
        # Last-Event-ID and loses nothing.
        reason = "error"
        log.warning("event_stream_failed", job_id=str(job_id), error=type(exc).__name__)
    finally:
        hub.unsubscribe(sub)
        log.info("event_stream_closed", job_id=str(job_id), reason=reason)


def parse_last_event_id(value: str | None) -> int:
    """The id after which to replay; 0 (everything) when absent or not a number."""
    if not value:
        return 0
    try:
        number = int(value.strip())
    except ValueError:
        return 0
    return number if 0 <= number < math.inf and number < 2**63 else 0
