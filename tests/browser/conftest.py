"""Fixtures for browser tests: real Chromium, the sample site on 127.0.0.1, a real database.

``JobHarness`` stands in for the worker's JobContext (the worker is built on another
branch): it writes real progress events, artifacts and pause state to the test
database and lets a test answer ``wait_for_human``. It lives only here so that switching
these tests to the real worker is a one-place change.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import msgspec
import psycopg
import pytest
from psycopg.rows import dict_row

from ghosthands.browser.guard import NetworkPolicy
from ghosthands.browser.provider import ChromiumProvider
from ghosthands.config import Settings, load_settings
from ghosthands.jobs.budgets import action_limit
from ghosthands.jobs.contract import HandlerResult, HumanResolution, JobFailure, JobSpec
from ghosthands.jobs.errors import ErrorCode
from ghosthands.sample_site import SampleSite, create_app
from ghosthands.sample_site.server import SiteServer

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def sample_site() -> Iterator[tuple[SampleSite, SiteServer]]:
    site = SampleSite()
    with SiteServer(create_app(site)) as server:
        yield site, server


def browser_settings(**env: str) -> Settings:
    return load_settings(
        {
            "GH_BROWSER_HEADLESS": "true",
            "GH_BROWSER_EXECUTABLE": CHROMIUM,
            "GH_BROWSER_TIMEOUT_SECONDS": "10",
            **env,
        }
    )


@pytest.fixture
async def provider(
    sample_site: tuple[SampleSite, SiteServer], resume_server: str
) -> AsyncIterator[ChromiumProvider]:
    """The production policy (private networks blocked) plus the test servers' host:port."""
    _, server = sample_site
    allowed = frozenset({server.host_port, *_resume_hosts})
    policy = NetworkPolicy(allow_private_networks=False, allowed_hosts=allowed)
    async with ChromiumProvider(browser_settings(), policy=policy) as chromium:
        yield chromium


class JobHarness:
    """A JobContext for one job, backed by the real test database."""

    def __init__(self, conn: psycopg.AsyncConnection[Any], job: JobSpec, browser: Any) -> None:
        self.conn = conn
        self.job = job
        self.browser = browser
        #: Answers wait_for_human hands out, in order; None = nobody answers (timeout).
        self.human: list[HumanResolution | None] = []
        self.hitl_timeout = 1.0
        self.pauses: list[dict[str, Any]] = []
        self.actions = 0

    async def progress(self, step: str, message: str = "", **data: Any) -> None:
        await self.conn.execute(
            "INSERT INTO gh_job_events (job_id, event_type, message, metadata, actor) "
            "VALUES (%s, 'progress', %s, %s::jsonb, 'test-worker')",
            (self.job.id, message or step, json.dumps({"step": step, **data}, default=str)),
        )

    async def save_artifact(self, kind: str, name: str, content_type: str, content: bytes) -> str:
        cur = await self.conn.execute(
            "INSERT INTO gh_artifacts (job_id, kind, name, content_type, size_bytes, content) "
            "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (self.job.id, kind, name, content_type, len(content), content),
        )
        row = await cur.fetchone()
        assert row is not None
        return f"/api/v1/gh/jobs/{self.job.id}/artifacts/{row['id']}"

    async def wait_for_human(
        self,
        interaction_type: str,
        interaction_data: dict[str, Any],
        screenshot: bytes | None = None,
        timeout_seconds: float | None = None,
    ) -> HumanResolution:
        url = None
        if screenshot is not None:
            url = await self.save_artifact(
                "screenshot", f"{interaction_type}.png", "image/png", screenshot
            )
        await self.conn.execute(
            "UPDATE gh_automation_jobs SET status = 'paused', interaction_type = %s, "
            "interaction_data = %s::jsonb, paused_at = now() WHERE id = %s",
            (interaction_type, json.dumps(interaction_data), self.job.id),
        )
        cur = await self.conn.execute(
            "SELECT status, interaction_type FROM gh_automation_jobs WHERE id = %s", (self.job.id,)
        )
        row = await cur.fetchone()
        assert row is not None
        self.pauses.append(
            {
                "type": interaction_type,
                "data": interaction_data,
                "screenshot": screenshot,
                "url": url,
                "row": f"{row['status']}:{row['interaction_type']}",
            }
        )
        answer = self.human.pop(0) if self.human else None
        if answer is None:
            await anyio.sleep(timeout_seconds or self.hitl_timeout)
            raise JobFailure(ErrorCode.HITL_TIMEOUT, "nobody resolved the blocker in time")
        await self.conn.execute(
            "UPDATE gh_automation_jobs SET status = 'running', interaction_type = NULL, "
            "interaction_data = NULL, paused_at = NULL WHERE id = %s",
            (self.job.id,),
        )
        return answer

    async def record_llm_usage(
        self, model: str, input_tokens: int, output_tokens: int, cost_cents: float
    ) -> None:
        raise AssertionError("the form engine must not call a model")

    async def count_action(self, n: int = 1) -> None:
        self.actions += n
        if self.actions > action_limit(self.job.job_type):
            raise JobFailure(ErrorCode.ACTION_LIMIT_EXCEEDED, "too many actions")

    # -- what tests read back ------------------------------------------------------

    async def steps(self) -> list[str]:
        cur = await self.conn.execute(
            "SELECT metadata->>'step' AS step FROM gh_job_events "
            "WHERE job_id = %s AND event_type = 'progress' ORDER BY id",
            (self.job.id,),
        )
        return [row["step"] for row in await cur.fetchall()]

    async def artifacts(self) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            "SELECT name, content_type, size_bytes, content FROM gh_artifacts "
            "WHERE job_id = %s ORDER BY created_at",
            (self.job.id,),
        )
        return list(await cur.fetchall())


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    conn = await psycopg.AsyncConnection.connect(
        database_url, autocommit=True, row_factory=dict_row
    )
    try:
        yield conn
    finally:
        await conn.close()


async def insert_job(
    conn: psycopg.AsyncConnection[Any], job_type: str, target_url: str, input_data: dict[str, Any]
) -> JobSpec:
    user_id = uuid.uuid4()
    attempt = uuid.uuid4()
    cur = await conn.execute(
        "INSERT INTO gh_automation_jobs (user_id, job_type, target_url, input_data, status, "
        "execution_attempt_id, started_at) VALUES (%s, %s, %s, %s::jsonb, 'running', %s, now()) "
        "RETURNING id",
        (user_id, job_type, target_url, json.dumps(input_data), attempt),
    )
    row = await cur.fetchone()
    assert row is not None
    return JobSpec(
        id=row["id"],
        job_type=job_type,
        user_id=user_id,
        target_url=target_url,
        task_description="",
        input_data=input_data,
        timeout_seconds=300,
        retry_count=0,
        max_retries=3,
        execution_attempt_id=attempt,
    )


RunJob = Callable[..., Any]


@pytest.fixture
def run_job(db: psycopg.AsyncConnection[Any], provider: ChromiumProvider) -> RunJob:
    """``await run_job(handler, url, input_data, human=[...])`` -> (outcome, harness)."""

    async def run(
        handler: Any,
        url: str,
        input_data: dict[str, Any],
        *,
        human: list[HumanResolution | None] | None = None,
        chromium: ChromiumProvider | None = None,
        prepare: Callable[[JobHarness], Any] | None = None,
    ) -> tuple[HandlerResult | JobFailure, JobHarness]:
        job = await insert_job(db, handler.job_type, url, input_data)
        params = msgspec.convert(input_data, handler.input_type)
        async with (chromium or provider).session(job) as session:
            harness = JobHarness(db, job, session)
            harness.human = list(human or [])
            if prepare is not None:
                prepare(harness)
            try:
                outcome: HandlerResult | JobFailure = await handler.run(harness, params)
            except JobFailure as exc:
                outcome = exc
        return outcome, harness

    return run


@pytest.fixture
def resume_server() -> Iterator[str]:
    """A URL on 127.0.0.1 serving the sample resume (allowed explicitly, like the site)."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from ghosthands.sample_site import sample_resume_pdf

    async def resume(request: Any) -> Response:
        return Response(sample_resume_pdf(), media_type="application/pdf")

    with SiteServer(Starlette(routes=[Route("/files/resume.pdf", resume)])) as server:
        _resume_hosts.add(server.host_port)
        yield f"{server.url}/files/resume.pdf"
        _resume_hosts.discard(server.host_port)


_resume_hosts: set[str] = set()
