"""A job waiting for a person beyond the worker's cap of paused contexts gives its browser
context up (cookies, storage and URL kept) and goes on in a restored one.

Through the worker's own job context with ``keep_browser`` saying no, as the worker says
when ``GH_MAX_PAUSED_JOBS`` contexts are already open: the sample site's portal (login,
then a one-time code, held in the site's cookies) and the submit gate.
"""

from __future__ import annotations

from typing import Any

import pytest

from ghosthands.handlers.apply import ApplyHandler
from ghosthands.jobs.contract import HandlerResult, HumanResolution
from ghosthands.sample_site import SAMPLE_PROFILE, SAMPLE_QA_ANSWERS
from ghosthands.sample_site.app import PORTAL_CODE, PORTAL_PASSWORD, PORTAL_USER

pytestmark = pytest.mark.anyio


class Suspensions:
    """Makes the job's context give its browser up at every pause, and records it."""

    def __init__(self) -> None:
        self.closed_while_waiting: list[bool] = []
        self.restored = 0

    def prepare(self, ctx: Any) -> None:
        ctx.handle.keep_browser = lambda: False
        session = ctx.browser
        suspend, restore = session.suspend, session.restore

        async def suspending() -> bool:
            done: bool = await suspend()
            self.closed_while_waiting.append(done and session.context is None)
            return done

        async def restoring() -> None:
            await restore()
            self.restored += 1

        session.suspend, session.restore = suspending, restoring


async def test_login_and_code_given_while_the_context_was_closed(
    sample_site, run_job, resume_server
) -> None:
    site, server = sample_site
    seen = Suspensions()
    result, ctx = await run_job(
        ApplyHandler(),
        f"{server.url}/portal/apply",
        {"user_data": SAMPLE_PROFILE, "resume": {"download_url": resume_server}},
        human=[
            HumanResolution(action="credentials", username=PORTAL_USER, password=PORTAL_PASSWORD),
            HumanResolution(action="code", code=PORTAL_CODE),
        ],
        prepare=seen.prepare,
    )
    assert isinstance(result, HandlerResult), result
    assert [p["type"] for p in ctx.pauses] == ["login", "two_factor"]
    assert seen.closed_while_waiting == [True, True]
    assert seen.restored == 2
    # The person's answers were used on the restored pages, not asked for again.
    assert site.logins == 1
    assert [s.fields for s in site.received("portal")] == [
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada.lovelace@example.com"}
    ]
    assert ctx.handle.suspended is False


async def test_an_approved_review_fills_the_restored_page_again_and_submits_once(
    sample_site, run_job, resume_server
) -> None:
    site, server = sample_site
    seen = Suspensions()
    data = {
        "user_data": SAMPLE_PROFILE,
        "qa_answers": SAMPLE_QA_ANSWERS,
        "resume": {"download_url": resume_server, "filename": "ada-lovelace-resume.pdf"},
        "execution_mode": "review_before_submit",
    }
    result, ctx = await run_job(
        ApplyHandler(),
        f"{server.url}/apply/classic",
        data,
        human=[HumanResolution(action="continue")],
        prepare=seen.prepare,
    )
    assert isinstance(result, HandlerResult), result
    assert [p["type"] for p in ctx.pauses] == ["review_before_submit"]  # asked once
    assert seen.closed_while_waiting == [True]
    [received] = site.received("classic")
    assert received.fields["first_name"] == "Ada"
    assert result.result_data["submitted"] is True
    steps = await ctx.steps()
    assert steps.count("awaiting_approval") == 1
    assert steps.count("navigating") == 2  # the restored page was filled again
    assert steps.index("approved") < steps.index("submitted")
