"""Hypercorn's access and error logs as our JSON events.

Hypercorn formats an access line as one string ("127.0.0.1:5000 - - [date] GET /x 200");
here each request becomes an ``http_access`` event with separate fields instead, so log
queries can filter on ``status`` or ``duration_ms`` without parsing text.

The line carries the path without its query string (a query can hold a token) and the
``x-request-id`` the API's middleware put on the response, so it joins the request's
other lines. Header values are never logged.
"""

from __future__ import annotations

import logging
from typing import Any

from hypercorn.config import Config
from hypercorn.logging import Logger as HypercornLogger

from ghosthands.logs import get_logger

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
