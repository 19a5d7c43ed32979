"""One browser task for a job, the way every LLM-driven handler runs it: replay a healthy
recorded manual when the site has one (no model call), hand over to the agent at the
first mismatch or when there is none, and record the steps of a successful agent run.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import msgspec
from playwright.async_api import Page

from ghosthands.config import Settings
from ghosthands.jobs.budgets import Quality
from ghosthands.jobs.contract import JobContext
from ghosthands.llm.actions import Step
from ghosthands.llm.agent import Agent, AgentConfig
from ghosthands.llm.catalogue import Catalogue, ModelSpec
from ghosthands.llm.cost import CostMeter
from ghosthands.llm.manuals import MIN_HEALTH, Manual, replay, task_key, url_pattern
from ghosthands.llm.providers import ProviderClient, RetryPolicy, open_client
from ghosthands.logs import get_logger

if TYPE_CHECKING:  # handed in by the worker, which owns the database
    from ghosthands.db.manuals import ManualStore

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
        manuals: ManualStore | None = None,
        catalogue: Catalogue | None = None,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        config: AgentConfig | None = None,
    ) -> None:
        """``manuals`` enables recording and replaying manuals; without it every task
        goes to the agent."""
        self._settings = settings
        self._catalogue = catalogue or Catalogue.from_settings(settings)
        self._manuals = manuals
        self._http = http
        self._retry = retry
        self.config = config or AgentConfig()

    @property
    def manuals(self) -> ManualStore | None:
        """Where manuals are recorded (None: nothing is learned)."""
        return self._manuals

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
            row = await self._manuals.find(url_pattern(start_url), job.job_type, task_key(task))
            manual = msgspec.convert(row, Manual) if row is not None else None
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
            steps = msgspec.json.encode(result.steps).decode()
            await self._manuals.save(url_pattern(start_url), job.job_type, task_key(task), steps)
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

    # -- for callers that make their own model calls (the form engine's answers) ---------

    def model(self, name: str | None) -> ModelSpec:
        """The model a job named (None: GH_DEFAULT_MODEL), picked as :meth:`run` picks
        it; an unknown or unpriced one is refused (``invalid_input``)."""
        return self._catalogue.resolve(name)

    async def meter(self, ctx: JobContext, quality: Quality) -> CostMeter:
        """The job's cost meter, built as :meth:`run` builds it."""
        return await self._meter(ctx, quality)

    def client(self, spec: ModelSpec, http: httpx.AsyncClient) -> ProviderClient:
        """A client for ``spec`` with this runner's settings and retries. A missing API
        key raises ``JobFailure(llm_error)`` naming the variable to set."""
        return open_client(spec, self._settings, http, retry=self._retry)

    async def _meter(self, ctx: JobContext, quality: Quality) -> CostMeter:
        """The job's meter: its preset budget, less what earlier attempts spent, and no
        more than its user's month has left (the context refuses a spent month)."""
        budget = await ctx.llm_budget_cents(quality)
        spent = Decimal(str(ctx.job.llm_cost_cents))
        return CostMeter(ctx, budget_cents=budget, spent_cents=spent)
