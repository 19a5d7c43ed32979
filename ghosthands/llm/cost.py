"""The per-job cost meter: every model call priced, recorded and held to the job's budget.

Two checks make the budget hard:

* **before a call** its worst-case price (a conservative count of its input tokens plus
  its output-token cap) must fit in what is left, or the call is not made;
* **after a call** its usage is priced and recorded through the job context *before* the
  reply's content is looked at, so a malformed but expensive reply still counts, and the
  job stops as soon as the recorded total is over the budget.

So a job never spends more than its budget, except when a provider charges more than our
worst-case estimate for one call; even then it overshoots by less than that call's price.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio

from ghosthands.jobs.contract import JobContext, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.catalogue import ModelSpec
from ghosthands.llm.types import Usage
from ghosthands.logs import get_logger

log = get_logger(__name__)


#: How long recording a call's usage may take once the call is paid for. The write is
#: shielded from cancellation: money spent is recorded even when the job is cancelled.
_RECORD_TIMEOUT_SECONDS = 15.0


class _ModelTotals:
    __slots__ = ("calls", "cost_cents", "input_tokens", "output_tokens")

    def __init__(self) -> None:
        self.calls = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost_cents = Decimal(0)


class CostMeter:
    """Meters one job's model calls. Implements the providers' ``CallMeter``."""

    def __init__(
        self, ctx: JobContext, *, budget_cents: Decimal | int, spent_cents: Decimal | int = 0
    ) -> None:
        self._ctx = ctx
        self.budget_cents = Decimal(budget_cents)
        #: What earlier attempts of this job spent, when the caller knows it.
        self.spent_cents = Decimal(spent_cents)
        self.calls = 0
        self._by_model: dict[str, _ModelTotals] = {}

    @property
    def remaining_cents(self) -> Decimal:
        return self.budget_cents - self.spent_cents

    async def before_call(self, model: ModelSpec, worst_case: Usage) -> None:
        """Refuse a call whose worst case would take the job past its budget."""
        worst = model.price_cents(worst_case.input_tokens, worst_case.output_tokens)
        if self.spent_cents + worst > self.budget_cents:
            log.warning(
                "llm_call_refused_by_budget",
                model=model.alias,
                budget_cents=str(self.budget_cents),
                spent_cents=str(self.spent_cents),
                worst_case_cents=str(worst),
            )
            raise JobFailure(
                ErrorCode.BUDGET_EXCEEDED,
                f"the next model call could cost up to {worst} cents; only "
                f"{max(Decimal(0), self.remaining_cents)} of the job's {self.budget_cents} "
                "cent budget is left",
                details=self._details(next_call_worst_case_cents=str(worst)),
                retryable=False,
            )

    async def after_call(self, model: ModelSpec, usage: Usage, *, estimated: bool) -> None:
        """Price and record one call; stop the job when the budget is now spent."""
        cost = model.price_cents(usage.input_tokens, usage.output_tokens)
        self.spent_cents += cost
        self.calls += 1
        totals = self._by_model.setdefault(model.alias, _ModelTotals())
        totals.calls += 1
        totals.input_tokens += usage.input_tokens
        totals.output_tokens += usage.output_tokens
        totals.cost_cents += cost
        with anyio.CancelScope(shield=True), anyio.fail_after(_RECORD_TIMEOUT_SECONDS):
            await self._ctx.record_llm_usage(
                model.alias, usage.input_tokens, usage.output_tokens, float(cost)
            )
        log.info(
            "llm_usage_recorded",
            model=model.alias,
            cost_cents=str(cost),
            usage_estimated=estimated,
            spent_cents=str(self.spent_cents),
            budget_cents=str(self.budget_cents),
        )
        if self.spent_cents > self.budget_cents:
            raise JobFailure(
                ErrorCode.BUDGET_EXCEEDED,
                f"model calls cost {self.spent_cents} cents, over the job's "
                f"{self.budget_cents} cent budget",
                details=self._details(),
                retryable=False,
            )

    def breakdown(self) -> dict[str, Any]:
        """Spend by model, for result data and ``cost_breakdown`` in status replies."""
        return {
            "budget_cents": float(self.budget_cents),
            "spent_cents": float(self.spent_cents),
            "calls": self.calls,
            "models": {
                alias: {
                    "calls": t.calls,
                    "input_tokens": t.input_tokens,
                    "output_tokens": t.output_tokens,
                    "cost_cents": float(t.cost_cents),
                }
                for alias, t in self._by_model.items()
            },
        }

    def _details(self, **extra: Any) -> dict[str, Any]:
        return {
            "budget_cents": str(self.budget_cents),
            "spent_cents": str(self.spent_cents),
            "calls": self.calls,
            **extra,
        }
