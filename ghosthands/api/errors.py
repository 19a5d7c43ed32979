"""The one error format of the API: ``{"error": code, "message": ..., "details"?: [...]}``."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ghosthands.logs import get_logger

log = get_logger(__name__)


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """Every error response. ``details``: one entry per field for validation errors."""

    error: str
    message: str
    details: list[dict[str, Any]] | None = None
    #: On 409 duplicate_idempotency_key: the job holding the key (when the caller may see it).
    existing_job_id: str | None = None


#: Default error code for a bare HTTP status.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limit_exceeded",
    500: "internal_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """Raise from a route to answer with the standard error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.details = details
        self.headers = headers or {}
        self.extra = extra or {}


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = msgspec.to_builtins(ErrorBody(code, message, details))
    body.update(extra or {})
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers, exc.extra)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405/... in our format."""
    assert isinstance(exc, HTTPException)
    code = _CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    """Anything unexpected: log it with its traceback, answer without one."""
    log.exception("unhandled_error", path=request.url.path, method=request.method)
    return error_response(500, "internal_error", "an internal error occurred")
