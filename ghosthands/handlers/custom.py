"""``custom``: do what ``task_description`` says on ``target_url``, with the LLM agent
(or a recorded manual of the same task on the same site).

``input_data``: ``model`` (catalogue alias or priced ``provider:model-id``; default
``GH_DEFAULT_MODEL``), ``quality`` (speed | balanced | quality: the job's LLM budget),
``max_steps``, ``data`` (values the agent may type, by placeholder name) and
``use_manual``. Unknown fields (``tier``, ``platform``, ...) are ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from playwright.async_api import Page

from ghosthands.jobs.budgets import Quality
from ghosthands.jobs.contract import HandlerResult, JobContext, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.task import TaskRunner


class CustomInput(msgspec.Struct):
    model: str | None = None
    quality: Quality = Quality.BALANCED
    max_steps: Annotated[int, msgspec.Meta(ge=1, le=100)] = 25
    data: dict[str, Annotated[str, msgspec.Meta(max_length=2000)]] = {}
    use_manual: bool = True


async def page_of(browser: Any) -> Page:
    """The page to drive from what the worker put in ``ctx.browser``: a Playwright page,
    a browser context (its first page, or a new one), or an object with a ``page``."""
    if isinstance(browser, Page):
        return browser
    page = getattr(browser, "page", None)
    if isinstance(page, Page):
        return page
    if hasattr(browser, "new_page") and hasattr(browser, "pages"):
        pages = browser.pages
        found = pages[0] if pages else await browser.new_page()
        if isinstance(found, Page):
            return found
    raise JobFailure(ErrorCode.INTERNAL_ERROR, "the custom handler was given no browser page")


class CustomHandler:
    job_type: ClassVar[str] = "custom"
    input_type: ClassVar[type[msgspec.Struct]] = CustomInput
    needs_browser: ClassVar[bool] = True

    def __init__(self, runner: TaskRunner) -> None:
        self._runner = runner

    async def run(self, ctx: JobContext, params: CustomInput) -> HandlerResult:
        job = ctx.job
        task = job.task_description.strip()
        if not task:
            raise JobFailure(
                ErrorCode.INVALID_INPUT, "a custom job needs a task_description", retryable=False
            )
        page = await page_of(ctx.browser)
        result = await self._runner.run(
            ctx,
            page,
            task=task,
            url=job.target_url,
            model=params.model,
            quality=params.quality,
            data=params.data,
            use_manual=params.use_manual,
            max_steps=params.max_steps,
        )
        return HandlerResult(
            result_data=msgspec.to_builtins(result),
            summary=result.summary,
            final_mode=result.source,
        )
