"""Job statuses and the transitions between them.

This module is the single definition used by the API, the worker and (through a test
that compares them) the CHECK constraint in the SQL schema.
"""

from __future__ import annotations

import enum


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    QUEUED = "queued"  # claimed by a worker, not yet started
    RUNNING = "running"
    PAUSED = "paused"  # waiting for a human (captcha, login, 2FA)
    AWAITING_REVIEW = "awaiting_review"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


TERMINAL: frozenset[JobStatus] = frozenset(
    {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.EXPIRED}
)
#: A worker holds these: they carry a heartbeat and an execution attempt.
ACTIVE: frozenset[JobStatus] = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})
#: Statuses in which a live runner owns the job: every runner write is fenced on these
#: plus the execution attempt id. ``paused`` is included because the runner stays alive,
#: heartbeating, while it waits for a human.
WORKER_HELD: frozenset[JobStatus] = ACTIVE | {JobStatus.PAUSED}
CANCELLABLE: frozenset[JobStatus] = frozenset(
    {JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED}
)
RETRYABLE: frozenset[JobStatus] = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})

#: Progress steps that are evidence the application form was (or was being) submitted.
#: A job with such an event in its current attempt is never re-run blindly: recovery and
#: retries send it to ``awaiting_review``. The SQL side of this definition is
#: ``gh_job_submission_evidence`` in migration 0002 (a test compares the two).
SUBMISSION_STEPS: tuple[str, ...] = ("submitting", "submitted")
