"""Job operations of the HTTP API: the only code the API uses to touch job rows.

Every query lives in ``sql/submissions.sql``. Ownership is part of each statement:
``owner`` is the calling user's id (they see and touch only their own jobs) or ``None``
for the service caller. A job owned by someone else behaves exactly like a missing one,
so callers cannot probe for other users' job ids.

State changes are single conditional statements (``UPDATE ... WHERE status = ANY(...)``)
so two racing requests cannot both win; idempotency is decided by the unique index on
``idempotency_key`` with ``ON CONFLICT DO NOTHING``, never by a check-then-insert.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg.types.json import Jsonb

from ghosthands.db.pool import Conn, Database
from ghosthands.db.queries import load_queries
from ghosthands.jobs import accounting
from ghosthands.jobs.errors import ErrorCode
from ghosthands.jobs.queue import artifact_url
from ghosthands.jobs.states import ACTIVE, CANCELLABLE, RETRYABLE, JobStatus

Q = load_queries("ghosthands.jobs.sql", "submissions.sql")

Row = dict[str, Any]

#: Statuses in which a worker holds a job (released when that worker is deregistered).
HELD_BY_WORKER: frozenset[JobStatus] = ACTIVE | {JobStatus.PAUSED}


class JobNotFound(Exception):
    """No such job, or it belongs to another user."""


class DuplicateIdempotencyKey(Exception):
    """The idempotency key is taken. ``job_id`` is None when the holder is another user's."""

    def __init__(self, job_id: uuid.UUID | None, index: int | None = None) -> None:
        super().__init__("idempotency key already used")
        self.job_id = job_id
        self.index = index


class InvalidState(Exception):
    """The job exists but its status does not allow the operation."""

    def __init__(self, status: str, reason: str = "") -> None:
        super().__init__(reason or f"job is {status}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class NewJob:
    """A validated job to insert (built by the API from a request body)."""

    user_id: uuid.UUID
    created_by: str
    job_type: str
    target_url: str
    task_description: str = ""
    input_data: dict[str, Any] = field(default_factory=dict)
    priority: int = 5
    max_retries: int = 3
    timeout_seconds: int = 300
    scheduled_at: dt.datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: Sequence[str] = ()
    callback_url: str | None = None
    valet_task_id: str | None = None
    idempotency_key: str | None = None
    target_worker_id: str | None = None
    worker_affinity: str = "any"
    execution_mode: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "idempotency_key": self.idempotency_key,
            "user_id": self.user_id,
            "created_by": self.created_by,
            "job_type": self.job_type,
            "target_url": self.target_url,
            "task_description": self.task_description,
            "input_data": Jsonb(self.input_data),
            "priority": self.priority,
            "scheduled_at": self.scheduled_at,
            "max_retries": self.max_retries,
            "timeout_seconds": self.timeout_seconds,
            "metadata": Jsonb(self.metadata),
            "tags": Jsonb(list(self.tags)),
            "callback_url": self.callback_url,
            "valet_task_id": self.valet_task_id,
            "target_worker_id": self.target_worker_id,
            "worker_affinity": self.worker_affinity,
            "execution_mode": self.execution_mode,
        }


@dataclass(frozen=True)
class JobPage:
    jobs: list[Row]
    total: int


@dataclass(frozen=True)
class ListFilter:
    user_id: uuid.UUID | None = None
    statuses: Sequence[str] | None = None
    job_type: str | None = None
    valet_task_id: str | None = None
    tag: str | None = None
    sort: str = "-created_at"
    limit: int = 20
    offset: int = 0


#: Sort keys ``list_jobs`` understands (``-`` = descending).
SORT_KEYS: tuple[str, ...] = (
    "-created_at",
    "created_at",
    "-updated_at",
    "updated_at",
    "priority",
    "-priority",
)


class JobSubmissions:
    """Creates, reads and changes jobs on behalf of API callers."""

    def __init__(self, db: Database, *, actor: str = "api") -> None:
        self.db = db
        self.actor = actor

    # -- creating ---------------------------------------------------------------------

    async def create(self, job: NewJob, *, owner: uuid.UUID | None) -> Row:
        """Insert one job; DuplicateIdempotencyKey when its key is taken."""
        async with self.db.autocommit() as conn:  # the INSERT is its own transaction
            return await self._insert(conn, job, owner=owner, index=None)

    async def create_many(self, jobs: Sequence[NewJob], *, owner: uuid.UUID | None) -> list[Row]:
        """Insert all jobs in one transaction, or none of them."""
        async with self.db.connection() as conn, conn.transaction():
            return [
                await self._insert(conn, job, owner=owner, index=i) for i, job in enumerate(jobs)
            ]

    async def _insert(
        self, conn: Conn, job: NewJob, *, owner: uuid.UUID | None, index: int | None
    ) -> Row:
        # No set_actor: the creation event's actor is the job's created_by.
        cur = await conn.execute(Q.insert_job, job.params())
        row = await cur.fetchone()
        if row is not None:
            return row
        # The key is held by a committed job (ON CONFLICT waited for it). Only show its id
        # to a caller who may see that job.
        cur = await conn.execute(
            Q.holder_of_idempotency_key, {"idempotency_key": job.idempotency_key}
        )
        holder = await cur.fetchone()
        visible = holder is not None and (owner is None or holder["user_id"] == owner)
        raise DuplicateIdempotencyKey(holder["id"] if visible and holder else None, index)

    # -- reading ----------------------------------------------------------------------

    async def waiting_jobs(self, user_id: uuid.UUID, cap: int) -> int:
        """How many of ``user_id``'s jobs wait to run, counted up to ``cap``."""
        async with self.db.autocommit() as conn:
            cur = await conn.execute(Q.count_waiting_jobs, {"user_id": user_id, "cap": cap})
            row = await cur.fetchone()
        return int(row["n"]) if row else 0

    async def get(self, job_id: uuid.UUID, *, owner: uuid.UUID | None) -> Row:
        async with self.db.autocommit() as conn:
            cur = await conn.execute(Q.get_job, {"id": job_id, "owner": owner})
            row = await cur.fetchone()
        if row is None:
            raise JobNotFound(str(job_id))
        return row

    async def status(self, job_id: uuid.UUID, *, owner: uuid.UUID | None) -> str:
        """The job's current status (JobNotFound when missing or not the caller's)."""
        async with self.db.autocommit() as conn:
            return await self._status(conn, job_id, owner)

    async def _status(self, conn: Conn, job_id: uuid.UUID, owner: uuid.UUID | None) -> str:
        cur = await conn.execute(Q.job_status, {"id": job_id, "owner": owner})
        row = await cur.fetchone()
        if row is None:
            raise JobNotFound(str(job_id))
        return str(row["status"])

    async def list_jobs(self, filters: ListFilter, *, owner: uuid.UUID | None) -> JobPage:
        if filters.sort not in SORT_KEYS:
            raise ValueError(f"unknown sort key {filters.sort!r}")
        params = {
            "owner": owner,
            "user_id": filters.user_id,
            "statuses": list(filters.statuses) if filters.statuses else None,
            "job_type": filters.job_type,
            "valet_task_id": filters.valet_task_id,
            "tag": filters.tag,
            "sort": filters.sort,
            "limit": filters.limit,
            "offset": filters.offset,
        }
        async with self.db.autocommit() as conn:
            cur = await conn.execute(Q.list_jobs, params)
            rows = await cur.fetchall()
        total = int(rows[0]["total"]) if rows else 0
        return JobPage([r for r in rows if r["id"] is not None], total)

    async def events(
        self, job_id: uuid.UUID, *, owner: uuid.UUID | None, after_id: int = 0, limit: int = 100
    ) -> list[Row]:
        """Events of a visible job with id > ``after_id``, oldest first."""
        async with self.db.autocommit() as conn:
            await self._status(conn, job_id, owner)
            cur = await conn.execute(
                Q.list_events, {"job_id": job_id, "after_id": after_id, "limit": limit}
            )
            return await cur.fetchall()

    async def events_after(self, job_id: uuid.UUID, after_id: int, limit: int = 500) -> list[Row]:
        """Events after ``after_id`` without an ownership check (the caller checked once)."""
        async with self.db.autocommit() as conn:
            cur = await conn.execute(
                Q.list_events, {"job_id": job_id, "after_id": after_id, "limit": limit}
            )
            return await cur.fetchall()

    async def latest_progress(self, job_id: uuid.UUID) -> Row | None:
        async with self.db.autocommit() as conn:
            cur = await conn.execute(Q.latest_progress, {"job_id": job_id})
            return await cur.fetchone()

    async def artifact(
        self, job_id: uuid.UUID, artifact_id: uuid.UUID, *, owner: uuid.UUID | None
    ) -> Row:
        async with self.db.autocommit() as conn:
            cur = await conn.execute(
                Q.get_artifact, {"job_id": job_id, "artifact_id": artifact_id, "owner": owner}
            )
            row = await cur.fetchone()
        if row is None:
            raise JobNotFound(f"{job_id}/{artifact_id}")
        return row

    async def artifact_locations(self, job_id: uuid.UUID) -> dict[str, str]:
        """The job's artifacts kept in an object store: API URL -> store locator."""
        async with self.db.autocommit() as conn:
            cur = await conn.execute(Q.artifact_locations, {"job_id": job_id})
            rows = await cur.fetchall()
        return {artifact_url(job_id, r["id"]): r["storage_url"] for r in rows}

    # -- changing ---------------------------------------------------------------------

    async def cancel(
        self, job_id: uuid.UUID, *, owner: uuid.UUID | None, message: str = "cancelled by api"
    ) -> Row:
        """Cancel a cancellable job; InvalidState with its status otherwise."""
        async with self.db.connection() as conn, conn.transaction():
            await conn.execute(Q.set_actor, {"actor": self.actor})
            cur = await conn.execute(
                Q.cancel_job,
                {
                    "id": job_id,
                    "owner": owner,
                    "message": message,
                    "cancellable": sorted(CANCELLABLE),
                },
            )
            row = await cur.fetchone()
            if row is None:
                raise InvalidState(await self._status(conn, job_id, owner))
            return row

    async def retry(
        self,
        job_id: uuid.UUID,
        *,
        owner: uuid.UUID | None,
        message: str = "retried by api",
        force: bool = False,
        from_statuses: Collection[JobStatus] = RETRYABLE,
    ) -> Row:
        """Put a failed or cancelled job back to pending; InvalidState otherwise, also when
        its last attempt may have submitted the application and ``force`` is not set.

        ``from_statuses``: the statuses a retry starts from; a person's review retries
        from awaiting_review through this same rule.
        """
        async with self.db.connection() as conn, conn.transaction():
            await conn.execute(Q.set_actor, {"actor": self.actor})
            cur = await conn.execute(
                Q.retry_job,
                {
                    "id": job_id,
                    "owner": owner,
                    "message": message,
                    "retryable": sorted(from_statuses),
                    "force": force,
                },
            )
            row = await cur.fetchone()
            if row is None:
                status = await self._status(conn, job_id, owner)
                if status in from_statuses:
                    raise InvalidState(status, "the application may already have been submitted")
                raise InvalidState(status)
            return row

    async def close_review(
        self, job_id: uuid.UUID, *, submitted: bool, note: str | None, actor: str
    ) -> Row:
        """A person's verdict on a job in awaiting_review: it went out (completed) or it
        did not (failed). InvalidState when the job is not awaiting review."""
        outcome = "submitted" if submitted else "not submitted"
        params = {
            "id": job_id,
            "submitted": submitted,
            "message": note or f"reviewed: the application was {outcome}",
            "review": Jsonb({"outcome": outcome.replace(" ", "_"), "note": note, "by": actor}),
            "error_code": ErrorCode.NOT_SUBMITTED.value,
        }
        async with self.db.connection() as conn, conn.transaction():
            await conn.execute(Q.set_actor, {"actor": actor})
            cur = await conn.execute(Q.close_review, params)
            row = await cur.fetchone()
            if row is None:
                raise InvalidState(await self._status(conn, job_id, None))
            return row

    async def request_resume(
        self,
        job_id: uuid.UUID,
        resume_ref: dict[str, Any],
        *,
        owner: uuid.UUID | None,
        action: str,
        note: str | None = None,
        event_details: dict[str, str] | None = None,
    ) -> Row:
        """Store a human's answer for a paused job and announce it (resume_requested).

        ``event_details``: more for the event (who resolved it), never a secret.
        InvalidState when the job is not paused or already has an answer pending.
        """
        params = {
            "id": job_id,
            "owner": owner,
            "resume_ref": Jsonb(resume_ref),
            "message": note,
            # The action only: codes and credentials never go into the event log.
            "event_metadata": Jsonb({**(event_details or {}), "action": action}),
            "actor": self.actor,
        }
        async with self.db.connection() as conn, conn.transaction():
            cur = await conn.execute(Q.request_resume, params)
            row = await cur.fetchone()
            if row is not None:
                return row
            cur = await conn.execute(Q.job_resume_state, {"id": job_id, "owner": owner})
            state = await cur.fetchone()
        if state is None:
            raise JobNotFound(str(job_id))
        if state["status"] == JobStatus.PAUSED and state["resume_pending"]:
            raise InvalidState(state["status"], "a resume request is already pending")
        raise InvalidState(state["status"], f"job is {state['status']}, not paused")

    async def deregister_worker(
        self,
        name: str,
        *,
        status: str,
        reason: str | None,
        cancel_active_jobs: bool = False,
        drain_timeout_seconds: int | None = None,
    ) -> Row | None:
        """Mark the worker ``name`` (and the runs named after it) draining/offline;
        offline hands its jobs back, or fails them with ``cancel_active_jobs`` (never a
        job that may have submitted: that one goes to awaiting_review). None if unknown."""
        async with self.db.connection() as conn, conn.transaction():
            await conn.execute(Q.set_actor, {"actor": self.actor})
            cur = await conn.execute(
                Q.deregister_worker,
                {
                    "name": name,
                    "status": status,
                    "reason": reason,
                    "message": f"released: worker {name} deregistered",
                    "held": sorted(HELD_BY_WORKER),
                    "cancel": cancel_active_jobs,
                    "cancel_code": ErrorCode.WORKER_DEREGISTERED.value,
                    "cancel_message": reason or f"worker {name} was deregistered",
                    "drain_timeout_seconds": drain_timeout_seconds,
                },
            )
            return await cur.fetchone()

    # -- sessions and usage -----------------------------------------------------------

    async def sessions(self, user_id: uuid.UUID) -> list[Row]:
        async with self.db.connection() as conn:
            cur = await conn.execute(Q.list_sessions, {"user_id": user_id})
            return await cur.fetchall()

    async def delete_session(self, user_id: uuid.UUID, domain: str) -> bool:
        async with self.db.connection() as conn:
            cur = await conn.execute(Q.delete_session, {"user_id": user_id, "domain": domain})
            return await cur.fetchone() is not None

    async def delete_all_sessions(self, user_id: uuid.UUID) -> int:
        async with self.db.connection() as conn:
            cur = await conn.execute(Q.delete_all_sessions, {"user_id": user_id})
            return len(await cur.fetchall())

    async def month_usage(self, user_id: uuid.UUID) -> Row | None:
        async with self.db.connection() as conn:
            return await accounting.month_usage(conn, user_id)
