"""One job run in-process: the hard timeout, the browser provider, error classification."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import msgspec
import pytest

from ghosthands.config import Settings
from ghosthands.db.pool import Database
from ghosthands.handlers.registry import HandlerRegistry
from ghosthands.jobs.contract import JobFailure, JobSpec
from ghosthands.jobs.errors import ErrorCode
from ghosthands.netguard import BlockedAddressError
from ghosthands.worker.classify import classify, is_retryable
from ghosthands.worker.context import RunningJob
from ghosthands.worker.runner import Outcome
from ghosthands.worker.worker import Worker
from tests.worker.helpers import insert_job, status_of
from tests.worker.plugin_handlers import NeedsBrowserHandler, SlowHandler

pytestmark = pytest.mark.anyio


class FakeBrowser:
    def __init__(self) -> None:
        self.sessions: list[str] = []

    @asynccontextmanager
    async def session(self, job: JobSpec) -> AsyncIterator[Any]:
        self.sessions.append(f"open {job.id}")
        yield "the-browser"
        self.sessions.append(f"close {job.id}")


@pytest.fixture
async def worker(database_url: str) -> AsyncIterator[Worker]:
    settings = Settings(database_url=database_url, worker_port=0)
    db = Database(settings, pool_size=2, name="test")
    await db.open()
    registry = HandlerRegistry()
    registry.register(SlowHandler())
    registry.register(NeedsBrowserHandler())
    yield Worker(settings, db, registry=registry, browser=FakeBrowser())
    await db.close()


async def _claim(worker: Worker) -> RunningJob:
    claimed = await worker.queue.claim(1, worker_prefix="worker", preferred_grace_seconds=0)
    return RunningJob(claimed[0].spec)


async def test_timeout_seconds_is_a_hard_limit(worker: Worker, database_url: str) -> None:
    insert_job(database_url, job_type="test_slow", input_data={"seconds": 30})
    handle = await _claim(worker)
    # The schema allows no less than 30 s; the limit itself is what is under test.
    handle.spec = msgspec.structs.replace(handle.spec, timeout_seconds=1)
    with anyio.fail_after(5):
        outcome, failure = await worker.runner.execute(handle)
    assert outcome is Outcome.FAILED
    assert isinstance(failure, JobFailure) and failure.code is ErrorCode.TIMEOUT
    assert is_retryable(failure)


async def test_browser_handlers_get_the_providers_session(
    worker: Worker, database_url: str
) -> None:
    job_id = insert_job(database_url, job_type="test_browser")
    handle = await _claim(worker)
    outcome, result = await worker.runner.execute(handle)
    assert outcome is Outcome.SUCCEEDED and result.result_data == {"browser": "'the-browser'"}
    assert worker.browser.sessions == [f"open {job_id}", f"close {job_id}"]  # type: ignore[union-attr]
    await worker.runner.finish(handle, outcome, result)
    assert status_of(database_url, job_id) == "completed"


def test_classification() -> None:
    request = httpx.Request("GET", "http://x")
    cases: list[tuple[BaseException, ErrorCode, bool]] = [
        (TimeoutError(), ErrorCode.TIMEOUT, True),
        (httpx.ConnectError("refused", request=request), ErrorCode.NETWORK_ERROR, True),
        (
            httpx.HTTPStatusError(
                "429", request=request, response=httpx.Response(429, request=request)
            ),
            ErrorCode.RATE_LIMITED,
            True,
        ),
        (BlockedAddressError("h", "127.0.0.1"), ErrorCode.BLOCKED_ADDRESS, False),
        (type("TargetClosedError", (Exception,), {})(), ErrorCode.BROWSER_CRASHED, True),
        (ExceptionGroup("g", [ConnectionResetError()]), ErrorCode.NETWORK_ERROR, True),
        (KeyError("x"), ErrorCode.INTERNAL_ERROR, True),
        (JobFailure(ErrorCode.CAPTCHA_BLOCKED, "wall"), ErrorCode.CAPTCHA_BLOCKED, False),
        (
            JobFailure(ErrorCode.CAPTCHA_BLOCKED, "wall", retryable=True),
            ErrorCode.CAPTCHA_BLOCKED,
            True,
        ),
    ]
    for exc, code, retryable in cases:
        failure = classify(exc)
        assert (failure.code, is_retryable(failure)) == (code, retryable), exc


async def test_heartbeat_stops_a_cancelled_job_when_no_notification_came(
    worker: Worker, database_url: str
) -> None:
    from ghosthands.worker.context import StopReason
    from tests.worker.helpers import execute

    job_id = insert_job(database_url, job_type="test_slow", input_data={"seconds": 30})
    handle = await _claim(worker)
    worker.running[handle.spec.id] = handle
    results: list[tuple[Outcome, Any]] = []

    async def run() -> None:
        results.append(await worker.runner.execute(handle))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            worker._services = tg  # the listener is not running: only the heartbeat can tell
            tg.start_soon(run)
            while status_of(database_url, job_id) != "running":
                await anyio.sleep(0.02)
            # In a thread: the runner's own transaction must be free to commit meanwhile.
            await anyio.to_thread.run_sync(
                execute, database_url, "UPDATE gh_automation_jobs SET status = 'cancelled'"
            )
            await worker._heartbeat_once()
    assert results == [(Outcome.STOPPED, StopReason.CANCELLED)]
