"""Fixtures for browser tests: real Chromium, the sample site on 127.0.0.1, a real database,
and handlers run through the worker's own job context (``ghosthands.worker.testing``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import msgspec
import pytest

from ghosthands.browser.guard import NetworkPolicy
from ghosthands.browser.provider import ChromiumProvider
from ghosthands.config import Settings, load_settings
from ghosthands.db.pool import Database
from ghosthands.jobs.contract import HandlerResult, HumanResolution, JobFailure
from ghosthands.sample_site import SampleSite, create_app
from ghosthands.sample_site.server import SiteServer
from ghosthands.worker.testing import HumanScript, JobBench, TestJobContext

# model_server(respond): a scripted model endpoint on 127.0.0.1, closed after the test.
from tests.llm.conftest import local_server as model_server  # noqa: F401

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


@pytest.fixture
async def bench(database_url: str) -> AsyncIterator[JobBench]:
    """Jobs started the way the worker starts them (``ghosthands.worker.testing``).

    A person's answer reaches a paused job in well under a second, and a pause nobody
    answers times out after one."""
    settings = load_settings(
        {
            "DATABASE_URL": database_url,
            "GH_HITL_TIMEOUT_SECONDS": "1",
            "GH_POLL_SECONDS": "0.05",
        }
    )
    db = Database(settings, pool_size=4, name="test")
    await db.open()
    try:
        yield JobBench(db, settings)
    finally:
        await db.close()


RunJob = Callable[..., Any]


@pytest.fixture
def run_job(bench: JobBench, provider: ChromiumProvider) -> RunJob:
    """``await run_job(handler, url, input_data, human=[...])`` -> (outcome, context)."""

    async def run(
        handler: Any,
        url: str,
        input_data: dict[str, Any],
        *,
        human: list[HumanResolution | None] | HumanScript | None = None,
        chromium: ChromiumProvider | None = None,
        prepare: Callable[[TestJobContext], Any] | None = None,
        user_id: uuid.UUID | None = None,
    ) -> tuple[HandlerResult | JobFailure, TestJobContext]:
        ctx = await bench.start(
            handler.job_type, url, input_data, human=human or [], user_id=user_id
        )
        params = msgspec.convert(input_data, handler.input_type)
        async with (chromium or provider).session(ctx.job) as session:
            ctx.browser = session
            if prepare is not None:
                prepare(ctx)
            try:
                outcome: HandlerResult | JobFailure = await handler.run(ctx, params)
            except JobFailure as exc:
                outcome = exc
        return outcome, ctx

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
