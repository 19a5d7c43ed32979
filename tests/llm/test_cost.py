"""Cost control on the real database: the per-job meter and the monthly pre-flight, through
the worker's own job context."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from ghosthands.db.pool import Database
from ghosthands.jobs.accounting import job_budget_cents, job_tier, monthly_budget
from ghosthands.jobs.budgets import Quality
from ghosthands.jobs.contract import JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.catalogue import ModelSpec
from ghosthands.llm.cost import CostMeter
from ghosthands.llm.types import Usage
from ghosthands.worker.testing import JobBench
from tests.llm.conftest import job_row, user_usage

pytestmark = pytest.mark.anyio

#: $1 per million input tokens, $2 per million output: 10,000 input tokens = 1 cent.
MODEL = ModelSpec("openai:test-model", "openai", "test-model", False, 1.0, 2.0)


def test_prices_round_up_to_a_ten_thousandth_of_a_cent() -> None:
    assert MODEL.price_cents(10_000, 0) == Decimal("1.0000")
    assert MODEL.price_cents(0, 5_000) == Decimal("1.0000")
    # 1 token at $1/M = 0.0001 cents exactly; 1 token at $0.15/M rounds up to 0.0001.
    assert MODEL.price_cents(1, 0) == Decimal("0.0001")
    cheap = ModelSpec("c", "openai", "c", False, 0.15, 0.60)
    assert cheap.price_cents(1, 0) == Decimal("0.0001")
    assert cheap.price_cents(1000, 50) == Decimal("0.0180")


def test_presets_set_the_job_budget() -> None:
    assert job_budget_cents("speed") == 5
    assert job_budget_cents("balanced") == 50
    assert job_budget_cents("quality") == 100


async def test_a_call_may_use_the_budget_exactly_but_not_cross_it(
    db: Database, bench: JobBench
) -> None:
    ctx = await bench.start("custom")
    job = ctx.job
    meter = CostMeter(ctx, budget_cents=5)
    await meter.after_call(MODEL, Usage(30_000, 0), estimated=False)  # 3 cents
    await meter.before_call(MODEL, Usage(20_000, 0))  # worst case 2 cents: lands on 5
    with pytest.raises(JobFailure) as caught:
        await meter.before_call(MODEL, Usage(20_001, 0))
    assert caught.value.code == ErrorCode.BUDGET_EXCEEDED
    assert caught.value.retryable is False
    assert caught.value.details["spent_cents"] == "3.0000"
    assert caught.value.details["next_call_worst_case_cents"] == "2.0001"
    row = await job_row(db, job.id)
    assert row["llm_cost_cents"] == Decimal("3")  # the refused call cost nothing


async def test_a_call_is_recorded_before_the_overrun_is_judged(
    db: Database, bench: JobBench
) -> None:
    ctx = await bench.start("custom")
    job = ctx.job
    meter = CostMeter(ctx, budget_cents=5)
    await meter.after_call(MODEL, Usage(40_000, 0), estimated=False)  # 4 cents
    with pytest.raises(JobFailure) as caught:
        await meter.after_call(MODEL, Usage(20_000, 500), estimated=True)  # 2.1 cents
    assert caught.value.code == ErrorCode.BUDGET_EXCEEDED
    assert meter.spent_cents == Decimal("6.1")
    row = await job_row(db, job.id)
    assert row["llm_cost_cents"] == Decimal("6.1")
    assert row["total_tokens"] == 60_500
    usage = await user_usage(db, job.user_id)
    assert usage is not None
    assert (usage["cost_cents"], usage["total_tokens"]) == (Decimal("6.1"), 60_500)
    assert meter.breakdown()["models"]["openai:test-model"] == {
        "calls": 2,
        "input_tokens": 60_000,
        "output_tokens": 500,
        "cost_cents": 6.1,
    }


async def _spend(db: Database, user_id: uuid.UUID, cents: str, tier: str = "free") -> None:
    async with db.connection() as conn:
        await conn.execute(
            "INSERT INTO gh_user_usage (user_id, period_start, tier, cost_cents) VALUES "
            "(%s, date_trunc('month', now() AT TIME ZONE 'UTC')::date, %s, %s)",
            (user_id, tier, Decimal(cents)),
        )


async def test_preflight_refuses_a_user_whose_month_is_spent(db: Database, bench: JobBench) -> None:
    user = uuid.uuid4()
    await _spend(db, user, "50")  # the free tier's whole month
    ctx = await bench.start("custom", user_id=user)
    with pytest.raises(JobFailure) as caught:
        await ctx.llm_budget_cents(Quality.BALANCED)
    assert caught.value.code == ErrorCode.BUDGET_EXCEEDED
    assert caught.value.details["scope"] == "monthly"
    assert caught.value.details["tier"] == "free"


async def test_preflight_lets_a_user_with_budget_left_through(
    db: Database, bench: JobBench
) -> None:
    user = uuid.uuid4()
    await _spend(db, user, "49.5")
    ctx = await bench.start("custom", user_id=user)
    # The balanced preset allows 50 cents, but the month has only 0.5 left.
    assert await ctx.llm_budget_cents(Quality.BALANCED) == Decimal("0.5")

    # A job naming a higher tier gets that tier's budget; last month's spend is ignored.
    ctx = await bench.start("custom", user_id=user, input_data={"tier": "pro"})
    assert await ctx.llm_budget_cents(Quality.QUALITY) == 100
    usage = await ctx.queue.month_usage(user)
    budget = monthly_budget(ctx.job, usage)
    assert (budget.tier, budget.budget_cents, budget.spent_cents) == ("pro", 1000, Decimal("49.5"))
    async with db.connection() as conn:
        await conn.execute(
            "UPDATE gh_user_usage SET period_start = period_start - interval '1 month' "
            "WHERE user_id = %s",
            (user,),
        )
    ctx = await bench.start("custom", user_id=user)
    assert await ctx.queue.month_usage(user) is None
    assert await ctx.llm_budget_cents(Quality.BALANCED) == 50


async def test_preflight_with_no_usage_yet(bench: JobBench) -> None:
    ctx = await bench.start("custom", input_data={"quality": "quality"})
    budget = monthly_budget(ctx.job, await ctx.queue.month_usage(ctx.job.user_id))
    assert (budget.tier, budget.budget_cents, budget.spent_cents) == ("pro", 1000, 0)
    assert await ctx.llm_budget_cents(Quality.QUALITY) == 100


def test_job_tier_prefers_the_job_then_the_stored_tier_then_the_preset() -> None:
    assert job_tier({"tier": "premium"}, "starter") == "premium"
    assert job_tier({"tier": "bogus"}, "starter") == "starter"
    assert job_tier({"quality": "balanced"}, None) == "starter"
    assert job_tier({}, None) == "free"
