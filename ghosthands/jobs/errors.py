"""Error codes a job can fail with, and which of them are worth a retry."""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    BUDGET_EXCEEDED = "budget_exceeded"
    ACTION_LIMIT_EXCEEDED = "action_limit_exceeded"
    CAPTCHA_BLOCKED = "captcha_blocked"
    TWO_FACTOR_REQUIRED = "2fa_required"
    LOGIN_REQUIRED = "login_required"
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    ELEMENT_NOT_FOUND = "element_not_found"
    NETWORK_ERROR = "network_error"
    BROWSER_CRASHED = "browser_crashed"
    HITL_TIMEOUT = "hitl_timeout"
    INVALID_INPUT = "invalid_input"
    UNKNOWN_JOB_TYPE = "unknown_job_type"
    BLOCKED_ADDRESS = "blocked_address"
    #: A required form field has no answer in the profile or qa_answers (details name it).
    MISSING_ANSWER = "missing_answer"
    #: The site kept rejecting an answer (details carry its validation messages).
    VALIDATION_FAILED = "validation_failed"
    WORKER_LOST = "worker_lost"
    #: VALET took the worker out of rotation and asked for its jobs to be cancelled
    #: (``POST /valet/workers/deregister`` with ``cancel_active_jobs``).
    WORKER_DEREGISTERED = "worker_deregistered"
    #: A person reviewed a job held in awaiting_review: the application did not go out.
    NOT_SUBMITTED = "not_submitted"
    #: The model provider refused the call (bad key, bad request) or kept failing (5xx).
    LLM_ERROR = "llm_error"
    #: The model answered 200 but with something we cannot use (no JSON, no tool call, cut off).
    LLM_BAD_RESPONSE = "llm_bad_response"
    #: The agent repeated the same action on an unchanged page: it is stuck.
    AGENT_LOOP = "agent_loop"
    #: The agent used all its steps without finishing the task.
    AGENT_STEP_LIMIT = "agent_step_limit"
    INTERNAL_ERROR = "internal_error"


#: Transient failures: the job goes back to ``pending`` with backoff until max_retries.
RETRYABLE_CODES: frozenset[ErrorCode] = frozenset(
    {
        ErrorCode.TIMEOUT,
        ErrorCode.RATE_LIMITED,
        ErrorCode.NETWORK_ERROR,
        ErrorCode.BROWSER_CRASHED,
        ErrorCode.ELEMENT_NOT_FOUND,
        ErrorCode.WORKER_LOST,
        ErrorCode.INTERNAL_ERROR,
    }
)


def retry_delay_seconds(retry_count: int) -> int:
    """Backoff before retry number ``retry_count`` (0-based): min(60, 5 * 2^n) seconds."""
    return int(min(60, 5 * 2 ** max(0, retry_count)))
