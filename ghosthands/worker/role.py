"""The worker role as the supervisor sees it (``ghosthands work``)."""

from __future__ import annotations

from collections.abc import Callable

import anyio

from ghosthands.config import Settings
from ghosthands.db.pool import Database
from ghosthands.handlers.base import BrowserProvider
from ghosthands.handlers.registry import HandlerRegistry
from ghosthands.worker.worker import Worker


class WorkerRole:
    """The seam the supervisor drives: ``run`` until shutdown then drain; ``abort``.

    ``browser`` is the provider that handlers with ``needs_browser`` get their
    ``ctx.browser`` from; without one such jobs fail with a clear internal_error.
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
        self.worker = Worker(settings, self.db, registry=registry, browser=browser)

    async def run(self, shutdown: anyio.Event, ready: Callable[[str], None]) -> None:
        await self.worker.run(shutdown, ready)

    async def abort(self) -> None:
        """Second signal or drain overrun: give every held job back to the queue now."""
        await self.worker.abort()
