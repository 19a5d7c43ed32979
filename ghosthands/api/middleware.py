"""Pure ASGI middleware (streaming-safe, unlike BaseHTTPMiddleware).

- :class:`BodyLimitMiddleware`: 413 for a body over ``GH_MAX_BODY_BYTES``, by its
  Content-Length before routing, and while it streams in (chunked bodies have no
  Content-Length to trust).
- :class:`RequestMetricsMiddleware`: a request id on every log line and answer, and the
  request duration histogram by route template and status.
"""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ghosthands.api.errors import ApiError, error_response
from ghosthands.api.metrics import ApiMetrics
from ghosthands.logs import get_logger, log_context

log = get_logger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413, f"request body is larger than {limit} bytes", code="payload_too_large"
        )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_bytes
            except ValueError:
                response = error_response(400, "bad_request", "invalid Content-Length")
                await response(scope, receive, send)
                return
            if too_large:
                response = error_response(
                    413,
                    "payload_too_large",
                    f"request body is larger than {self.max_bytes} bytes",
                    headers={"Connection": "close"},
                )
                await response(scope, receive, send)
                return

        received = 0
        has_body = (declared not in (None, "0")) or _header(scope, b"transfer-encoding")
        consumed = False

        async def limited_receive() -> Message:
            nonlocal received, consumed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's body read, so the app's ApiError handler
                    # answers 413 in the standard format.
                    raise BodyTooLarge(self.max_bytes)
                if not message.get("more_body", False):
                    consumed = True
            return message

        async def send_closing_if_unread(message: Message) -> None:
            # Answered before reading the body (401, 404, 413...): the rest of the body is
            # still on the wire, so this connection cannot carry another request. Say so,
            # or a keep-alive client would send its next request into a closing socket.
            if message["type"] == "http.response.start" and has_body and not consumed:
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, limited_receive, send_closing_if_unread)


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                elapsed = time.perf_counter() - started
                self.metrics.observe_request(scope["method"], template, status, elapsed)
                if status >= 500:
                    log.warning(
                        "request_failed", method=scope["method"], route=template, status=status
                    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None
