"""The API role: the app on Hypercorn, drained by the supervisor's shutdown event."""

from __future__ import annotations

from collections.abc import Callable

import anyio

from ghosthands.api.app import create_app
from ghosthands.config import Settings
from ghosthands.db.pool import Database
from ghosthands.logs import get_logger
from ghosthands.serving import Listener

log = get_logger(__name__)


class ApiRole:
    """``ghosthands serve``: stop accepting on shutdown, finish in-flight requests."""

    name = "api"

    def __init__(self, settings: Settings) -> None:
        settings.require("database_url")
        self.settings = settings
        self.drain_seconds = settings.api_drain_seconds
        self.db = Database(settings, pool_size=settings.api_pool_size, name="api")
        # Built here, not in run(): a setting only the app checks (the model catalogue,
        # say) then fails start-up with exit 78 like every other configuration error.
        self.app = create_app(settings, self.db)

    async def run(self, shutdown: anyio.Event, ready: Callable[[str], None]) -> None:
        app = self.app
        # Access lines as JSON fields; a keep-alive connection idles at most 5 s.
        listener = Listener(
            self.settings.api_host,
            self.settings.api_port,
            graceful_seconds=self.drain_seconds,
            access_log=True,
        )
        listener.config.keep_alive_timeout = 5
        host, port = listener.host, listener.port
        log.info("api_listening", host=host, port=port)
        ready(f"listening on {host}:{port}")

        async def end_streams_on_drain() -> None:
            # Live event streams never finish on their own: end them when the drain
            # starts, so in-flight requests can complete within the drain limit.
            await shutdown.wait()
            if app.state.services.hub is not None:
                app.state.services.hub.drain()

        async with anyio.create_task_group() as tg:
            tg.start_soon(end_streams_on_drain)
            await listener.serve(app, shutdown.wait)
            tg.cancel_scope.cancel()

    async def abort(self) -> None:
        """Nothing is held by the API beyond its connections; the pool closes on exit."""
