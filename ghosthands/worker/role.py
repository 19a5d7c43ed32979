"""The worker role as the supervisor sees it (``ghosthands work``)."""

from __future__ import annotations

from collections.abc import Callable

import anyio

from ghosthands.config import Settings
from ghosthands.db.pool import Database
from ghosthands.logs import get_logger

log = get_logger(__name__)


class WorkerRole:
    """Connects to PostgreSQL and serves until shutdown.

    Claiming, running, heartbeats and recovery are added by the worker package; this
    class is the seam the supervisor drives.
    """

    name = "worker"

    def __init__(self, settings: Settings) -> None:
        settings.require("database_url")
        self.settings = settings
        self.drain_seconds = settings.worker_drain_seconds
        self.db = Database(settings, pool_size=settings.worker_pool_size, name="worker")

    async def run(self, shutdown: anyio.Event, ready: Callable[[str], None]) -> None:
        await self.db.open()
        try:
            listener = await self.db.connect_direct()
            try:
                await listener.execute("LISTEN gh_job_created")
                ready("listening for jobs")
                await shutdown.wait()
                await listener.execute("UNLISTEN *")
            finally:
                await listener.close()
        finally:
            await self.db.close()

    async def abort(self) -> None:
        """Nothing to release yet."""
