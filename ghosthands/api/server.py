"""The API role: the app on Hypercorn, drained by the supervisor's shutdown event."""

from __future__ import annotations

import socket
from collections.abc import Callable

import anyio
from hypercorn.asyncio import serve
from hypercorn.config import Config

from ghosthands.api.app import create_app
from ghosthands.config import Settings
from ghosthands.db.pool import Database
from ghosthands.httplog import configure_server_logs
from ghosthands.logs import get_logger

log = get_logger(__name__)


def bind_listener(host: str, port: int) -> socket.socket:
    """Bind and listen before serving, so READY=1 can be sent truthfully."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


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
        sock = bind_listener(self.settings.api_host, self.settings.api_port)
        host, port = sock.getsockname()[:2]
        config = Config()
        # Hypercorn takes ownership of the descriptor and closes it on shutdown, which
        # is what makes new connections be refused while in-flight ones finish.
        config.bind = [f"fd://{sock.detach()}"]
        config.graceful_timeout = self.drain_seconds
        config.keep_alive_timeout = 5
        # Hypercorn's lines go through our JSON handler; access lines as fields.
        configure_server_logs(config, access=True)
        config.include_server_header = False
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
            await serve(app, config, shutdown_trigger=shutdown.wait)  # type: ignore[arg-type]
            tg.cancel_scope.cancel()

    async def abort(self) -> None:
        """Nothing is held by the API beyond its connections; the pool closes on exit."""
