"""``scrape`` on a hostile page: what it reads is bounded whatever the page holds."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from ghosthands.browser.guard import NetworkPolicy
from ghosthands.browser.provider import ChromiumProvider
from ghosthands.handlers.registry import HandlerRegistry
from ghosthands.handlers.scrape import MAX_FIELD_CHARS, ScrapeHandler
from ghosthands.jobs.contract import HandlerResult, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.sample_site.server import SiteServer
from ghosthands.worker.testing import JobBench
from tests.browser.conftest import browser_settings

pytestmark = pytest.mark.anyio

HUGE = "word " * 400_000  # 2 MB of text


async def huge_page(request: object) -> HTMLResponse:
    links = "".join(f'<a href="/x{i}">{"link " * 200}</a>' for i in range(2000))
    items = "".join(f"<li>{'item ' * 2000}</li>" for i in range(300))
    metas = "".join(f'<meta name="m{i}" content="{"c" * 5000}">' for i in range(500))
    return HTMLResponse(
        f"<html><head><title>{'T' * 10_000}</title>{metas}</head>"
        f"<body><ul>{items}</ul>{links}<p>{HUGE}</p></body></html>"
    )


@pytest.fixture
def hostile() -> Iterator[SiteServer]:
    with SiteServer(Starlette(routes=[Route("/", huge_page)])) as server:
        yield server


async def test_a_huge_page_gives_a_bounded_result(hostile: SiteServer, bench: JobBench) -> None:
    policy = NetworkPolicy(
        allow_private_networks=False, allowed_hosts=frozenset({hostile.host_port})
    )
    data = {"selectors": {"items": "li", "all": "*"}, "max_text_chars": MAX_FIELD_CHARS}
    async with ChromiumProvider(browser_settings(), policy=policy) as chromium:
        ctx = await bench.start("scrape", f"{hostile.url}/", data)
        async with chromium.session(ctx.job) as ctx.browser:
            result = await ScrapeHandler().run(ctx, msgspec.convert(data, ScrapeHandler.input_type))
    assert isinstance(result, HandlerResult)
    size = len(msgspec.json.encode(result.result_data))
    assert size < 1_500_000, size  # the page held well over 20 MB of text
    assert result.result_data["truncated"] is True
    assert len(result.result_data["title"]) == 500
    assert len(result.result_data["meta"]) == 100
    assert all(len(v) <= 1000 for v in result.result_data["meta"].values())


def test_scrape_input_limits_are_refused_before_any_work() -> None:
    registry = HandlerRegistry()
    handler = ScrapeHandler()
    for bad in (
        {"max_text_chars": MAX_FIELD_CHARS + 1},
        {"selectors": {f"s{i}": "p" for i in range(51)}},
    ):
        with pytest.raises(JobFailure) as caught:
            registry.decode_input(handler, bad)
        assert caught.value.code == ErrorCode.INVALID_INPUT
