"""The network guard: what a job's browser may reach, in real Chromium.

The test site is on 127.0.0.1 like everything here, so the guard runs with the
production policy (private networks NOT allowed) plus an explicit allow-list holding
exactly the site's host:port. Any other loopback port, and the metadata address, must
be refused - as a subresource, through a redirect, by fetch() and as a navigation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ghosthands.browser.guard import NetworkPolicy
from ghosthands.browser.provider import ChromiumProvider
from ghosthands.handlers.scrape import ScrapeHandler
from ghosthands.jobs.contract import HandlerResult, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.netguard import blocked_reason, classify_address
from ghosthands.sample_site.server import SiteServer
from ghosthands.worker.testing import JobBench
from tests.browser.conftest import browser_settings

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "metadata"),
        ("::ffff:169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("169.254.1.1", "link_local"),
        ("127.0.0.1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("100.64.0.1", "private"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("8.8.8.8", "public"),
    ],
)
def test_classify(address: str, kind: str) -> None:
    assert classify_address(address) == kind


def test_metadata_stays_blocked_when_private_networks_are_allowed() -> None:
    assert blocked_reason("169.254.169.254", allow_private_networks=True) == "metadata"
    assert blocked_reason("127.0.0.1", allow_private_networks=True) is None
    assert blocked_reason("127.0.0.1", allow_private_networks=False) == "loopback"
    assert blocked_reason("8.8.8.8", allow_private_networks=False) is None


@pytest.fixture
def internal() -> Iterator[tuple[SiteServer, list[str]]]:
    """An "internal service" on another loopback port that must never be reached."""
    hits: list[str] = []
    lock = threading.Lock()

    async def anything(request: Request) -> Response:
        with lock:
            hits.append(request.url.path)
        return Response("internal secret", media_type="text/plain")

    app = Starlette(routes=[Route("/{path:path}", anything)])
    with SiteServer(app) as server:
        yield server, hits


@pytest.fixture
def attacker(internal: tuple[SiteServer, list[str]]) -> Iterator[SiteServer]:
    internal_url = internal[0].url

    async def page(request: Request) -> Response:
        return HTMLResponse(
            f"""<title>innocent</title>
            <img src="{internal_url}/pixel.png">
            <img src="/to-internal">
            <iframe src="http://169.254.169.254/latest/meta-data/"></iframe>
            <script>
              fetch("{internal_url}/api/admin", {{method: "POST", mode: "no-cors"}})
                .catch(() => {{}});
              fetch("/to-metadata").catch(() => {{}});
              try {{ new WebSocket("ws://{internal[0].host_port}/ws"); }} catch (e) {{}}
            </script>"""
        )

    async def to_internal(request: Request) -> Response:
        return RedirectResponse(f"{internal_url}/via-redirect", status_code=302)

    async def to_metadata(request: Request) -> Response:
        return RedirectResponse("http://169.254.169.254/latest/meta-data/iam/", status_code=302)

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/to-internal", to_internal),
            Route("/to-metadata", to_metadata),
        ]
    )
    with SiteServer(app) as server:
        yield server


async def test_subresources_redirects_fetch_and_websockets_are_refused(
    attacker: SiteServer, internal: tuple[SiteServer, list[str]], bench: JobBench
) -> None:
    internal_server, hits = internal
    policy = NetworkPolicy(
        allow_private_networks=False, allowed_hosts=frozenset({attacker.host_port})
    )
    async with ChromiumProvider(browser_settings(), policy=policy) as chromium:
        ctx = await bench.start("scrape", f"{attacker.url}/")
        async with chromium.session(ctx.job) as ctx.browser:
            result = await ScrapeHandler().run(ctx, ScrapeHandler.input_type())
            await ctx.browser.page.wait_for_timeout(300)  # let the page's late requests happen
        assert isinstance(result, HandlerResult)
        assert result.result_data["title"] == "innocent"

        # A navigation that redirects to the internal service fails the job clearly.
        ctx = await bench.start("scrape", f"{attacker.url}/to-internal")
        async with chromium.session(ctx.job) as ctx.browser:
            with pytest.raises(JobFailure) as failure:
                await ScrapeHandler().run(ctx, ScrapeHandler.input_type())
        assert failure.value.code == ErrorCode.BLOCKED_ADDRESS

        refused = {(b.host, b.port, b.reason) for b in chromium.guard.blocked}
    assert hits == []  # not one request reached the internal service
    assert ("127.0.0.1", internal_server.port, "loopback") in refused
    assert ("169.254.169.254", 80, "metadata") in refused


async def test_production_default_refuses_loopback_targets(
    attacker: SiteServer, bench: JobBench
) -> None:
    async with ChromiumProvider(browser_settings(), policy=NetworkPolicy()) as chromium:
        for url in (f"{attacker.url}/", "http://169.254.169.254/", "file:///etc/passwd"):
            ctx = await bench.start("scrape", url)
            async with chromium.session(ctx.job) as ctx.browser:
                with pytest.raises(JobFailure) as failure:
                    await ScrapeHandler().run(ctx, ScrapeHandler.input_type())
            assert failure.value.code == ErrorCode.BLOCKED_ADDRESS, url
