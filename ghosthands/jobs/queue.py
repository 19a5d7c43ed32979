"""The worker's side of the job tables: the only code the worker uses to touch them.

:class:`JobQueue` runs the named queries of ``sql/queue.sql``: claiming, heartbeats,
finishing, releasing, stale recovery, progress events, artifacts, usage, the worker
registry and the callback outbox. Every write of a job's run is *fenced* by the job's
execution attempt id and a held status (:data:`~ghosthands.jobs.states.WORKER_HELD`):
a runner whose job was recovered, cancelled or re-claimed gets ``False`` / ``None``
back and must stop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from ghosthands.db.batch import GroupWriter
from ghosthands.db.pool import Conn, Database
from ghosthands.db.queries import load_queries
from ghosthands.jobs import accounting
from ghosthands.jobs.contract import JobSpec
from ghosthands.jobs.states import WORKER_HELD, JobStatus
from ghosthands.logs import redact, redact_data

Q = load_queries("ghosthands.jobs.sql", "queue.sql")

#: pg advisory lock key for stale recovery: the first 8 bytes of sha256("ghosthands.recovery").
RECOVERY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"ghosthands.recovery").digest()[:8], "big", signed=True
)

_HELD = sorted(s.value for s in WORKER_HELD)


def artifact_url(job_id: uuid.UUID, artifact_id: uuid.UUID) -> str:
    """Where the API serves an artifact (``GET /api/v1/gh/jobs/{job}/artifacts/{id}``)."""
    return f"/api/v1/gh/jobs/{job_id}/artifacts/{artifact_id}"


class ClaimedJob(msgspec.Struct, frozen=True):
    """A job this worker just claimed: what the handler sees plus its queue position."""

    spec: JobSpec
    priority: int
    created_at: dt.datetime
    #: From due (created, or its scheduled time) to this claim, on the database clock.
    waited_seconds: float = 0.0


class FailOutcome(msgspec.Struct, frozen=True):
    """Where a failed run left the job: ``pending`` (retry), ``failed`` or ``awaiting_review``."""

    status: JobStatus
    retry_count: int
    scheduled_at: dt.datetime | None


class RecoveredJob(msgspec.Struct, frozen=True):
    job_id: uuid.UUID
    status: JobStatus
    lost_worker_id: str | None
    submission_evidence: bool


class Callback(msgspec.Struct, frozen=True):
    """One outbox row taken for delivery (``attempts`` counts this attempt)."""

    id: uuid.UUID
    job_id: uuid.UUID
    #: The job's owner: a user-created job's callback is signed with their own key.
    user_id: uuid.UUID
    event: str
    url: str
    payload: dict[str, Any]
    include_service_key: bool
    attempts: int


class _Completion(msgspec.Struct, frozen=True):
    """One successful run's final write, waiting for its group commit."""

    job: JobSpec
    status: JobStatus
    result_data: dict[str, Any]
    summary: str
    final_mode: str | None
    tier: str


class UsageTotals(msgspec.Struct, frozen=True):
    job_cost_cents: float
    month_cost_cents: float
    #: The tier the user's month is billed under.
    month_tier: str


class JobQueue:
    """Named queries for one worker run (``worker_id`` is the actor on its events)."""

    def __init__(self, db: Database, worker_id: str) -> None:
        self.db = db
        self.worker_id = worker_id
        # Starts and successful finishes are group-committed: while one such write is
        # in flight, the others queue up and go out together as the next statement.
        self._starts: GroupWriter[JobSpec, bool] = GroupWriter(self._mark_running)
        self._completions: GroupWriter[_Completion, bool] = GroupWriter(self._complete)
        #: The user whose job this worker claimed last: its next claim starts with the
        #: users after them (the nil id: from the first user).
        self._last_served = uuid.UUID(int=0)

    async def _actor(self, conn: Conn) -> None:
        await conn.execute(Q.set_actor, {"actor": self.worker_id})

    def _fence(self, job: JobSpec, **params: Any) -> dict[str, Any]:
        return {
            "job_id": job.id,
            "attempt_id": job.execution_attempt_id,
            "held": _HELD,
            **params,
        }

    # -- the worker registry --------------------------------------------------------

    async def upsert_worker(
        self,
        *,
        status: str,
        host: str,
        pid: int,
        version: str,
        current_jobs: int,
        max_jobs: int,
        jobs_completed: int,
        jobs_failed: int,
        metadata: dict[str, Any],
    ) -> str:
        """Register this run, or refresh its heartbeat and counters (same statement).

        Returns the status the registry now holds: ``draining`` or ``offline`` when an
        operator deregistered this worker, which it must then obey.
        """
        async with self.db.connection() as conn:
            cur = await conn.execute(
                Q.upsert_worker,
                {
                    "worker_id": self.worker_id,
                    "status": status,
                    "host": host,
                    "pid": pid,
                    "version": version,
                    "current_jobs": current_jobs,
                    "max_jobs": max_jobs,
                    "jobs_completed": jobs_completed,
                    "jobs_failed": jobs_failed,
                    "metadata": Jsonb(metadata),
                },
            )
            row = await cur.fetchone()
        assert row is not None
        return str(row["status"])

    # -- claiming and heartbeats ----------------------------------------------------

    async def claim(
        self,
        limit: int,
        *,
        worker_prefix: str,
        preferred_grace_seconds: float,
        max_running_per_user: int = 0,
    ) -> list[ClaimedJob]:
        """Claim up to ``limit`` due jobs (one statement), best priority first.

        Within a priority users take turns, one job each per round, starting with the
        users after the one this worker served last (``claim_jobs``, ``gh_pick_jobs``).
        ``max_running_per_user`` (0: no cap) passes over a user with that many jobs
        queued or running in the whole fleet.
        """
        if limit <= 0:
            return []
        async with self.db.connection() as conn:
            await conn.execute(Q.claim_setup, {"actor": self.worker_id})
            cur = await conn.execute(
                Q.claim_jobs,
                {
                    "limit": limit,
                    "after_user": self._last_served,
                    "max_running": max_running_per_user,
                    "worker_id": self.worker_id,
                    "worker_prefix": worker_prefix,
                    "preferred_grace": preferred_grace_seconds,
                },
            )
            rows = await cur.fetchall()
        if rows:
            self._last_served = max(rows, key=lambda row: row["turn"])["user_id"]
        claimed = [
            ClaimedJob(
                spec=JobSpec(
                    id=row["id"],
                    job_type=row["job_type"],
                    user_id=row["user_id"],
                    target_url=row["target_url"],
                    task_description=row["task_description"],
                    input_data=row["input_data"] or {},
                    timeout_seconds=row["timeout_seconds"],
                    retry_count=row["retry_count"],
                    max_retries=row["max_retries"],
                    execution_attempt_id=row["execution_attempt_id"],
                    created_by=row["created_by"],
                    valet_task_id=row["valet_task_id"],
                    metadata=row["metadata"] or {},
                    llm_cost_cents=float(row["llm_cost_cents"] or 0),
                ),
                priority=row["priority"],
                created_at=row["created_at"],
                waited_seconds=float(row["waited_seconds"] or 0.0),
            )
            for row in rows
        ]
        claimed.sort(key=lambda c: (c.priority, c.created_at))
        return claimed

    async def mark_running(self, job: JobSpec) -> bool:
        """Fenced ``queued`` → ``running``. False: the claim is no longer ours."""
        return await self._starts.submit(job)

    async def _mark_running(self, jobs: Sequence[JobSpec]) -> list[bool]:
        async with self.db.autocommit() as conn:
            cur = await conn.execute(
                Q.mark_running,
                {
                    "job_ids": [j.id for j in jobs],
                    "attempt_ids": [j.execution_attempt_id for j in jobs],
                    "actor": self.worker_id,
                },
            )
            started = {row["id"] for row in await cur.fetchall()}
        return [j.id in started for j in jobs]

    async def heartbeat_jobs(self, jobs: list[JobSpec]) -> set[uuid.UUID]:
        """Refresh these jobs' heartbeats; return the ids this worker still holds."""
        if not jobs:
            return set()
        async with self.db.connection() as conn:
            cur = await conn.execute(
                Q.heartbeat_jobs,
                {
                    "job_ids": [j.id for j in jobs],
                    "attempt_ids": [j.execution_attempt_id for j in jobs],
                    "held": _HELD,
                },
            )
            return {row["id"] for row in await cur.fetchall()}

    async def job_state(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        async with self.db.connection() as conn:
            cur = await conn.execute(Q.job_state, {"job_id": job_id})
            return await cur.fetchone()

    # -- what a running job writes --------------------------------------------------

    async def insert_progress(
        self, job: JobSpec, step: str, message: str, data: dict[str, Any]
    ) -> bool:
        """Fenced progress event; its metadata names the step and the attempt."""
        metadata = {**data, "step": step, "execution_attempt_id": str(job.execution_attempt_id)}
        async with self.db.connection() as conn:
            cur = await conn.execute(
                Q.insert_progress,
                self._fence(job, message=message, metadata=Jsonb(metadata), actor=self.worker_id),
            )
            return await cur.fetchone() is not None

    async def save_artifact(
        self,
        job: JobSpec,
        kind: str,
        name: str,
        content_type: str,
        content: bytes,
        *,
        artifact_id: uuid.UUID | None = None,
        storage_url: str | None = None,
    ) -> str | None:
        """Fenced: record the file and list it on the job; return its URL.

        With ``storage_url`` (the object store's locator) the bytes are already in the
        store and only their size is recorded here.
        """
        artifact_id = artifact_id or uuid.uuid4()
        url = artifact_url(job.id, artifact_id)
        async with self.db.connection() as conn:
            cur = await conn.execute(
                Q.save_artifact,
                self._fence(
                    job,
                    artifact_id=artifact_id,
                    kind=kind,
                    name=name,
                    content_type=content_type,
                    size=len(content),
                    content=content if storage_url is None else None,
                    storage_url=storage_url,
                    url=url,
                ),
            )
            return url if await cur.fetchone() is not None else None

    async def artifact_locations(self, job_id: uuid.UUID) -> dict[str, str]:
        """The job's artifacts kept in an object store: API URL -> store locator."""
        async with self.db.connection() as conn:
            cur = await conn.execute(Q.artifact_locations, {"job_id": job_id})
            rows = await cur.fetchall()
        return {artifact_url(job_id, r["id"]): r["storage_url"] for r in rows}

    async def record_llm_usage(
        self, job: JobSpec, *, cost_cents: float, tokens: int
    ) -> UsageTotals | None:
        """Fenced: add usage to the job and the user's month; None when fenced."""
        named = accounting.named_tier(job.input_data)
        async with self.db.connection() as conn:
            cur = await conn.execute(
                Q.record_llm_usage,
                self._fence(
                    job,
                    cost_cents=cost_cents,
                    tokens=tokens,
                    tier=accounting.job_tier(job.input_data).value,
                    named_tier=named.value if named is not None else None,
                ),
            )
            row = await cur.fetchone()
        if row is None:
            return None
        return UsageTotals(
            float(row["job_cost_cents"]), float(row["month_cost_cents"]), row["month_tier"]
        )

    async def month_usage(self, user_id: uuid.UUID) -> dict[str, Any] | None:
        """The user's usage row for the current UTC month, if they have one."""
        async with self.db.connection() as conn:
            return await accounting.month_usage(conn, user_id)

    async def count_actions(self, job: JobSpec, n: int) -> int | None:
        """Fenced: add ``n`` actions; return the job's new total (None when fenced)."""
        async with self.db.connection() as conn:
            cur = await conn.execute(Q.count_actions, self._fence(job, n=n))
            row = await cur.fetchone()
        return None if row is None else int(row["action_count"])

    async def pause(
        self, job: JobSpec, interaction_type: str, interaction_data: dict[str, Any], message: str
    ) -> bool:
        """Fenced ``running`` → ``paused`` (the needs_human callback goes with it)."""
        async with self.db.connection() as conn:
            await self._actor(conn)
            cur = await conn.execute(
                Q.pause_job,
                self._fence(
                    job,
                    interaction_type=interaction_type,
                    interaction_data=Jsonb(interaction_data),
                    message=message,
                ),
            )
            return await cur.fetchone() is not None

    async def take_resume(self, job: JobSpec) -> dict[str, Any] | None:
        """Fenced: a human's answer (cleared as it is taken) and ``paused`` → ``running``."""
        async with self.db.connection() as conn:
            await self._actor(conn)
            cur = await conn.execute(Q.take_resume, self._fence(job))
            row = await cur.fetchone()
        if row is None:
            return None
        ref = row["resume_ref"]
        return ref if isinstance(ref, dict) else {}

    # -- finishing a run ------------------------------------------------------------

    async def complete(
        self,
        job: JobSpec,
        *,
        status: JobStatus,
        result_data: dict[str, Any],
        summary: str,
        final_mode: str | None,
        tier: str,
    ) -> bool:
        """Fenced: the run succeeded (``completed`` or ``awaiting_review``)."""
        return await self._completions.submit(
            _Completion(job, status, result_data, summary, final_mode, tier)
        )

    async def _complete(self, done: Sequence[_Completion]) -> list[bool]:
        async with self.db.autocommit() as conn:
            cur = await conn.execute(
                Q.complete_jobs,
                {
                    "job_ids": [c.job.id for c in done],
                    "attempt_ids": [c.job.execution_attempt_id for c in done],
                    "statuses": [c.status.value for c in done],
                    "results": [Jsonb(c.result_data) for c in done],
                    "summaries": [c.summary for c in done],
                    "final_modes": [c.final_mode for c in done],
                    "messages": [c.summary[:500] or c.status.value for c in done],
                    "tiers": [c.tier for c in done],
                    "held": _HELD,
                    "actor": self.worker_id,
                },
            )
            completed = {row["id"] for row in await cur.fetchall()}
        return [c.job.id in completed for c in done]

    async def fail(
        self,
        job: JobSpec,
        *,
        code: str,
        message: str,
        details: dict[str, Any],
        retryable: bool,
        delay_seconds: float,
    ) -> FailOutcome | None:
        """Fenced: record the failure; the SQL decides retry, failed or human review.

        The message and details are stored, shown by the API and sent in callbacks: any
        configured secret they quote (an exception's text may hold a DSN) is redacted.
        """
        message, details = redact(message), redact_data(details)
        async with self.db.connection() as conn:
            await self._actor(conn)
            cur = await conn.execute(
                Q.fail_job,
                self._fence(
                    job,
                    code=code,
                    message=message[:1000],
                    details=Jsonb({**details, "message": message[:2000]}),
                    retryable=retryable,
                    delay=delay_seconds,
                ),
            )
            row = await cur.fetchone()
        if row is None:
            return None
        return FailOutcome(JobStatus(row["status"]), row["retry_count"], row["scheduled_at"])

    async def cancel(self, job: JobSpec, message: str) -> bool:
        """Fenced: cancel from inside the run (a human chose "cancel")."""
        async with self.db.connection() as conn:
            await self._actor(conn)
            cur = await conn.execute(Q.cancel_job, self._fence(job, message=message))
            return await cur.fetchone() is not None

    async def release(
        self, jobs: list[JobSpec] | None, *, reason: str, message: str
    ) -> list[tuple[uuid.UUID, JobStatus]]:
        """Give held jobs back at once (``jobs=None``: every job this worker holds)."""
        async with self.db.connection() as conn:
            await self._actor(conn)
            cur = await conn.execute(
                Q.release_jobs,
                {
                    "worker_id": self.worker_id,
                    "held": _HELD,
                    "job_ids": None if jobs is None else [j.id for j in jobs],
                    "attempt_ids": None if jobs is None else [j.execution_attempt_id for j in jobs],
                    "reason": reason,
                    "message": message,
                },
            )
            return [(row["id"], JobStatus(row["status"])) for row in await cur.fetchall()]

    # -- stale recovery -------------------------------------------------------------

    async def recover_stale(
        self, *, stale_seconds: float, code: str, limit: int = 100, dry_run: bool = False
    ) -> list[RecoveredJob] | None:
        """Recover jobs whose heartbeat is older than ``stale_seconds``.

        ``dry_run`` decides exactly as a real run (same statement) and rolls it back:
        what an operator's ``jobs recover`` lists is what ``--apply`` would do.

        Runs under a transaction-scoped advisory lock so one worker at a time does it;
        returns None when another worker holds the lock. A transaction lock (rather than
        a session lock on the direct connection) is released by COMMIT whatever happens
        and is safe through a transaction-mode pooler.
        """
        async with self.db.connection() as conn, conn.transaction(force_rollback=dry_run):
            cur = await conn.execute(Q.try_recovery_lock, {"lock_key": RECOVERY_LOCK_KEY})
            row = await cur.fetchone()
            if not row or not row["locked"]:
                return None
            await self._actor(conn)
            cur = await conn.execute(
                Q.recover_stale_jobs,
                {
                    "held": _HELD,
                    "stale_seconds": stale_seconds,
                    "limit": limit,
                    "code": code,
                    "recovered_by": self.worker_id,
                },
            )
            recovered = [
                RecoveredJob(
                    row["id"], JobStatus(row["status"]), row["lost_worker_id"], row["submitted"]
                )
                for row in await cur.fetchall()
            ]
            await conn.execute(Q.mark_stale_workers_offline, {"stale_seconds": stale_seconds})
            return recovered

    # -- the callback outbox --------------------------------------------------------

    async def claim_callbacks(self, limit: int, lease_seconds: float) -> list[Callback]:
        """Take due outbox rows under a lease; two workers never take the same row."""
        async with self.db.connection() as conn:
            cur = await conn.execute(
                Q.claim_callbacks, {"limit": limit, "lease_seconds": lease_seconds}
            )
            rows = await cur.fetchall()
        return [
            Callback(
                id=row["id"],
                job_id=row["job_id"],
                user_id=row["user_id"],
                event=row["event"],
                url=row["url"],
                payload=row["payload"],
                include_service_key=row["include_service_key"],
                attempts=row["attempts"],
            )
            for row in rows
        ]

    async def callback_delivered(self, cb: Callback, status_code: int) -> None:
        async with self.db.connection() as conn:
            await conn.execute(
                Q.callback_delivered,
                {"id": cb.id, "attempts": cb.attempts, "status_code": status_code},
            )

    async def callback_retry_later(
        self, cb: Callback, delay_seconds: float, status_code: int | None, error: str
    ) -> None:
        async with self.db.connection() as conn:
            await conn.execute(
                Q.callback_retry_later,
                {
                    "id": cb.id,
                    "attempts": cb.attempts,
                    "delay": delay_seconds,
                    "status_code": status_code,
                    "error": error[:1000],
                },
            )

    async def callback_give_up(self, cb: Callback, status_code: int | None, error: str) -> None:
        async with self.db.connection() as conn:
            await conn.execute(
                Q.callback_give_up,
                {
                    "id": cb.id,
                    "attempts": cb.attempts,
                    "status_code": status_code,
                    "error": error[:1000],
                },
            )
