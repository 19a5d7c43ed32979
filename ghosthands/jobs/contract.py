"""The contract between the worker and a task handler (what a ``job_type`` does).

A handler validates its ``input_data`` into a msgspec Struct, then ``run`` does the work
through the :class:`JobContext` the worker gives it. It returns a :class:`HandlerResult`
or raises :class:`JobFailure` with an error code; anything else it raises is classified
by the worker (``internal_error`` unless recognised). Handlers never write to the jobs
table themselves: every write goes through the context, which fences it with the job's
execution attempt id.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import msgspec

from ghosthands.jobs.budgets import Quality
from ghosthands.jobs.errors import ErrorCode

if TYPE_CHECKING:  # the browser floor sits above this one: a type, never an import
    from ghosthands.browser.provider import BrowserSession
    from ghosthands.storage import Storage


class JobSpec(msgspec.Struct, frozen=True):
    """The parts of a job row a handler may read."""

    id: uuid.UUID
    job_type: str
    user_id: uuid.UUID
    target_url: str
    task_description: str
    input_data: dict[str, Any]
    timeout_seconds: int
    retry_count: int
    max_retries: int
    execution_attempt_id: uuid.UUID
    created_by: str = "api"
    valet_task_id: str | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    #: What earlier attempts of this job already spent on models (the row's
    #: llm_cost_cents): the job's LLM budget covers all its attempts together.
    llm_cost_cents: float = 0.0


class HandlerResult(msgspec.Struct):
    """What a successful run produced: stored on the job and sent in the callback."""

    result_data: dict[str, Any] = msgspec.field(default_factory=dict)
    summary: str = ""
    #: ``completed`` normally; ``awaiting_review`` when a human should check the outcome.
    final_status: str = "completed"
    final_mode: str | None = None


class JobFailure(Exception):
    """A classified failure. ``retryable=None`` defers to the error code's default."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.retryable = retryable


class HumanResolution(msgspec.Struct):
    """What a person answered through ``POST /valet/resume/{job_id}``."""

    action: str  # "continue" | "code" | "credentials" | "skip" | "cancel"
    code: str | None = None
    #: Credentials are only ever passed to the page, never logged or sent to a model.
    username: str | None = None
    password: str | None = None
    note: str | None = None


class BrowserProvider(Protocol):
    """Gives a job an isolated browser session (implemented by ``ghosthands.browser``).

    The worker enters ``session(job)`` around a handler whose ``needs_browser`` is true
    and exposes what it yields as ``ctx.browser``.
    """

    def session(self, job: JobSpec) -> AbstractAsyncContextManager[Any]: ...


class JobContext(Protocol):
    """Everything a running handler may do. Implemented by the worker."""

    job: JobSpec
    #: The job's browser session when the handler needs one, else None.
    browser: BrowserSession | None
    #: The object store resumes (``storage_path`` / ``s3_key``) are read from, when one
    #: is configured (GH_STORAGE_BACKEND); artifacts go there through save_artifact.
    storage: Storage | None

    async def progress(self, step: str, message: str = "", **data: Any) -> None:
        """Record a progress event (navigating, filling_form, uploading_resume, ...)."""
        ...

    async def save_artifact(self, kind: str, name: str, content_type: str, content: bytes) -> str:
        """Store a screenshot or other file; return the URL the API serves it at."""
        ...

    async def wait_for_human(
        self,
        interaction_type: str,
        interaction_data: dict[str, Any],
        screenshot: bytes | None = None,
        timeout_seconds: float | None = None,
    ) -> HumanResolution:
        """Pause the job (``paused`` + ``needs_human`` callback) until a person resumes it.

        Raises JobFailure(HITL_TIMEOUT) when nobody answers in time.
        """
        ...

    async def record_llm_usage(
        self, model: str, input_tokens: int, output_tokens: int, cost_cents: float
    ) -> None:
        """Add one model call's usage and price to the job (and the user's month)."""
        ...

    async def llm_budget_cents(self, quality: Quality) -> Decimal:
        """The most this job may have spent on models over all its attempts under
        ``quality``: the preset's budget, capped by what its user's month has left.

        Raises JobFailure(BUDGET_EXCEEDED) when the user's month is already spent.
        """
        ...

    async def count_action(self, n: int = 1) -> None:
        """Count browser actions; raises JobFailure(ACTION_LIMIT_EXCEEDED) past the limit."""
        ...


class Handler(Protocol):
    """A job type. Registered by name; plugins provide more via an entry-point group."""

    job_type: ClassVar[str]
    #: msgspec Struct that ``input_data`` must decode into.
    input_type: ClassVar[type[msgspec.Struct]]
    #: Whether the worker must hand this handler a browser context.
    needs_browser: ClassVar[bool]

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult: ...
