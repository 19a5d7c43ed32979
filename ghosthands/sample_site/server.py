"""Serve an ASGI app on loopback from a background thread (the sample site, test pages)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config


class SiteServer:
    """``with SiteServer(app) as server: server.url`` - started and stopped with the block."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port = int(self._sock.getsockname()[1])
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def host_port(self) -> str:
        return f"{self.host}:{self.port}"

    def _run(self) -> None:
        config = Config()
        config.bind = [f"fd://{self._sock.fileno()}"]
        config.accesslog = None
        config.errorlog = None
        config.graceful_timeout = 1.0

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._started.set()
            await serve(self.app, config, shutdown_trigger=self._stop.wait)

        asyncio.run(main())

    def start(self) -> SiteServer:
        self._sock.listen(128)
        self._thread = threading.Thread(target=self._run, name="site-server", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("the site server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
        with contextlib.suppress(OSError):  # hypercorn usually closed it already
            self._sock.close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
