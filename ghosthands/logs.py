"""Structured logs: one JSON object per line on stdout, with secrets redacted.

Context that belongs on every line of a unit of work (``job_id``, ``request_id``) is
carried in context variables, so code logs an event and its fields and nothing more::

    log = get_logger(__name__)
    log.info("job_claimed", job_id=str(job.id), attempt=2)
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

import msgspec

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "gh_log_context", default=None
)
_static: dict[str, Any] = {}
_encoder = msgspec.json.Encoder()

REDACTED = "[REDACTED]"
#: Field names whose values are never printed, whatever they hold.
_SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "password",
        "secret",
        "token",
        "api_key",
        "service_key",
        "x-gh-service-key",
        "cookie",
        "set-cookie",
        "credentials",
        "resume_content",
    }
)


class _Redactor:
    """Replaces known secret values wherever they appear in a rendered line."""

    def __init__(self) -> None:
        self._values: tuple[str, ...] = ()

    def set_values(self, values: Iterable[str]) -> None:
        # Longest first, so a DSN is replaced whole before its password alone.
        self._values = tuple(sorted({v for v in values if len(v) >= 4}, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        return text


redact = _Redactor()


def redact_data(value: Any) -> Any:
    """``value`` with every configured secret replaced in its strings (dicts and lists
    walked): for text that leaves the process other than as a log line, such as the
    error a job is stored with (an exception's message may quote a DSN or a key)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value


def _clean(value: Any, depth: int = 0) -> Any:
    if depth > 6:
        return "..."
    if isinstance(value, dict):
        return {
            str(k): (REDACTED if str(k).lower() in _SENSITIVE_KEYS else _clean(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_clean(v, depth + 1) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object with time, level, role, context and fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            **_static,
            "logger": record.name,
        }
        line.update(_context.get() or {})
        fields = getattr(record, "gh_fields", None)
        if fields is not None:
            line["event"] = record.msg
            line.update(_clean(fields))
        else:
            line["event"] = "log"
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return redact(_encoder.encode(line).decode())


class Logger:
    """A thin wrapper that logs an event name plus keyword fields."""

    def __init__(self, name: str) -> None:
        self._logger = logging.getLogger(name)

    def _log(self, level: int, event: str, fields: dict[str, Any], exc: bool = False) -> None:
        if self._logger.isEnabledFor(level):
            self._logger.log(level, event, extra={"gh_fields": fields}, exc_info=exc)

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, fields, exc=True)


def get_logger(name: str) -> Logger:
    return Logger(name)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields to every line logged inside the block (task-local)."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def configure_logging(
    role: str, level: str = "info", secrets: Iterable[str] = (), stream: TextIO | None = None
) -> None:
    """Send every logger (ours, Hypercorn's, psycopg's) to stdout (or ``stream``) as JSON lines."""
    _static.clear()
    _static["role"] = role
    redact.set_values(secrets)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if level.upper() in logging._nameToLevel else "INFO")
    for name in ("hypercorn.error", "hypercorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def set_static_field(key: str, value: Any) -> None:
    """Add a field to every line from now on (e.g. the worker id once known)."""
    _static[key] = value


def error_summary(exc: BaseException) -> str:
    """``Type: first line of the message``: an exception in one log field."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
