"""Pre-flight: refuse a job before it starts when its user's monthly LLM budget is spent.

The worker calls :func:`check_monthly_budget` after claiming a job and before running
it. The month is the UTC calendar month (``gh_user_usage.period_start``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import msgspec

from ghosthands.db.pool import Conn, Database
from ghosthands.db.queries import load_queries
from ghosthands.jobs.budgets import MONTHLY_BUDGET_CENTS, QUALITY_TIER, Quality, Tier
from ghosthands.jobs.contract import JobFailure, JobSpec
from ghosthands.jobs.errors import ErrorCode
from ghosthands.logs import get_logger

log = get_logger(__name__)
queries = load_queries("ghosthands.llm.sql", "usage.sql")


class MonthlyBudget(msgspec.Struct, frozen=True):
    user_id: uuid.UUID
    tier: Tier
    budget_cents: Decimal
    spent_cents: Decimal

    @property
    def remaining_cents(self) -> Decimal:
        return self.budget_cents - self.spent_cents


def job_tier(input_data: dict[str, Any], stored: str | None = None) -> Tier:
    """The tier a job runs under: named by the job, else the user's stored tier, else the
    tier its quality preset implies, else free."""
    for candidate in (input_data.get("tier"), stored):
        if isinstance(candidate, str) and candidate in Tier._value2member_map_:
            return Tier(candidate)
    quality = input_data.get("quality")
    if isinstance(quality, str) and quality in Quality._value2member_map_:
        return QUALITY_TIER[Quality(quality)]
    return Tier.FREE


async def monthly_budget(conn: Conn, job: JobSpec) -> MonthlyBudget:
    """The job's user's budget and month-to-date spend."""
    cur = await conn.execute(queries.month_usage, {"user_id": job.user_id})
    row = await cur.fetchone()
    tier = job_tier(job.input_data, row["tier"] if row else None)
    return MonthlyBudget(
        user_id=job.user_id,
        tier=tier,
        budget_cents=Decimal(MONTHLY_BUDGET_CENTS[tier]),
        spent_cents=Decimal(row["cost_cents"]) if row else Decimal(0),
    )


async def check_monthly_budget(db: Database | Conn, job: JobSpec) -> MonthlyBudget:
    """Raise ``JobFailure(budget_exceeded)`` when the user's month is spent.

    Returns the budget otherwise, so the caller can also cap the job by what is left.
    """
    if isinstance(db, Database):
        async with db.connection() as conn:
            budget = await monthly_budget(conn, job)
    else:
        budget = await monthly_budget(db, job)
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
