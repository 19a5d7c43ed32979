"""One browser task for a job, the way every LLM-driven handler runs it: replay a healthy
recorded manual when the site has one (no model call), hand over to the agent at the
first mismatch or when there is none, and record the steps of a successful agent run.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path

import httpx
import msgspec
from playwright.async_api import Page

from ghosthands.config import Settings
from ghosthands.db.pool import Database
from ghosthands.jobs.budgets import Quality
from ghosthands.jobs.contract import JobContext
from ghosthands.llm.actions import Step
from ghosthands.llm.agent import Agent, AgentConfig
from ghosthands.llm.catalogue import Catalogue
from ghosthands.llm.cost import CostMeter, job_budget_cents
from ghosthands.llm.manuals import MIN_HEALTH, ManualStore, replay
from ghosthands.llm.providers import RetryPolicy, open_client
from ghosthands.llm.usage import check_monthly_budget
from ghosthands.logs import get_logger

log = get_logger(__name__)


class TaskResult(msgspec.Struct):
    summary: str
    #: ``manual`` (replayed, no model call), ``agent``, or ``manual+agent`` (a replay
    #: that mismatched part-way and the agent finished).
    source: str
    model: str
    model_calls: int
    steps: int
    final_url: str
    cost: dict[str, object]
    manual_mismatch: str | None = None


class TaskRunner:
    """Runs browser tasks for jobs. One per worker; cheap to share."""

    def __init__(
        self,
        settings: Settings,
        *,
        db: Database | None = None,
        catalogue: Catalogue | None = None,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        config: AgentConfig | None = None,
    ) -> None:
        """``db`` enables recorded manuals and caps each job by what is left of its
        user's monthly budget; without it, neither (the per-job budget still holds)."""
        self._settings = settings
        self._db = db
        self._catalogue = catalogue or Catalogue.from_settings(settings)
        self._manuals = ManualStore(db) if db is not None else None
        self._http = http
        self._retry = retry
        self.config = config or AgentConfig()

    async def run(
        self,
        ctx: JobContext,
        page: Page,
        *,
        task: str,
        url: str | None = None,
        model: str | None = None,
        quality: Quality = Quality.BALANCED,
        data: dict[str, str] | None = None,
        files: dict[str, Path] | None = None,
        use_manual: bool = True,
        max_steps: int | None = None,
    ) -> TaskResult:
        """Do ``task`` on ``page``, after going to ``url`` when given. The model and the
        budgets are checked first: a job that may not run does no work at all."""
        job = ctx.job
        spec = self._catalogue.resolve(model)  # refused before any work when unpriced
        meter = await self._meter(ctx, quality)
        if url is not None:
            await ctx.progress("navigating", url=url)
            await page.goto(url, wait_until="domcontentloaded")
        data = dict(data or {})
        files = dict(files or {})
        start_url = page.url
        prior: list[Step] = []
        mismatch: str | None = None

        manual = None
        if self._manuals is not None and use_manual:
            manual = await self._manuals.find(start_url, job.job_type, task)
        if manual is not None and manual.health_score >= MIN_HEALTH:
            await ctx.progress(
                "replaying_manual", manual_id=str(manual.id), steps=len(manual.steps)
            )
            outcome = await replay(ctx, page, manual, variables=data, files=files)
            assert self._manuals is not None
            if outcome.completed:
                health = await self._manuals.replay_succeeded(manual.id)
                log.info("manual_replayed", manual_id=str(manual.id), health=health)
                return TaskResult(
                    summary=outcome.summary,
                    source="manual",
                    model=spec.alias,
                    model_calls=0,
                    steps=len(outcome.steps),
                    final_url=page.url,
                    cost=meter.breakdown(),
                )
            health = await self._manuals.replay_failed(manual.id)
            log.info("manual_fallback", manual_id=str(manual.id), health=health)
            prior, mismatch = outcome.steps, outcome.mismatch

        config = self.config
        if max_steps is not None:
            config = msgspec.structs.replace(config, max_steps=max_steps)
        async with AsyncExitStack() as stack:
            http = self._http
            if http is None:
                http = await stack.enter_async_context(httpx.AsyncClient())
            llm = open_client(spec, self._settings, http, retry=self._retry)
            agent = Agent(ctx, llm, meter, config=config, data=data, files=files)
            await ctx.progress("agent_started", model=spec.alias)
            result = await agent.run(page, task, prior=prior)
        if self._manuals is not None and any(s.action != "done" for s in result.steps):
            await self._manuals.save(start_url, job.job_type, task, result.steps)
        return TaskResult(
            summary=result.summary,
            source="manual+agent" if prior or mismatch else "agent",
            model=spec.alias,
            model_calls=result.model_calls,
            steps=len(result.steps),
            final_url=page.url,
            cost=meter.breakdown(),
            manual_mismatch=mismatch,
        )

    async def _meter(self, ctx: JobContext, quality: Quality) -> CostMeter:
        """The job's meter: its preset budget, less what earlier attempts spent, and no
        more than its user's month has left."""
        spent = Decimal(str(ctx.job.llm_cost_cents))
        budget = job_budget_cents(quality)
        if self._db is not None:
            month = await check_monthly_budget(self._db, ctx.job)  # refuses a spent month
            budget = min(budget, spent + month.remaining_cents)
        return CostMeter(ctx, budget_cents=budget, spent_cents=spent)
