"""One browser task for a job, the way every LLM-driven handler runs it: replay a healthy
recorded manual when the site has one (no model call), hand over to the agent at the
first mismatch or when there is none, and record the steps of a successful agent run.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import msgspec
from playwright.async_api import Page

from ghosthands.config import Settings
from ghosthands.handlers.base import JobContext
from ghosthands.jobs.budgets import Quality
from ghosthands.llm.actions import Step
from ghosthands.llm.agent import Agent, AgentConfig
from ghosthands.llm.catalogue import Catalogue
from ghosthands.llm.cost import CostMeter, job_budget_cents
from ghosthands.llm.manuals import MIN_HEALTH, ManualStore, replay
from ghosthands.llm.providers import RetryPolicy, open_client
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
        catalogue: Catalogue | None = None,
        manuals: ManualStore | None = None,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        config: AgentConfig | None = None,
    ) -> None:
        self._settings = settings
        self._catalogue = catalogue or Catalogue.from_settings(settings)
        self._manuals = manuals
        self._http = http
        self._retry = retry
        self.config = config or AgentConfig()

    async def run(
        self,
        ctx: JobContext,
        page: Page,
        *,
        task: str,
        model: str | None = None,
        quality: Quality = Quality.BALANCED,
        data: dict[str, str] | None = None,
        files: dict[str, Path] | None = None,
        use_manual: bool = True,
        max_steps: int | None = None,
    ) -> TaskResult:
        """Do ``task`` on ``page`` (already at the job's target URL)."""
        job = ctx.job
        spec = self._catalogue.resolve(model)  # refused before any work when unpriced
        meter = CostMeter(ctx, budget_cents=job_budget_cents(quality))
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
