"""Serving an ASGI app on Hypercorn, shared by the API, the worker's status server and
the deploy receiver: bind first, then serve until a shutdown event, then drain.

Binding before serving lets a role send READY=1 truthfully; Hypercorn takes ownership
of the descriptor and closes it when the shutdown event is set, which is what makes new
connections be refused while in-flight requests finish within ``graceful_seconds``.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config

from ghosthands.httplog import configure_server_logs


def bind_listener(host: str, port: int) -> socket.socket:
    """Bind and listen before serving, so READY=1 can be sent truthfully."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class Listener:
    """A bound socket and the Hypercorn config that will serve on it."""

    def __init__(
        self, host: str, port: int, *, graceful_seconds: float, access_log: bool = False
    ) -> None:
        sock = bind_listener(host, port)
        self.host, self.port = sock.getsockname()[:2]
        self.config = Config()
        self.config.bind = [f"fd://{sock.detach()}"]
        self.config.graceful_timeout = graceful_seconds
        self.config.include_server_header = False
        configure_server_logs(self.config, access=access_log)

    async def serve(self, app: Any, shutdown_trigger: Callable[[], Awaitable[Any]]) -> None:
        """Serve ``app`` until ``shutdown_trigger`` returns, then drain in-flight requests."""
        await serve(app, self.config, shutdown_trigger=shutdown_trigger)
