"""Running one claimed job: its handler under cancel and timeout scopes, then one write.

A run's life: ``queued`` → ``running`` (fenced) → the handler runs inside the job's
cancel scope (cancellation, drain release and lost ownership cancel it) and a hard
``timeout_seconds`` scope → one fenced final write (completed / retry / failed /
released), retried through short database outages. If the final write is fenced, the
job is someone else's now and the runner just stops.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import psycopg

from ghosthands.config import Settings
from ghosthands.handlers.registry import HandlerRegistry
from ghosthands.jobs.accounting import job_tier
from ghosthands.jobs.contract import BrowserProvider, Handler, HandlerResult, JobFailure
from ghosthands.jobs.errors import ErrorCode, retry_delay_seconds
from ghosthands.jobs.queue import JobQueue
from ghosthands.jobs.states import JobStatus
from ghosthands.logs import error_summary, get_logger
from ghosthands.storage import Storage
from ghosthands.worker.classify import classify, is_retryable
from ghosthands.worker.context import (
    HumanCancelled,
    JobFenced,
    RunningJob,
    StopReason,
    WorkerJobContext,
)
from ghosthands.worker.metrics import WorkerMetrics

log = get_logger(__name__)

T = TypeVar("T")

#: How long a final write is retried through a database outage before it is left to
#: stale recovery.
FINISH_RETRY_SECONDS = 30.0
#: Errors that mean "the database is unreachable right now", not "a bug".
DB_ERRORS = (psycopg.Error, OSError)


class Outcome(enum.Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"
    HUMAN_CANCELLED = "human_cancelled"


class JobRunner:
    """Runs claimed jobs for one worker; counts what it finished."""

    def __init__(
        self,
        *,
        queue: JobQueue,
        registry: HandlerRegistry,
        settings: Settings,
        metrics: WorkerMetrics,
        browser: BrowserProvider | None,
        storage: Storage | None = None,
    ) -> None:
        self.queue = queue
        self.registry = registry
        self.settings = settings
        self.metrics = metrics
        self.browser = browser
        self.storage = storage
        self.worker_id = queue.worker_id
        self.jobs_completed = 0
        self.jobs_failed = 0

    async def run(self, handle: RunningJob) -> None:
        """Run the job to its end; the final write happens even if we are cancelled."""
        outcome, value = await self.execute(handle)
        handle.finishing = True
        with anyio.CancelScope(shield=True):
            await self.finish(handle, outcome, value)
        self.metrics.finished_attempt(handle.spec.job_type, time.monotonic() - handle.started)

    async def execute(self, handle: RunningJob) -> tuple[Outcome, Any]:
        """Run the handler; return what happened (never raises for the job's sake)."""
        job = handle.spec
        result: Any = None
        failure: JobFailure | None = None
        with anyio.CancelScope() as scope:
            handle.scope = scope
            if handle.stop_reason is not None:
                scope.cancel()
            try:
                if not await self.queue.mark_running(job):
                    raise JobFenced("mark_running")
                log.info("job_started", job_type=job.job_type)
                handler = self.registry.get(job.job_type)
                params = self.registry.decode_input(handler, job.input_data)
                with anyio.CancelScope(
                    deadline=anyio.current_time() + job.timeout_seconds
                ) as limit:
                    handle.limit = limit
                    result = await self._call_handler(handler, handle, params)
                if limit.cancelled_caught:
                    failure = JobFailure(
                        ErrorCode.TIMEOUT,
                        f"the job ran past its timeout of {job.timeout_seconds}s",
                        details={"timeout_seconds": job.timeout_seconds},
                    )
                elif not isinstance(result, HandlerResult):
                    raise TypeError(f"handler returned {type(result).__name__}, not HandlerResult")
            except JobFenced:
                if handle.stop_reason is None:
                    handle.stop_reason = StopReason.LOST
            except HumanCancelled as exc:
                return Outcome.HUMAN_CANCELLED, str(exc)
            except Exception as exc:
                failure = classify(exc)
                if failure.code == ErrorCode.INTERNAL_ERROR:
                    log.exception("job_handler_error", error=failure.message)
        if handle.stop_reason is not None:
            return Outcome.STOPPED, handle.stop_reason
        if failure is not None:
            return Outcome.FAILED, failure
        return Outcome.SUCCEEDED, result

    async def _call_handler(self, handler: Handler, handle: RunningJob, params: Any) -> Any:
        if not handler.needs_browser:
            return await handler.run(
                WorkerJobContext(
                    handle, self.queue, self.settings, metrics=self.metrics, storage=self.storage
                ),
                params,
            )
        if self.browser is None:
            raise JobFailure(
                ErrorCode.INTERNAL_ERROR,
                f"job type {handler.job_type!r} needs a browser and this worker has none "
                "(no browser provider configured)",
                retryable=False,
            )
        async with self.browser.session(handle.spec) as browser:
            ctx = WorkerJobContext(
                handle,
                self.queue,
                self.settings,
                browser,
                metrics=self.metrics,
                storage=self.storage,
            )
            return await handler.run(ctx, params)

    async def finish(self, handle: RunningJob, outcome: Outcome, value: Any) -> None:
        """The run's one final write, fenced, retried through short outages."""
        job = handle.spec
        if outcome is Outcome.SUCCEEDED:
            result: HandlerResult = value
            try:
                status = JobStatus(result.final_status)
            except ValueError:
                status = JobStatus.AWAITING_REVIEW
            if status not in (JobStatus.COMPLETED, JobStatus.AWAITING_REVIEW):
                status = JobStatus.AWAITING_REVIEW
            answered, ok = await write_through_outage(
                lambda: self.queue.complete(
                    job,
                    status=status,
                    result_data=result.result_data,
                    summary=result.summary,
                    final_mode=result.final_mode,
                    tier=_tier(job.input_data),
                )
            )
            if ok:
                self.jobs_completed += 1
                self.metrics.completed(job.job_type)
                log.info("job_completed", status=status.value)
            elif answered:
                log.warning("job_final_write_fenced", outcome="completed")
        elif outcome is Outcome.FAILED:
            await self._record_failure(handle, value)
        elif outcome is Outcome.HUMAN_CANCELLED:
            _, ok = await write_through_outage(lambda: self.queue.cancel(job, str(value)))
            log.info("job_cancelled", by="human", recorded=bool(ok))
        elif value is StopReason.RELEASE:
            _, released = await write_through_outage(
                lambda: self.queue.release(
                    [job],
                    reason="worker_drain",
                    message=f"released by draining worker {self.worker_id}",
                )
            )
            for job_id, status in released or []:
                self.metrics.jobs_released.inc()
                log.warning(
                    "job_released", job_id=str(job_id), status=status.value, reason="worker_drain"
                )
        elif value is StopReason.CANCELLED:
            log.info(
                "job_cancelled",
                by="request",
                after_seconds=round(time.monotonic() - handle.started, 3),
            )
        else:
            log.warning("job_lost", reason="fenced: recovered or taken by another attempt")

    async def _record_failure(self, handle: RunningJob, failure: JobFailure) -> None:
        job = handle.spec
        retryable = is_retryable(failure)
        answered, result = await write_through_outage(
            lambda: self.queue.fail(
                job,
                code=failure.code.value,
                message=failure.message,
                details=failure.details,
                retryable=retryable,
                delay_seconds=retry_delay_seconds(job.retry_count),
            )
        )
        if result is None:
            if answered:
                log.warning("job_final_write_fenced", outcome="failed")
            return
        fields = {"error_code": failure.code.value, "error": failure.message[:300]}
        if result.status is JobStatus.PENDING:
            self.metrics.retried(job.job_type, failure.code.value)
            log.warning(
                "job_retry_scheduled",
                retry_count=result.retry_count,
                scheduled_at=str(result.scheduled_at),
                **fields,
            )
        elif result.status is JobStatus.AWAITING_REVIEW:
            self.metrics.sent_to_review(failure.code.value)
            log.warning("job_needs_review", reason="submission evidence", **fields)
        else:
            self.jobs_failed += 1
            self.metrics.failed(job.job_type, failure.code.value)
            log.warning("job_failed", retryable=retryable, **fields)


async def write_through_outage(write: Callable[[], Awaitable[T]]) -> tuple[bool, T | None]:
    """Run ``write`` until the database answers: ``(True, result)`` (a falsy result
    means the write was fenced), or ``(False, None)`` when the database stayed down
    past FINISH_RETRY_SECONDS (stale recovery then takes the job over)."""
    deadline = time.monotonic() + FINISH_RETRY_SECONDS
    delay = 0.1
    while True:
        try:
            result = await write()
        except DB_ERRORS as exc:
            if time.monotonic() >= deadline:
                log.error("job_final_write_failed", error=error_summary(exc))
                return False, None
            log.warning("job_final_write_retry", error=error_summary(exc))
            await anyio.sleep(delay)
            delay = min(2.0, delay * 2)
            continue
        return True, result


def _tier(input_data: dict[str, Any]) -> str:
    return job_tier(input_data).value
