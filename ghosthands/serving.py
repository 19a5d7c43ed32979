"""Serving an ASGI app on Hypercorn, shared by the API, the worker's status server and
the deploy receiver: bind first, then serve until a shutdown event, then drain.

Binding before serving lets a role send READY=1 truthfully; Hypercorn takes ownership
of the descriptor and closes it when the shutdown event is set, which is what makes new
connections be refused while in-flight requests finish within ``graceful_seconds``.

Hypercorn's access and error logs become our JSON events: each request is an
``http_access`` event with separate fields (``status``, ``duration_ms``, ...), so log
queries can filter without parsing text. The line carries the path without its query
string (a query can hold a token) and the ``x-request-id`` the API's middleware put on the
response, so it joins the request's other lines. Header values are never logged.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.logging import Logger as HypercornLogger

from ghosthands.logs import get_logger


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


_access = get_logger("hypercorn.access")


class JsonAccessLogger(HypercornLogger):
    """Set as ``config.logger_class``; error lines go through the ``hypercorn.error``
    logger, which the JSON handler formats like any other."""

    async def access(self, request: Any, response: Any, request_time: float) -> None:
        if self.access_logger is None:
            return
        fields: dict[str, Any] = {
            "method": request.get("method", "GET"),
            "path": request.get("path", ""),
            "status": None if response is None else int(response["status"]),
            "duration_ms": round(request_time * 1000, 3),
            "http_version": request.get("http_version"),
        }
        client = request.get("client")
        if client:
            fields["client"] = str(client[0])
        for name, value in (response or {}).get("headers", []):
            if name.lower() == b"x-request-id":
                fields["request_id"] = value.decode("latin1")
        _access.info("http_access", **fields)


def configure_server_logs(config: Config, *, access: bool) -> None:
    """Point a Hypercorn config at our loggers (JSON on stdout through the root handler)."""
    config.logger_class = JsonAccessLogger
    config.accesslog = logging.getLogger("hypercorn.access") if access else None
    config.errorlog = logging.getLogger("hypercorn.error")
