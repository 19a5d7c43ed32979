"""The worker: claim jobs, run their handlers, heartbeat, recover, call back, drain.

Everything here lives in two task groups owned by :meth:`Worker.run`:

- *services*: the LISTEN connection, heartbeats, stale recovery, the callback sender and
  the status server — they run for the whole life of the process;
- *jobs*: the claim loop and one task per claimed job — this group is what the drain
  waits for.

Claiming is one statement (``JobQueue.claim``); running a claimed job is
:class:`~ghosthands.worker.runner.JobRunner`'s.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable

import anyio
import anyio.abc

from ghosthands import __version__
from ghosthands.callbacks.sender import CallbackSender
from ghosthands.config import Settings
from ghosthands.db.pool import Database
from ghosthands.handlers.registry import HandlerRegistry, default_registry
from ghosthands.jobs.contract import BrowserProvider
from ghosthands.jobs.errors import ErrorCode
from ghosthands.jobs.queue import JobQueue
from ghosthands.jobs.states import JobStatus
from ghosthands.logs import error_summary, get_logger, log_context, set_static_field
from ghosthands.storage import open_storage
from ghosthands.worker.context import RunningJob, StopReason
from ghosthands.worker.dispatch import JOB_CREATED, JobEvent, Listener
from ghosthands.worker.metrics import WorkerMetrics
from ghosthands.worker.runner import DB_ERRORS, JobRunner, write_through_outage
from ghosthands.worker.status import ActiveJob, StatusServer, WorkerStatus

log = get_logger(__name__)

#: How long a busy worker waits for more of its slots to free up before claiming (see
#: Worker._gather_free_slots): short beside any real job, long beside a no-op one.
CLAIM_GATHER_SECONDS = 0.005
#: Consecutive failed heartbeats after which the worker stops claiming new jobs.
MAX_HEARTBEAT_FAILURES = 3
#: Part of the drain window kept for releasing unfinished jobs (the supervisor allows
#: one second past the drain limit before it aborts).
RELEASE_RESERVE_SECONDS = 0.5


def new_worker_id(prefix: str) -> str:
    """A fresh id per process run: ``<prefix>-<12 hex>``."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


#: How long the status server gets to close its connections at shutdown.
STATUS_SERVER_STOP_SECONDS = 3.0


class Worker:
    """One worker process's job machinery. Build, then ``await run(shutdown, ready)``."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        registry: HandlerRegistry | None = None,
        browser: BrowserProvider | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.worker_id = new_worker_id(settings.worker_id_prefix)
        self.queue = JobQueue(db, self.worker_id)
        self.registry = registry if registry is not None else default_registry(settings, db=db)
        self.browser = browser
        #: Artifacts and resumes outside PostgreSQL (None: GH_STORAGE_BACKEND=database).
        self.storage = open_storage(settings)
        self.metrics = WorkerMetrics(job_types=self.registry.job_types())
        self.running: dict[uuid.UUID, RunningJob] = {}
        self.state = "starting"  # active | draining | offline
        self.claiming = True
        self.claims_suspended = False  # heartbeats failing
        self.heartbeat_failures = 0
        self.status_port: int | None = None
        self.host = socket.gethostname()
        self._claim_wake = anyio.Event()
        self._heartbeat_wake = anyio.Event()
        self._job_done = anyio.Event()
        self._drain_started: float | None = None
        self._services: anyio.abc.TaskGroup | None = None
        self._jobs: anyio.abc.TaskGroup | None = None
        self.listener = Listener(
            db,
            # Not self._claim_wake.set: the claim loop replaces that event every round.
            on_job_created=lambda: self._claim_wake.set(),
            on_job_event=self._on_job_event,
            on_callback_queued=lambda: self.sender.wake(),
            on_connected=self._on_listener_connected,
            ping_seconds=max(1.0, settings.poll_seconds),
        )
        self.runner = JobRunner(
            queue=self.queue,
            registry=self.registry,
            settings=settings,
            metrics=self.metrics,
            browser=browser,
            storage=self.storage,
        )
        self.sender = CallbackSender(
            self.queue, settings, on_result=self.metrics.callback_result, storage=self.storage
        )
        self.status_server = StatusServer(self, settings.worker_host, settings.worker_port)
        set_static_field("worker_id", self.worker_id)
        # One line per outbound request is noise at the worker's volume; errors still show.
        logging.getLogger("httpx").setLevel(logging.WARNING)

    # -- lifecycle --------------------------------------------------------------------

    async def run(self, shutdown: anyio.Event, ready: Callable[[str], None]) -> None:
        """Claim and run jobs until ``shutdown``, then drain (see module docstring)."""
        await self.db.open()
        try:
            async with anyio.create_task_group() as services:
                self._services = services
                if not await self._register(shutdown):
                    services.cancel_scope.cancel()
                    return
                services.start_soon(self.listener.run)
                services.start_soon(self._heartbeat_loop)
                services.start_soon(self._recovery_loop)
                services.start_soon(self.sender.run)
                self.status_port = await services.start(self.status_server.serve)
                self._heartbeat_wake.set()  # publish the status port now
                async with anyio.create_task_group() as jobs:
                    self._jobs = jobs
                    jobs.start_soon(self._claim_loop)
                    log.info(
                        "worker_started",
                        max_concurrent_jobs=self.settings.max_concurrent_jobs,
                        job_types=self.registry.job_types(),
                        status_port=self.status_port,
                    )
                    ready("listening for jobs")
                    await shutdown.wait()
                    self.begin_drain("signal")
                    await self._drain_jobs()
                await self._stop_services()
                services.cancel_scope.cancel()
        finally:
            if self.storage is not None:
                with anyio.CancelScope(shield=True):
                    await self.storage.aclose()
            await self.db.close()
        log.info(
            "worker_stopped", completed=self.runner.jobs_completed, failed=self.runner.jobs_failed
        )

    async def _register(self, shutdown: anyio.Event) -> bool:
        """Appear in the registry (retrying while the database is down), then recover."""
        failures = 0
        while not shutdown.is_set():
            try:
                self.state = "active"
                await self._upsert_registry()
                break
            except DB_ERRORS as exc:
                failures += 1
                log.warning("worker_register_failed", error=error_summary(exc), attempt=failures)
                with anyio.move_on_after(min(5.0, 0.2 * 2**failures)):
                    await shutdown.wait()
        else:
            return False
        log.info("worker_registered", host=self.host, pid=os.getpid())
        await self._recover_once()
        return True

    def begin_drain(self, reason: str) -> None:
        """Stop claiming (SIGTERM, or ``POST /worker/drain``); running jobs go on."""
        if not self.claiming:
            return
        self.claiming = False
        self.state = "draining"
        self._drain_started = time.monotonic()
        # UNLISTEN new-job wake-ups; gh_job_control stays until the running jobs are done,
        # since a cancellation must still reach them while they finish.
        self.listener.unlisten(JOB_CREATED)
        self._claim_wake.set()
        self._heartbeat_wake.set()  # tell the registry now
        log.info("worker_draining", reason=reason, active_jobs=len(self.running))

    async def _drain_jobs(self) -> None:
        """Wait for running jobs up to the drain limit, then give the rest back at once."""
        assert self._drain_started is not None
        deadline = self._drain_started + self.settings.worker_drain_seconds
        with anyio.move_on_after(max(0.0, deadline - RELEASE_RESERVE_SECONDS - time.monotonic())):
            await self._wait_idle()
        if not self.running:
            log.info("drain_complete")
            return
        log.warning("drain_releasing", job_ids=[str(j) for j in self.running])
        for handle in list(self.running.values()):
            handle.stop(StopReason.RELEASE)
        with anyio.move_on_after(RELEASE_RESERVE_SECONDS / 2):
            await self._wait_idle()
        if self.running:
            # A handler that does not yield to cancellation: release by worker id.
            await self._release_all("worker_drain")

    async def _wait_idle(self) -> None:
        while self.running:
            self._job_done = anyio.Event()
            await self._job_done.wait()

    async def _stop_services(self) -> None:
        self.listener.stop()
        # Deliver what this worker's last jobs produced, briefly; other workers take
        # whatever is left from the durable outbox.
        with anyio.move_on_after(1.0):
            try:
                async with self.sender.client() as client:
                    await self.sender.deliver_due(client)
            except DB_ERRORS as exc:
                log.warning("final_callbacks_skipped", error=error_summary(exc))
        self.sender.stop()
        self.status_server.stop()
        # Let Hypercorn finish its graceful shutdown before the services scope is
        # cancelled: cancelled mid-shutdown (an HTTP client still holding a keep-alive
        # connection) it raises InvalidStateError, which failed the worker's exit code.
        with anyio.move_on_after(STATUS_SERVER_STOP_SECONDS):
            await self.status_server.stopped.wait()
        self.state = "offline"
        with anyio.move_on_after(2.0):
            try:
                await self._upsert_registry()
            except DB_ERRORS as exc:
                log.warning("worker_offline_not_recorded", error=error_summary(exc))

    async def abort(self) -> None:
        """Forced stop (second signal, or a drain overrun): release every held job now."""
        self.claiming = False
        await self._release_all("worker_abort")
        self.state = "offline"
        try:
            await self._upsert_registry()
        except DB_ERRORS as exc:
            log.warning("worker_offline_not_recorded", error=error_summary(exc))

    async def _release_all(self, reason: str) -> None:
        try:
            released = await self.queue.release(
                None, reason=reason, message=f"released by worker {self.worker_id} ({reason})"
            )
        except DB_ERRORS as exc:
            log.error("release_failed", reason=reason, error=error_summary(exc))
            return
        for job_id, status in released:
            self.metrics.jobs_released.inc()
            log.warning("job_released", job_id=str(job_id), status=status.value, reason=reason)

    # -- claiming ---------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        assert self._jobs is not None
        failures = 0
        while self.claiming:
            self._claim_wake = anyio.Event()  # wake-ups from now on are kept (coalesced)
            await self._gather_free_slots()
            free = self.settings.max_concurrent_jobs - self.busy_slots()
            if free > 0 and not self.claims_suspended:
                try:
                    claimed = await self.queue.claim(
                        free,
                        worker_prefix=self.settings.worker_id_prefix,
                        preferred_grace_seconds=self.settings.affinity_grace_seconds,
                        max_running_per_user=self.settings.max_running_jobs_per_user,
                    )
                    failures = 0
                except DB_ERRORS as exc:
                    failures += 1
                    log.warning("claim_failed", error=error_summary(exc), attempt=failures)
                    await anyio.sleep(min(5.0, 0.1 * 2**failures))
                    continue
                if claimed and not self.claiming:
                    # The drain began while the claim was in flight: give them back.
                    specs = [c.spec for c in claimed]
                    await write_through_outage(
                        functools.partial(
                            self.queue.release,
                            specs,
                            reason="worker_drain",
                            message="claimed as the drain began",
                        )
                    )
                    log.info("claim_returned", job_ids=[str(c.spec.id) for c in claimed])
                    break
                for job in claimed:
                    handle = RunningJob(job.spec)
                    # A pause frees a slot, a resume takes it back: look again either way.
                    handle.on_pause_change = self._claim_wake_set
                    handle.keep_browser = self._may_keep_browser
                    self.running[job.spec.id] = handle
                    self.metrics.claimed(job.spec.job_type, job.waited_seconds)
                    self.metrics.active_jobs.set(len(self.running))
                    log.info(
                        "job_claimed",
                        job_id=str(job.spec.id),
                        job_type=job.spec.job_type,
                        priority=job.priority,
                        execution_attempt_id=str(job.spec.execution_attempt_id),
                        retry_count=job.spec.retry_count,
                    )
                    self._jobs.start_soon(self._run_job, handle)
            with anyio.move_on_after(self.settings.poll_seconds):
                await self._claim_wake.wait()

    def busy_slots(self) -> int:
        """Slots in use: running jobs, less those waiting for a person, which give their
        slot back while they wait: up to ``max_paused_jobs`` with their browser context
        open, any number with it suspended (closed, its state kept)."""
        open_paused = sum(1 for h in self.running.values() if h.paused and not h.suspended)
        suspended = sum(1 for h in self.running.values() if h.suspended)
        return len(self.running) - suspended - min(open_paused, self.settings.max_paused_jobs)

    def _may_keep_browser(self) -> bool:
        """Whether one more job may wait for a person with its browser context open."""
        open_paused = sum(1 for h in self.running.values() if h.paused and not h.suspended)
        return open_paused < self.settings.max_paused_jobs

    async def _gather_free_slots(self) -> None:
        """With jobs still running and fewer than half the slots free, wait up to
        CLAIM_GATHER_SECONDS for more to free up, so that one claim (and the group-committed
        starts and finishes after it) serves several slots instead of one. An idle worker
        never waits, nor one with at most two slots."""
        limit = self.settings.max_concurrent_jobs
        deadline = anyio.current_time() + CLAIM_GATHER_SECONDS
        while self.claiming and self.running and 0 < limit - self.busy_slots() < limit / 2:
            remaining = deadline - anyio.current_time()
            if remaining <= 0:
                return
            with anyio.move_on_after(remaining):
                await self._claim_wake.wait()
            self._claim_wake = anyio.Event()

    # -- running one job --------------------------------------------------------------

    def _claim_wake_set(self) -> None:
        self._claim_wake.set()

    async def _run_job(self, handle: RunningJob) -> None:
        job = handle.spec
        try:
            with log_context(
                job_id=str(job.id), execution_attempt_id=str(job.execution_attempt_id)
            ):
                await self.runner.run(handle)
        finally:
            self.running.pop(job.id, None)
            self.metrics.active_jobs.set(len(self.running))
            self._job_done.set()
            self._claim_wake.set()

    # -- events, heartbeats, recovery ------------------------------------------------

    def _on_job_event(self, event: JobEvent) -> None:
        if event.to_status == JobStatus.PENDING and self.claiming:
            self._claim_wake.set()
        handle = self.running.get(event.job_id)
        if handle is None or handle.finishing:
            return
        if event.event_type == "resume_requested":
            handle.wake()
        elif event.to_status == JobStatus.CANCELLED and self._services is not None:
            self._services.start_soon(self._check_job, handle)

    def _on_listener_connected(self) -> None:
        """After a (re)connect, look for whatever notifications were missed."""
        self._claim_wake.set()
        self.sender.wake()
        if self._services is None:
            return
        for handle in list(self.running.values()):
            handle.wake()
            self._services.start_soon(self._check_job, handle)

    async def _check_job(self, handle: RunningJob) -> None:
        """Stop the runner when its job was cancelled or is no longer this attempt's."""
        try:
            state = await self.queue.job_state(handle.spec.id)
        except DB_ERRORS as exc:
            log.warning("job_check_failed", job_id=str(handle.spec.id), error=error_summary(exc))
            return
        if handle.finishing:
            return
        if state is None or state["status"] == JobStatus.CANCELLED:
            handle.stop(StopReason.CANCELLED)
        elif state["execution_attempt_id"] != handle.spec.execution_attempt_id or state[
            "status"
        ] not in ("queued", "running", "paused"):
            handle.stop(StopReason.LOST)

    async def _heartbeat_loop(self) -> None:
        while True:
            with anyio.move_on_after(self.settings.heartbeat_seconds):
                await self._heartbeat_wake.wait()
            self._heartbeat_wake = anyio.Event()
            await self._heartbeat_once()

    async def _heartbeat_once(self) -> None:
        handles = list(self.running.values())
        try:
            held = await self.queue.heartbeat_jobs([h.spec for h in handles])
            await self._upsert_registry()
        except DB_ERRORS as exc:
            self.heartbeat_failures += 1
            log.warning(
                "heartbeat_failed", error=error_summary(exc), consecutive=self.heartbeat_failures
            )
            if self.heartbeat_failures >= MAX_HEARTBEAT_FAILURES and not self.claims_suspended:
                # Our jobs may be recovered by others soon: take no more until we are
                # sure our heartbeats land again.
                self.claims_suspended = True
                log.error("claiming_suspended", consecutive_failures=self.heartbeat_failures)
            return
        self.metrics.heartbeat_ok()
        self.heartbeat_failures = 0
        if self.claims_suspended:
            self.claims_suspended = False
            self._claim_wake.set()
            log.info("claiming_resumed")
        assert self._services is not None
        for handle in handles:
            if handle.spec.id not in held and not handle.finishing:
                self._services.start_soon(self._check_job, handle)

    async def _upsert_registry(self) -> None:
        recorded = await self.queue.upsert_worker(
            status=self.state if self.state != "starting" else "active",
            host=self.host,
            pid=os.getpid(),
            version=__version__,
            current_jobs=len(self.running),
            max_jobs=self.settings.max_concurrent_jobs,
            jobs_completed=self.runner.jobs_completed,
            jobs_failed=self.runner.jobs_failed,
            metadata={"status_port": self.status_port} if self.status_port else {},
        )
        if recorded != "active" and self.claiming and self.state == "active":
            # POST /valet/workers/deregister marked this worker: stop claiming, like
            # POST /worker/drain; running jobs finish (or were released by the API).
            self.begin_drain("deregistered")

    async def _recovery_loop(self) -> None:
        interval = max(0.5, self.settings.stale_seconds / 2)
        while True:
            await anyio.sleep(interval)
            await self._recover_once()

    async def _recover_once(self) -> None:
        try:
            recovered = await self.queue.recover_stale(
                stale_seconds=self.settings.stale_seconds, code=ErrorCode.WORKER_LOST.value
            )
        except DB_ERRORS as exc:
            log.warning("recovery_failed", error=error_summary(exc))
            return
        for job in recovered or []:
            self.metrics.jobs_recovered.inc()
            log.warning(
                "job_recovered",
                job_id=str(job.job_id),
                status=job.status.value,
                lost_worker_id=job.lost_worker_id,
                submission_evidence=job.submission_evidence,
            )
        if recovered:
            self._claim_wake.set()

    # -- status server source ---------------------------------------------------------

    def status(self) -> WorkerStatus:
        now = time.monotonic()
        return WorkerStatus(
            worker_id=self.worker_id,
            status="active" if self.state == "starting" else self.state,
            claiming=self.claiming and not self.claims_suspended,
            active_jobs=[
                ActiveJob(
                    job_id=str(h.spec.id),
                    job_type=h.spec.job_type,
                    execution_attempt_id=str(h.spec.execution_attempt_id),
                    running_seconds=round(now - h.started, 3),
                    paused=h.paused,
                )
                for h in self.running.values()
            ],
            max_concurrent_jobs=self.settings.max_concurrent_jobs,
            listener_connected=self.listener.connected,
            heartbeat_age_seconds=round(self.metrics.heartbeat_age_seconds(), 3),
            version=__version__,
            pid=os.getpid(),
            host=self.host,
        )

    def metrics_text(self) -> bytes:
        return self.metrics.render()
