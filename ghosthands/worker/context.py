"""One running job as the worker tracks it, and the JobContext its handler uses."""

from __future__ import annotations

import enum
import math
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import anyio
import msgspec

from ghosthands.config import Settings
from ghosthands.crypto import DecryptionError, KeyRing, open_resume_password
from ghosthands.jobs.accounting import job_llm_budget_cents
from ghosthands.jobs.budgets import (
    JOB_BUDGET_CENTS,
    MONTHLY_BUDGET_CENTS,
    Quality,
    Tier,
    action_limit,
    job_quality,
)
from ghosthands.jobs.contract import HumanResolution, JobFailure, JobSpec
from ghosthands.jobs.errors import ErrorCode
from ghosthands.jobs.queue import JobQueue
from ghosthands.logs import get_logger
from ghosthands.storage import Storage, StorageError, artifact_key
from ghosthands.worker.metrics import WorkerMetrics

log = get_logger(__name__)


class StopReason(enum.StrEnum):
    """Why a runner was stopped from outside its handler."""

    CANCELLED = "cancelled"  # the job was cancelled (API); its status says so already
    LOST = "lost"  # a write was fenced: recovered or re-claimed elsewhere
    RELEASE = "release"  # the worker is draining and the job did not finish in time


class JobFenced(Exception):
    """A write of this run was rejected: the job is no longer this attempt's to change."""


class HumanCancelled(Exception):
    """The person answering a pause chose to cancel the job."""


class RunningJob:
    """The worker's handle on one claimed job: its spec and how to stop or wake it."""

    def __init__(self, spec: JobSpec) -> None:
        self.spec = spec
        self.started = time.monotonic()
        self.stop_reason: StopReason | None = None
        self.scope: anyio.CancelScope | None = None
        #: The hard ``timeout_seconds`` limit; suspended while waiting for a human.
        self.limit: anyio.CancelScope | None = None
        self.resume = anyio.Event()
        self.paused = False
        #: Waiting for a person with its browser context closed (state kept): it holds
        #: neither a slot nor one of the worker's paused contexts.
        self.suspended = False
        #: Called when the job starts or stops waiting for a person (its slot frees up).
        self.on_pause_change: Callable[[], None] | None = None
        #: Whether a job that starts waiting may keep its browser context open (the
        #: worker's cap of paused contexts); None: always.
        self.keep_browser: Callable[[], bool] | None = None
        #: Set once the run's outcome is decided: outside stops no longer apply.
        self.finishing = False

    def stop(self, reason: StopReason) -> None:
        """Cancel the handler (idempotent; the first reason wins)."""
        if self.stop_reason is None:
            self.stop_reason = reason
            log.info("job_stopping", job_id=str(self.spec.id), reason=reason.value)
        if self.scope is not None:
            self.scope.cancel()

    def set_paused(self, paused: bool, *, suspended: bool = False) -> None:
        self.paused = paused
        self.suspended = paused and suspended
        if self.on_pause_change is not None:
            self.on_pause_change()

    def wake(self) -> None:
        """Something happened to the job (resume requested, reconnect): look again."""
        self.resume.set()


class WorkerJobContext:
    """:class:`~ghosthands.jobs.contract.JobContext` backed by fenced JobQueue writes."""

    def __init__(
        self,
        handle: RunningJob,
        queue: JobQueue,
        settings: Settings,
        browser: Any = None,
        *,
        metrics: WorkerMetrics | None = None,
        storage: Storage | None = None,
    ) -> None:
        self.metrics = metrics
        self.handle = handle
        self.job = handle.spec
        self.queue = queue
        self.settings = settings
        self.browser = browser
        self.storage = storage

    def _fenced(self, what: str) -> JobFenced:
        log.warning("job_write_fenced", job_id=str(self.job.id), write=what)
        self.handle.stop(StopReason.LOST)
        return JobFenced(f"{what}: job {self.job.id} is no longer held by this attempt")

    async def progress(self, step: str, message: str = "", **data: Any) -> None:
        if not await self.queue.insert_progress(self.job, step, message, data):
            raise self._fenced("progress")

    async def save_artifact(self, kind: str, name: str, content_type: str, content: bytes) -> str:
        artifact_id = uuid.uuid4()
        stored_at = await self._upload(artifact_id, name, content_type, content)
        url = await self.queue.save_artifact(
            self.job,
            kind,
            name,
            content_type,
            content,
            artifact_id=artifact_id,
            storage_url=stored_at,
        )
        if url is None:
            raise self._fenced("save_artifact")
        return url

    async def _upload(
        self, artifact_id: uuid.UUID, name: str, content_type: str, content: bytes
    ) -> str | None:
        """Put the artifact in the object store; None (keep it in the database) when
        there is none or it fails: a screenshot is never worth failing the job for."""
        if self.storage is None:
            return None
        key = artifact_key(self.job.user_id, self.job.id, artifact_id, name)
        try:
            return await self.storage.put_artifact(key, content, content_type)
        except StorageError as exc:
            log.warning(
                "artifact_upload_failed",
                job_id=str(self.job.id),
                store=self.storage.kind,
                error=str(exc),
            )
            return None

    async def wait_for_human(
        self,
        interaction_type: str,
        interaction_data: dict[str, Any],
        screenshot: bytes | None = None,
        timeout_seconds: float | None = None,
    ) -> HumanResolution:
        if screenshot is not None:
            await self.save_artifact(
                "screenshot", f"{interaction_type}.png", "image/png", screenshot
            )
        if not await self.queue.pause(
            self.job, interaction_type, interaction_data, f"waiting for a human: {interaction_type}"
        ):
            raise self._fenced("pause")
        timeout = timeout_seconds or self.settings.hitl_timeout_seconds
        log.info("job_paused", job_id=str(self.job.id), interaction_type=interaction_type)
        answer = await self._wait_for_answer(timeout)
        if answer is None:
            raise JobFailure(
                ErrorCode.HITL_TIMEOUT,
                f"nobody answered the {interaction_type} pause within {timeout:g}s",
                details={"interaction_type": interaction_type},
                retryable=False,
            )
        fields = {k: v for k, v in answer.items() if k in _RESOLUTION_FIELDS and v is not None}
        if answer.get("password_enc"):
            # Sealed by the API; opened only here, handed to the page, never logged.
            ring = KeyRing(self.settings.encryption_keys) if self.settings.encryption_keys else None
            try:
                fields["password"] = open_resume_password(
                    ring, self.job.id, str(answer["password_enc"])
                )
            except DecryptionError as exc:
                raise JobFailure(
                    ErrorCode.LOGIN_REQUIRED,
                    f"the credentials given could not be opened: {exc}",
                    retryable=False,
                ) from None
        resolution = msgspec.convert(fields, HumanResolution, strict=False)
        log.info("job_resumed", job_id=str(self.job.id), action=resolution.action)
        if resolution.action == "cancel":
            raise HumanCancelled(resolution.note or "cancelled by a human")
        if getattr(self.browser, "suspended", False):
            await self.browser.restore()
        return resolution

    async def _suspend_browser(self) -> bool:
        """Beyond the worker's cap of paused contexts, close this job's browser context
        while it waits (its state kept to restore on resume). True when it did."""
        keep = self.handle.keep_browser
        suspend = getattr(self.browser, "suspend", None)
        if keep is None or suspend is None or keep():
            return False
        suspended: bool = await suspend()
        return suspended

    async def _wait_for_answer(self, limit_seconds: float) -> dict[str, Any] | None:
        """Wait for ``resume_requested`` (NOTIFY, with a poll as backstop)."""
        # The job's own time limit stops while a person is thinking.
        limit = self.handle.limit
        remaining = math.inf
        if limit is not None:
            remaining = limit.deadline - anyio.current_time()
            limit.deadline = math.inf
        self.handle.set_paused(True, suspended=await self._suspend_browser())
        try:
            with anyio.move_on_after(limit_seconds):
                while True:
                    self.handle.resume = anyio.Event()  # before looking: no missed wake-up
                    answer = await self.queue.take_resume(self.job)
                    if answer is not None:
                        return answer
                    with anyio.move_on_after(self.settings.poll_seconds):
                        await self.handle.resume.wait()
            return None
        finally:
            self.handle.set_paused(False)
            if limit is not None:
                limit.deadline = anyio.current_time() + max(remaining, 0.0)

    async def record_llm_usage(
        self, model: str, input_tokens: int, output_tokens: int, cost_cents: float
    ) -> None:
        totals = await self.queue.record_llm_usage(
            self.job, cost_cents=cost_cents, tokens=input_tokens + output_tokens
        )
        if self.metrics is not None:  # the money is spent whether or not we still hold the job
            self.metrics.llm_call(model, input_tokens, output_tokens, cost_cents)
        if totals is None:
            raise self._fenced("record_llm_usage")
        log.info(
            "llm_usage",
            job_id=str(self.job.id),
            model=model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_cents=cost_cents,
            job_cost_cents=totals.job_cost_cents,
        )
        quality = job_quality(self.job.input_data)
        job_budget = JOB_BUDGET_CENTS[quality]
        if totals.job_cost_cents > job_budget:
            raise JobFailure(
                ErrorCode.BUDGET_EXCEEDED,
                f"job spent {totals.job_cost_cents:.2f}¢ of its {job_budget}¢ "
                f"{quality.value} budget",
                details={
                    "scope": "job",
                    "job_cost_cents": totals.job_cost_cents,
                    "budget_cents": job_budget,
                },
                retryable=False,
            )
        tier = Tier(totals.month_tier)
        month_budget = MONTHLY_BUDGET_CENTS[tier]
        if totals.month_cost_cents > month_budget:
            raise JobFailure(
                ErrorCode.BUDGET_EXCEEDED,
                f"user spent {totals.month_cost_cents:.2f}¢ of the {month_budget}¢ "
                f"monthly {tier.value} budget",
                details={
                    "scope": "monthly",
                    "tier": tier.value,
                    "month_cost_cents": totals.month_cost_cents,
                    "budget_cents": month_budget,
                },
                retryable=False,
            )

    async def llm_budget_cents(self, quality: Quality) -> Decimal:
        usage = await self.queue.month_usage(self.job.user_id)
        return job_llm_budget_cents(self.job, quality, usage)

    async def count_action(self, n: int = 1) -> None:
        total = await self.queue.count_actions(self.job, n)
        if total is None:
            raise self._fenced("count_action")
        limit = action_limit(self.job.job_type)
        if total > limit:
            raise JobFailure(
                ErrorCode.ACTION_LIMIT_EXCEEDED,
                f"{total} actions exceed the limit of {limit} for {self.job.job_type}",
                details={"action_count": total, "limit": limit},
                retryable=False,
            )


_RESOLUTION_FIELDS = frozenset(HumanResolution.__struct_fields__)
