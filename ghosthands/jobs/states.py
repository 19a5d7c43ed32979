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
CANCELLABLE: frozenset[JobStatus] = frozenset(
    {JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED}
)
RETRYABLE: frozenset[JobStatus] = frozenset({JobStatus.FAILED, JobStatus.CANCELLED})

#: Allowed status changes. Anything else is a bug or a lost race.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.QUEUED, JobStatus.CANCELLED, JobStatus.EXPIRED}),
    JobStatus.QUEUED: frozenset(
        {JobStatus.RUNNING, JobStatus.PENDING, JobStatus.CANCELLED, JobStatus.FAILED}
    ),
    JobStatus.RUNNING: frozenset(
        {
            JobStatus.PENDING,  # retry with backoff, drain release, stale recovery
            JobStatus.PAUSED,
            JobStatus.AWAITING_REVIEW,
            JobStatus.COMPLETED,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
        }
    ),
    JobStatus.PAUSED: frozenset(
        {JobStatus.RUNNING, JobStatus.PENDING, JobStatus.FAILED, JobStatus.CANCELLED}
    ),
    JobStatus.AWAITING_REVIEW: frozenset(
        {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset({JobStatus.PENDING}),  # explicit retry
    JobStatus.CANCELLED: frozenset({JobStatus.PENDING}),  # explicit retry
    JobStatus.EXPIRED: frozenset(),
}


def can_transition(src: JobStatus, dst: JobStatus) -> bool:
    """True when a job may move from ``src`` to ``dst``."""
    return dst in TRANSITIONS[src]
