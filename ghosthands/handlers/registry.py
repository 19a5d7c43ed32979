"""Task handlers by ``job_type``: the built-ins plus plugins from an entry-point group.

A plugin package adds job types without a fork by declaring, in its own
``pyproject.toml``::

    [project.entry-points."ghosthands.handlers"]
    my_type = "my_package.handlers:MyHandler"

The entry point names a handler class (instantiated with no arguments) or instance; its
``job_type`` must equal the entry point's name. A plugin that fails to load is logged
and skipped: one broken plugin must not stop the worker running everything else.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import msgspec

from ghosthands.config import Settings
from ghosthands.db.pool import Database
from ghosthands.jobs.contract import Handler, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.jobs.types import HANDLER_ENTRY_POINT_GROUP
from ghosthands.logs import get_logger

log = get_logger(__name__)

ENTRY_POINT_GROUP = HANDLER_ENTRY_POINT_GROUP


class HandlerRegistry:
    """Handlers keyed by job type; decodes and validates ``input_data`` for each."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, handler: Handler) -> None:
        job_type = handler.job_type
        if job_type in self._handlers:
            raise ValueError(f"a handler for job type {job_type!r} is already registered")
        self._handlers[job_type] = handler

    def job_types(self) -> list[str]:
        return sorted(self._handlers)

    def get(self, job_type: str) -> Handler:
        """The handler for ``job_type``, or JobFailure(unknown_job_type)."""
        try:
            return self._handlers[job_type]
        except KeyError:
            raise JobFailure(
                ErrorCode.UNKNOWN_JOB_TYPE,
                f"no handler for job type {job_type!r}",
                details={"job_type": job_type, "known": self.job_types()},
                retryable=False,
            ) from None

    def decode_input(self, handler: Handler, input_data: dict[str, Any]) -> Any:
        """``input_data`` as the handler's Struct, or JobFailure(invalid_input)."""
        try:
            return msgspec.convert(input_data, handler.input_type, strict=False)
        except msgspec.ValidationError as exc:
            raise JobFailure(
                ErrorCode.INVALID_INPUT,
                f"input_data is not valid for {handler.job_type}: {exc}",
                details={"job_type": handler.job_type, "problem": str(exc)},
                retryable=False,
            ) from None

    def load_plugins(self, group: str = ENTRY_POINT_GROUP) -> list[str]:
        """Register the handlers installed plugins declare; return the job types added."""
        added = []
        for ep in entry_points(group=group):
            try:
                obj = ep.load()
                handler: Handler = obj() if isinstance(obj, type) else obj
                if handler.job_type != ep.name:
                    raise ValueError(f"entry point {ep.name!r} gives job_type {handler.job_type!r}")
                self.register(handler)
            except Exception as exc:
                log.error(
                    "handler_plugin_failed",
                    entry_point=ep.name,
                    value=ep.value,
                    error=f"{type(exc).__name__}: {exc}",
                )
                continue
            added.append(ep.name)
            log.info("handler_plugin_loaded", job_type=ep.name, value=ep.value)
        return added


def default_registry(
    settings: Settings, *, db: Database | None = None, load_plugins: bool = True
) -> HandlerRegistry:
    """The built-in handlers plus those of installed plugins.

    ``db`` lets the LLM task runner record and replay manuals.
    """
    from ghosthands.db.manuals import ManualStore
    from ghosthands.handlers.apply import ApplyHandler, FillFormHandler
    from ghosthands.handlers.custom import CustomHandler
    from ghosthands.handlers.http_check import HttpCheckHandler
    from ghosthands.handlers.scrape import ScrapeHandler
    from ghosthands.llm.task import TaskRunner

    # One runner for every handler that asks a model: one model choice, one budget rule.
    runner = TaskRunner(settings, manuals=ManualStore(db) if db is not None else None)
    registry = HandlerRegistry()
    registry.register(HttpCheckHandler(allow_private=settings.allow_private_networks))
    registry.register(ApplyHandler(runner))
    registry.register(FillFormHandler(runner))
    registry.register(ScrapeHandler())
    registry.register(CustomHandler(runner))
    if load_plugins:
        registry.load_plugins()
    return registry
