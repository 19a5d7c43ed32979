"""Wake-ups from PostgreSQL: one direct connection LISTENing, reconnecting on its own.

``gh_job_created`` means "maybe something to claim"; ``gh_job_control`` carries the job
events a worker acts on (cancellations, jobs back to pending, resume requests: migration
0006); ``gh_callback_queued`` means a callback is waiting in the outbox. The connection
is re-made with backoff whenever it breaks (database restart, network), and every
reconnect calls ``on_connected`` so the worker can look for what it may have missed
meanwhile. The worker also polls (``GH_POLL_SECONDS``), so a lost notification only
delays work.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import anyio
import psycopg

from ghosthands.db.pool import Database
from ghosthands.logs import error_summary, get_logger

log = get_logger(__name__)

JOB_CREATED = "gh_job_created"
JOB_CONTROL = "gh_job_control"
CALLBACK_QUEUED = "gh_callback_queued"
#: How often the notification wait returns to apply channel changes and stop requests.
TICK_SECONDS = 0.25


class JobEvent:
    """The payload of a ``gh_job_control`` notification."""

    __slots__ = ("event_type", "job_id", "to_status")

    def __init__(self, job_id: uuid.UUID, event_type: str, to_status: str | None) -> None:
        self.job_id = job_id
        self.event_type = event_type
        self.to_status = to_status


class Listener:
    """LISTENs on a direct connection and calls back; :meth:`run` until :meth:`stop`."""

    def __init__(
        self,
        db: Database,
        *,
        on_job_created: Callable[[], None],
        on_job_event: Callable[[JobEvent], None],
        on_callback_queued: Callable[[], None],
        on_connected: Callable[[], None],
        ping_seconds: float,
    ) -> None:
        self.db = db
        self.on_job_created = on_job_created
        self.on_job_event = on_job_event
        self.on_callback_queued = on_callback_queued
        self.on_connected = on_connected
        self.ping_seconds = ping_seconds
        self.channels: set[str] = {JOB_CREATED, JOB_CONTROL, CALLBACK_QUEUED}
        self.connected = False
        self.connections = 0
        self._stopping = False

    def unlisten(self, channel: str) -> None:
        """Stop listening on ``channel`` (applied within a tick)."""
        self.channels.discard(channel)

    def stop(self) -> None:
        """UNLISTEN everything, close the connection and return from :meth:`run`."""
        self._stopping = True

    async def run(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                conn = await self.db.connect_direct(connect_timeout=5)
            except (psycopg.Error, OSError) as exc:
                failures += 1
                if failures == 1 or failures % 20 == 0:
                    log.warning(
                        "listener_connect_failed", error=error_summary(exc), attempt=failures
                    )
                await anyio.sleep(min(5.0, 0.1 * 2**failures))
                continue
            try:
                async with conn:
                    await self._serve(conn)
                    failures = 0
            except (psycopg.Error, OSError) as exc:
                failures = 1
                log.warning("listener_lost", error=error_summary(exc))
                await anyio.sleep(0.1)
            finally:
                self.connected = False

    async def _serve(self, conn: psycopg.AsyncConnection[Any]) -> None:
        listening: set[str] = set()
        for channel in sorted(self.channels):
            await conn.execute(f"LISTEN {channel}")
            listening.add(channel)
        self.connected = True
        self.connections += 1
        log.info("listener_connected", channels=sorted(listening), connection=self.connections)
        self.on_connected()
        last_ping = anyio.current_time()
        while not self._stopping:
            async for note in conn.notifies(timeout=TICK_SECONDS):
                self._dispatch(note.channel, note.payload)
            for channel in sorted(listening - self.channels):
                await conn.execute(f"UNLISTEN {channel}")
                listening.discard(channel)
                log.info("listener_unlistened", channel=channel)
            if anyio.current_time() - last_ping >= self.ping_seconds:
                # A silent network failure shows only when we talk; notices are not lost
                # meanwhile (psycopg keeps them for the next notifies()).
                await conn.execute("SELECT 1")
                last_ping = anyio.current_time()
        await conn.execute("UNLISTEN *")
        log.info("listener_stopped")

    def _dispatch(self, channel: str, payload: str) -> None:
        if channel == JOB_CREATED:
            self.on_job_created()
            return
        if channel == CALLBACK_QUEUED:
            self.on_callback_queued()
            return
        if channel != JOB_CONTROL:
            return
        try:
            data = json.loads(payload)
            event = JobEvent(uuid.UUID(data["job_id"]), data["event_type"], data.get("to_status"))
        except (ValueError, KeyError, TypeError):
            log.warning("listener_bad_payload", channel=channel)
            return
        self.on_job_event(event)
