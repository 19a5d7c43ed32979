"""Delivers the callback outbox: due rows, signed, retried with backoff, never twice at once.

Rows are written by trigger in the same transaction as the job status they announce, so
a callback is never lost and never sent for a status that was rolled back. Any worker
may deliver any row: rows are taken with ``FOR UPDATE SKIP LOCKED`` under a lease, so
two workers never send the same row at the same time, and a worker that dies mid-send
leaves the row to be retried when its lease runs out (receivers deduplicate on the
stable ``webhook-id``). A delivery problem never touches the job itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import anyio
import httpx
import msgspec
import psycopg

from ghosthands import __version__
from ghosthands.callbacks.payload import CallbackPayload, build_payload, encode_payload
from ghosthands.config import Settings
from ghosthands.jobs.queue import Callback, JobQueue
from ghosthands.logs import get_logger
from ghosthands.netguard import BlockedAddressError, guarded_client
from ghosthands.signatures import secret_key, user_key, webhook_headers
from ghosthands.storage import Storage

log = get_logger(__name__)

#: Rows taken per round; delivered concurrently.
BATCH = 10
#: Longest wait between two attempts of one row.
MAX_BACKOFF_SECONDS = 3600.0


def backoff_seconds(base: float, attempts: int) -> float:
    """Delay after failed attempt number ``attempts`` (1-based): base·2^(n-1), capped."""
    return float(min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempts - 1)))


class CallbackSender:
    """The outbox delivery loop of one worker. ``run`` until ``stop`` is set."""

    def __init__(
        self,
        queue: JobQueue,
        settings: Settings,
        *,
        on_result: Callable[[bool], None] = lambda ok: None,
        storage: Storage | None = None,
    ) -> None:
        self.queue = queue
        self.settings = settings
        self.on_result = on_result
        #: Where screenshots kept outside the database are, to sign their links.
        self.storage = storage
        self._key = secret_key(settings.webhook_secret) if settings.webhook_secret else None
        self._wake = anyio.Event()
        self._stopping = False
        # Long enough that a row is never taken by a second worker while the first is
        # still inside its HTTP timeout.
        self.lease_seconds = settings.callback_timeout_seconds * 3 + 5

    def wake(self) -> None:
        """A status changed somewhere: look for due rows now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the current round and return from :meth:`run`."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Deliver due rows until :meth:`stop`; database outages are waited out."""
        if self._key is None:
            log.warning("callbacks_unsigned", reason="GH_WEBHOOK_SECRET is not set")
        failures = 0
        async with self.client() as client:
            while not self._stopping:
                taken = 0
                try:
                    taken = await self.deliver_due(client)
                    failures = 0
                except (psycopg.Error, OSError) as exc:
                    failures += 1
                    log.warning("callback_outbox_unavailable", error=_short(exc))
                if taken == BATCH and not failures:
                    continue  # more may be due
                delay = min(5.0, 0.2 * 2**failures) if failures else self.settings.poll_seconds
                with anyio.move_on_after(delay):
                    await self._wake.wait()
                self._wake = anyio.Event()

    def client(self) -> httpx.AsyncClient:
        """The guarded client deliveries go through (no redirects: they could carry the
        service key to another host)."""
        return guarded_client(
            allow_private=self.settings.allow_private_networks,
            allowed=self.settings.callback_allowed_networks,
            timeout=self.settings.callback_timeout_seconds,
            follow_redirects=False,
        )

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        """Deliver one batch of due rows; return how many were taken."""
        rows = await self.queue.claim_callbacks(BATCH, self.lease_seconds)
        if rows:
            async with anyio.create_task_group() as tg:
                for row in rows:
                    tg.start_soon(self._deliver, client, row)
        return len(rows)

    def _signing_key(self, cb: Callback) -> bytes | None:
        """VALET's key for jobs the service created; for a user's job, that user's own
        derived key: a user must not obtain a callback VALET would trust."""
        if self._key is None or cb.include_service_key:
            return self._key
        return user_key(self._key, cb.user_id)

    async def _deliver(self, client: httpx.AsyncClient, cb: Callback) -> None:
        fields = {
            "callback_id": str(cb.id),
            "job_id": str(cb.job_id),
            "callback_event": cb.event,
            "attempt": cb.attempts,
            "host": urlsplit(cb.url).hostname,
        }
        try:
            payload = build_payload(cb.event, cb.payload)
        except Exception as exc:  # a snapshot we cannot read will never get better
            await self._give_up(cb, None, f"bad payload: {exc}", fields)
            return
        body = encode_payload(await self._with_signed_screenshot(cb, payload))
        headers = {
            "content-type": "application/json",
            "user-agent": f"ghosthands/{__version__}",
            **webhook_headers(self._signing_key(cb), str(cb.id), int(time.time()), body),
        }
        # Only callbacks of jobs the service caller created carry its key: a user must
        # not harvest the service secret by pointing callback_url at their own server.
        if cb.include_service_key and self.settings.service_secret:
            headers["X-GH-Service-Key"] = self.settings.service_secret
        status: int | None = None
        try:
            response = await client.post(cb.url, content=body, headers=headers)
            status = response.status_code
        except BlockedAddressError as exc:
            await self._give_up(cb, None, f"blocked_address: {exc}", fields)
            return
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            await self._give_up(cb, None, f"invalid callback_url: {exc}", fields)
            return
        except httpx.HTTPError as exc:
            await self._retry_later(cb, None, f"{type(exc).__name__}: {exc}", fields)
            return
        if 200 <= status < 300:
            await self.queue.callback_delivered(cb, status)
            self.on_result(True)
            log.info("callback_delivered", status_code=status, **fields)
        else:
            await self._retry_later(cb, status, f"receiver answered {status}", fields)

    async def _with_signed_screenshot(
        self, cb: Callback, payload: CallbackPayload
    ) -> CallbackPayload:
        """The screenshot as an absolute, time-limited link into the object store, signed
        per attempt so a retry an hour later still carries a working one. Without a store,
        or when signing fails, the API's own artifact URL stays."""
        if self.storage is None or payload.screenshot_url is None:
            return payload
        try:
            stored = await self.queue.artifact_locations(cb.job_id)
        except (psycopg.Error, OSError) as exc:
            log.warning("callback_screenshot_unsigned", job_id=str(cb.job_id), error=_short(exc))
            return payload
        [url] = await self.storage.sign_urls([payload.screenshot_url], stored)
        interaction = payload.interaction
        if interaction is not None and interaction.screenshot_url == payload.screenshot_url:
            interaction = msgspec.structs.replace(interaction, screenshot_url=url)
        return msgspec.structs.replace(payload, screenshot_url=url, interaction=interaction)

    async def _retry_later(
        self, cb: Callback, status: int | None, error: str, fields: dict[str, object]
    ) -> None:
        self.on_result(False)
        if cb.attempts >= self.settings.callback_max_attempts:
            await self._give_up(cb, status, f"{error} (after {cb.attempts} attempts)", fields)
            return
        delay = backoff_seconds(self.settings.callback_backoff_seconds, cb.attempts)
        await self.queue.callback_retry_later(cb, delay, status, error)
        log.warning("callback_failed", error=error, retry_in_seconds=delay, **fields)

    async def _give_up(
        self, cb: Callback, status: int | None, error: str, fields: dict[str, object]
    ) -> None:
        self.on_result(False)
        await self.queue.callback_give_up(cb, status, error)
        log.error("callback_given_up", error=error, **fields)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
