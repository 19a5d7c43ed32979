"""The worker role as the supervisor sees it (``ghosthands work``)."""

from __future__ import annotations

from collections.abc import Callable

import anyio

from ghosthands.browser.lazy import LazyChromium
from ghosthands.config import Settings
from ghosthands.crypto import KeyRing
from ghosthands.db.credentials import CredentialStore
from ghosthands.db.pool import Database
from ghosthands.handlers.registry import HandlerRegistry
from ghosthands.jobs.contract import BrowserProvider
from ghosthands.worker.worker import Worker


class WorkerRole:
    """The seam the supervisor drives: ``run`` until shutdown then drain; ``abort``.

    ``browser`` is the provider that handlers with ``needs_browser`` get their
    ``ctx.browser`` from. By default it is the worker's own Chromium, launched on the
    first job that needs it (:class:`ghosthands.browser.lazy.LazyChromium`).
    """

    name = "worker"

    def __init__(
        self,
        settings: Settings,
        *,
        registry: HandlerRegistry | None = None,
        browser: BrowserProvider | None = None,
    ) -> None:
        settings.require("database_url")
        self.settings = settings
        self.drain_seconds = settings.worker_drain_seconds
        self.db = Database(settings, pool_size=settings.worker_pool_size, name="worker")
        self._own_browser: LazyChromium | None = None
        if browser is None:
            store = (
                CredentialStore(self.db, KeyRing(settings.encryption_keys))
                if settings.encryption_keys
                else None
            )
            browser = self._own_browser = LazyChromium(settings, store)
        self.worker = Worker(settings, self.db, registry=registry, browser=browser)

    async def run(self, shutdown: anyio.Event, ready: Callable[[str], None]) -> None:
        if self._own_browser is None:
            await self.worker.run(shutdown, ready)
            return
        async with self._own_browser:
            await self.worker.run(shutdown, ready)

    async def abort(self) -> None:
        """Second signal or drain overrun: give every held job back to the queue now."""
        await self.worker.abort()
