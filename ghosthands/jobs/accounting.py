"""What a job may spend on models: its preset's budget, capped by its user's month.

The one reader of ``gh_user_usage`` (:func:`month_usage`, on a connection its caller
owns: the worker's queue or the API's submissions) and the rules over it: the worker's
job context asks :func:`job_llm_budget_cents` before a job's first model call, which
refuses a job whose user's monthly budget is spent. The month is the UTC calendar month
(``gh_user_usage.period_start``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import msgspec

from ghosthands.db.pool import Conn
from ghosthands.db.queries import load_queries
from ghosthands.jobs.budgets import (
    JOB_BUDGET_CENTS,
    MONTHLY_BUDGET_CENTS,
    QUALITY_TIER,
    Quality,
    Tier,
)
from ghosthands.jobs.contract import JobFailure, JobSpec
from ghosthands.jobs.errors import ErrorCode
from ghosthands.logs import get_logger

log = get_logger(__name__)
queries = load_queries("ghosthands.jobs.sql", "accounting.sql")


async def month_usage(conn: Conn, user_id: uuid.UUID) -> dict[str, Any] | None:
    """The user's usage row for the current UTC month, if they have one."""
    cur = await conn.execute(queries.month_usage, {"user_id": user_id})
    row = await cur.fetchone()
    return dict(row) if row is not None else None


class MonthlyBudget(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    tier: Tier
    budget_cents: Decimal
    spent_cents: Decimal

    @property
    def remaining_cents(self) -> Decimal:
        return self.budget_cents - self.spent_cents


def named_tier(input_data: dict[str, Any]) -> Tier | None:
    """The tier a job names itself (``input_data.tier``), if it names a known one."""
    named = input_data.get("tier")
    if isinstance(named, str) and named in Tier._value2member_map_:
        return Tier(named)
    return None


def job_tier(input_data: dict[str, Any], stored: str | None = None) -> Tier:
    """The tier a job runs under, the one definition: named by the job, else the user's
    stored tier for the month, else the tier its quality preset implies, else free."""
    named = named_tier(input_data)
    if named is not None:
        return named
    if stored is not None and stored in Tier._value2member_map_:
        return Tier(stored)
    quality = input_data.get("quality")
    if isinstance(quality, str) and quality in Quality._value2member_map_:
        return QUALITY_TIER[Quality(quality)]
    return Tier.FREE


def job_budget_cents(quality: Quality | str) -> Decimal:
    """The per-job budget of a quality preset (speed, balanced, quality)."""
    return Decimal(JOB_BUDGET_CENTS[Quality(quality)])


def monthly_budget(job: JobSpec, usage: dict[str, Any] | None) -> MonthlyBudget:
    """The job's user's budget and month-to-date spend, from their usage row (or none)."""
    tier = job_tier(job.input_data, usage["tier"] if usage else None)
    return MonthlyBudget(
        user_id=job.user_id,
        tier=tier,
        budget_cents=Decimal(MONTHLY_BUDGET_CENTS[tier]),
        spent_cents=Decimal(usage["cost_cents"]) if usage else Decimal(0),
    )


def check_monthly_budget(job: JobSpec, usage: dict[str, Any] | None) -> MonthlyBudget:
    """Raise ``JobFailure(budget_exceeded)`` when the user's month is spent.

    Returns the budget otherwise, so the caller can also cap the job by what is left.
    """
    budget = monthly_budget(job, usage)
    if budget.remaining_cents <= 0:
        log.warning(
            "monthly_budget_spent",
            job_id=str(job.id),
            tier=budget.tier.value,
            budget_cents=str(budget.budget_cents),
            spent_cents=str(budget.spent_cents),
        )
        raise JobFailure(
            ErrorCode.BUDGET_EXCEEDED,
            f"the monthly LLM budget of tier {budget.tier.value} "
            f"({budget.budget_cents} cents) is spent ({budget.spent_cents} cents used)",
            details={
                "scope": "monthly",
                "tier": budget.tier.value,
                "budget_cents": str(budget.budget_cents),
                "spent_cents": str(budget.spent_cents),
            },
            retryable=False,
        )
    return budget


def job_llm_budget_cents(job: JobSpec, quality: Quality, usage: dict[str, Any] | None) -> Decimal:
    """The most ``job`` may have spent on models over all its attempts: its preset's
    budget, and no more than its user's month has left. Refuses a spent month."""
    month = check_monthly_budget(job, usage)
    spent = Decimal(str(job.llm_cost_cents))
    return min(job_budget_cents(quality), spent + month.remaining_cents)
