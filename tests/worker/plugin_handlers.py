"""Handlers that exist only for tests, loaded by worker processes through the real
``ghosthands.handlers`` entry-point group (see ``plugin_env`` in conftest.py).

They are never reachable in production: no installed distribution declares them; the
test writes a throwaway ``.dist-info`` onto the worker's PYTHONPATH.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

import anyio
import msgspec

from ghosthands.jobs.contract import HandlerResult, JobContext, JobFailure
from ghosthands.jobs.errors import ErrorCode


class SlowInput(msgspec.Struct):
    seconds: float = 1.0
    #: How long the first attempt (retry_count 0) sleeps instead, when set.
    first_attempt_seconds: float | None = None


class SlowHandler:
    """Sleeps, reporting progress: a job that is "running" for as long as a test needs."""

    job_type: ClassVar[str] = "test_slow"
    input_type: ClassVar[type[msgspec.Struct]] = SlowInput
    needs_browser: ClassVar[bool] = False

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        seconds = params.seconds
        if params.first_attempt_seconds is not None and ctx.job.retry_count == 0:
            seconds = params.first_attempt_seconds
        await ctx.progress("sleeping", seconds=seconds)
        await anyio.sleep(seconds)
        await ctx.progress("woke")
        return HandlerResult(result_data={"slept": seconds}, summary="slept")


class SubmitInput(msgspec.Struct):
    seconds: float = 60.0


class SubmitHandler:
    """Reports that the form was submitted, then hangs (the worker is killed meanwhile)."""

    job_type: ClassVar[str] = "test_submit"
    input_type: ClassVar[type[msgspec.Struct]] = SubmitInput
    needs_browser: ClassVar[bool] = False

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        await ctx.progress("submitted")
        await anyio.sleep(params.seconds)
        return HandlerResult(summary="submitted")


class FailInput(msgspec.Struct):
    code: str = "network_error"
    #: Succeed from this attempt on (0-based retry_count); None: always fail.
    succeed_on_retry: int | None = None


class FailHandler:
    """Fails with the given error code (to exercise classification and retries)."""

    job_type: ClassVar[str] = "test_fail"
    input_type: ClassVar[type[msgspec.Struct]] = FailInput
    needs_browser: ClassVar[bool] = False

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        if params.succeed_on_retry is not None and ctx.job.retry_count >= params.succeed_on_retry:
            return HandlerResult(result_data={"retry_count": ctx.job.retry_count}, summary="ok")
        if params.code == "crash":
            raise RuntimeError("handler bug")
        if params.code == "leak":  # a library error quoting the worker's secrets
            raise RuntimeError(
                f"could not connect to {os.environ.get('DATABASE_URL')} "
                f"(model key {os.environ.get('OPENAI_API_KEY')})"
            )
        raise JobFailure(ErrorCode(params.code), f"failing with {params.code}")


class UsageInput(msgspec.Struct):
    calls: int = 2
    cost_cents: float = 1.5
    tokens: int = 100
    actions: int = 3


class UsageHandler:
    """Records model usage and browser actions through the context."""

    job_type: ClassVar[str] = "test_usage"
    input_type: ClassVar[type[msgspec.Struct]] = UsageInput
    needs_browser: ClassVar[bool] = False

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        for _ in range(params.calls):
            await ctx.record_llm_usage(
                "test-model", params.tokens, params.tokens, params.cost_cents
            )
        for _ in range(params.actions):
            await ctx.count_action()
        url = await ctx.save_artifact("screenshot", "final.png", "image/png", b"\x89PNG fake")
        return HandlerResult(result_data={"artifact": url}, summary="used")


class HumanInput(msgspec.Struct):
    timeout_seconds: float | None = None


class HumanHandler:
    """Pauses for a human and reports what they answered."""

    job_type: ClassVar[str] = "test_human"
    input_type: ClassVar[type[msgspec.Struct]] = HumanInput
    needs_browser: ClassVar[bool] = False

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        answer = await ctx.wait_for_human(
            "2fa",
            {"hint": "enter the code"},
            screenshot=b"\x89PNG wall",
            timeout_seconds=params.timeout_seconds,
        )
        return HandlerResult(result_data={"action": answer.action, "code": answer.code})


class BrowserInput(msgspec.Struct):
    pass


class NeedsBrowserHandler:
    job_type: ClassVar[str] = "test_browser"
    input_type: ClassVar[type[msgspec.Struct]] = BrowserInput
    needs_browser: ClassVar[bool] = True

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        return HandlerResult(result_data={"browser": repr(ctx.browser)})


ENTRY_POINTS = {
    "test_slow": "SlowHandler",
    "test_submit": "SubmitHandler",
    "test_fail": "FailHandler",
    "test_usage": "UsageHandler",
    "test_human": "HumanHandler",
    "test_browser": "NeedsBrowserHandler",
}
