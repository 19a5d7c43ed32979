"""``/monitoring/dashboard`` in headless Chromium: the numbers on the page are the
database's, the charts are drawn, and the page loads nothing but itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.api.fleet import EXPECTED, seed_fleet

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_dashboard_shows_the_database_figures(start_api: Any, browser: Browser) -> None:
    api = start_api(GH_STALE_SECONDS="120")
    seed_fleet(api)
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    response = page.goto(f"{api.base_url}/monitoring/dashboard")
    assert response is not None and response.status == 200
    assert "script-src" not in response.headers["content-security-policy"]

    def figure(name: str) -> float:
        text = page.locator(f'[data-figure="{name}"]').inner_text()
        return float(text)

    # Read back against the database, queried here independently of the page's SQL.
    by_status = {
        r["status"]: r["n"]
        for r in api.sql("SELECT status, count(*)::int AS n FROM gh_automation_jobs GROUP BY 1")
    }
    for status in ("pending", "queued", "running", "paused", "awaiting_review"):
        assert figure(f"queue.{status}") == by_status.get(status, 0)
    assert figure("queue.pending") == EXPECTED["pending"]
    assert figure("queue.total") == EXPECTED["pending"] + EXPECTED["running"]

    cost = api.sql(
        "SELECT sum(llm_cost_cents)::float8 AS c FROM gh_automation_jobs "
        "WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    )[0]["c"]
    assert figure("cost.today_cents") == pytest.approx(cost) == EXPECTED["cost_cents_today"]
    assert figure("today.completed") == EXPECTED["completed"]
    assert figure("today.failed") == EXPECTED["failed"]

    failures = {
        r["error_code"]: r["n"]
        for r in api.sql(
            "SELECT error_code, count(*)::int AS n FROM gh_automation_jobs WHERE status = 'failed'"
            " AND completed_at > now() - interval '1 day' GROUP BY 1"
        )
    }
    assert failures == EXPECTED["failures"]
    for code, n in failures.items():
        assert figure(f"failures.{code}") == n
    assert figure("failures.total") == sum(failures.values())

    assert figure("workers.registered") == 2  # the offline one is not shown
    assert figure("workers.live") == 1
    assert page.locator('[data-worker="w-gone"]').count() == 0
    assert figure("worker.w-live.heartbeat_age") < 60
    assert figure("worker.w-stale.heartbeat_age") > EXPECTED["stale_worker_age_min"]
    assert "(stale)" in page.locator('[data-worker="w-stale"]').inner_text()
    assert figure("worker.w-live.jobs") == 1

    # The charts are drawn: one bar per queue status, per failing code, per worker.
    assert page.locator('svg[data-chart="queue"] rect').count() == 5
    assert page.locator('svg[data-chart="failures"] rect').count() == len(failures)
    assert page.locator('svg[data-chart="heartbeat_age"] rect').count() == 2
    box = page.locator('svg[data-chart="queue"]').bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50

    # A change in the database shows on the next load.
    api.sql("UPDATE gh_automation_jobs SET status = 'cancelled' WHERE status = 'pending'")
    page.reload()
    assert figure("queue.pending") == 0
    assert figure("queue.total") == EXPECTED["running"]

    assert requested == [f"{api.base_url}/monitoring/dashboard"] * 2  # nothing else loaded
    assert console_errors == []
    page.close()


def test_dashboard_says_when_the_database_is_unreachable(start_api: Any, browser: Browser) -> None:
    from tests.support import free_port

    api = start_api(DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere")
    page = browser.new_page()
    response = page.goto(f"{api.base_url}/monitoring/dashboard", timeout=20_000)
    assert response is not None and response.status == 200
    assert page.locator('[data-figure="database"]').inner_text() == "down"
    page.close()
