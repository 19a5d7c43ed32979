"""Blockers pause the job for a person: captcha (skip / timeout), login wall and 2FA."""

from __future__ import annotations

import os
from typing import Any

import pytest

from ghosthands.browser.guard import NetworkPolicy
from ghosthands.browser.provider import ChromiumProvider
from ghosthands.config import Settings
from ghosthands.crypto import KeyRing
from ghosthands.db.credentials import CredentialStore
from ghosthands.db.pool import Database
from ghosthands.handlers.apply import ApplyHandler
from ghosthands.jobs.contract import HandlerResult, HumanResolution, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.sample_site import SAMPLE_PROFILE
from ghosthands.sample_site.app import PORTAL_CODE, PORTAL_PASSWORD, PORTAL_USER
from ghosthands.worker.testing import JobBench
from tests.browser.conftest import browser_settings

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n"


def captcha_input(resume_url: str) -> dict[str, Any]:
    return {"user_data": SAMPLE_PROFILE, "resume": {"download_url": resume_url}}


async def test_captcha_pauses_with_screenshot_and_skip_continues(
    sample_site, run_job, resume_server
) -> None:
    site, server = sample_site
    result, harness = await run_job(
        ApplyHandler(),
        f"{server.url}/apply/captcha",
        captcha_input(resume_server),
        human=[HumanResolution(action="skip")],
    )
    assert isinstance(result, HandlerResult), result
    [pause] = harness.pauses
    assert pause["type"] == "captcha"
    assert pause["screenshot"].startswith(PNG) and len(pause["screenshot"]) > 2000
    assert pause["url"].startswith(f"/api/v1/gh/jobs/{harness.job.id}/artifacts/")
    assert pause["row"] == "paused:captcha"  # the job really was paused while it waited
    [received] = site.received("captcha")
    assert received.fields == {"name": "Ada Lovelace", "email": "ada.lovelace@example.com"}
    assert result.result_data["confirmation_id"] == received.confirmation_id
    steps = await harness.steps()
    assert steps.index("blocked") < steps.index("resumed") < steps.index("submitted")
    names = [a["name"] for a in await harness.artifacts()]
    # One screenshot of the blocker (stored with the pause), one of the end.
    assert sorted(names) == ["captcha.png", "final.png"]


async def test_captcha_without_an_answer_fails_with_hitl_timeout(
    sample_site, run_job, resume_server
) -> None:
    site, server = sample_site
    result, harness = await run_job(
        ApplyHandler(), f"{server.url}/apply/captcha", captcha_input(resume_server), human=[None]
    )
    assert isinstance(result, JobFailure)
    assert result.code == ErrorCode.HITL_TIMEOUT
    assert site.received() == []  # nothing was submitted
    assert "failure.png" in [a["name"] for a in await harness.artifacts()]


async def test_login_wall_and_2fa_resolved_by_a_person_then_session_reused(
    sample_site, resume_server, database_url: str
) -> None:
    """Credentials and a code from /valet/resume get through; the saved session (and the
    credentials) let the next job of the same user go straight to the form."""
    import msgspec

    site, server = sample_site
    settings = Settings(database_url=database_url, poll_seconds=0.05)
    db = Database(settings, pool_size=3, name="test")
    await db.open()
    bench = JobBench(db, settings)
    keyring = KeyRing([os.urandom(32)])
    store = CredentialStore(db, keyring)
    policy = NetworkPolicy(False, frozenset({server.host_port, resume_server.split("/")[2]}))
    url = f"{server.url}/portal/apply"
    data = captcha_input(resume_server)
    try:
        async with ChromiumProvider(browser_settings(), policy=policy, store=store) as chromium:
            harness = await bench.start(
                "apply",
                url,
                data,
                human=[
                    HumanResolution(
                        action="credentials", username=PORTAL_USER, password=PORTAL_PASSWORD
                    ),
                    HumanResolution(action="code", code=PORTAL_CODE),
                ],
            )
            job = harness.job
            async with chromium.session(job) as harness.browser:
                first = await ApplyHandler().run(
                    harness, msgspec.convert(data, ApplyHandler.input_type)
                )
            assert isinstance(first, HandlerResult)
            assert [p["type"] for p in harness.pauses] == ["login", "two_factor"]
            assert "signed_in" in await harness.steps()
            assert site.logins == 1
            # Never written anywhere in the clear:
            async with db.connection() as conn:
                cur = await conn.execute(
                    "SELECT metadata::text AS m FROM gh_job_events "
                    "UNION ALL SELECT coalesce(resume_ref::text, '') FROM gh_automation_jobs"
                )
                assert not any(PORTAL_PASSWORD in r["m"] for r in await cur.fetchall())
            assert await store.get_credentials(job.user_id, "127.0.0.1") == (
                PORTAL_USER,
                PORTAL_PASSWORD,
            )

            # Same user, next job: the saved session is loaded; nobody is asked anything.
            harness2 = await bench.start("apply", url, data, user_id=job.user_id)
            async with chromium.session(harness2.job) as harness2.browser:
                second = await ApplyHandler().run(
                    harness2, msgspec.convert(data, ApplyHandler.input_type)
                )
            assert isinstance(second, HandlerResult)
            assert harness2.pauses == []
            assert site.logins == 1
        assert [s.fields for s in site.received("portal")] == [
            {"first_name": "Ada", "last_name": "Lovelace", "email": "ada.lovelace@example.com"}
        ] * 2
    finally:
        await db.close()


async def test_credentials_are_kept_for_the_sign_in_form_not_where_the_login_ended(
    database_url: str, resume_server: str
) -> None:
    """An SSO hop: the careers site (127.0.0.1) sends the person to a sign-in form on
    another site (127.0.0.2), which sends them back. The password is stored for the
    site whose form it was typed into, so it is never offered to the careers site's
    own forms (or to any third party's), while the session stays with the careers site."""
    import msgspec
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, RedirectResponse, Response
    from starlette.routing import Route

    from ghosthands.sample_site.server import SiteServer

    hosts: dict[str, str] = {}
    posted: list[dict[str, str]] = []

    async def apply(request: Request) -> Response:
        if request.cookies.get("session") != "ok":
            return RedirectResponse(f"{hosts['sso']}/login?next={hosts['site']}/callback")
        return HTMLResponse(
            "<form method=post action=/apply><label>Email <input name=email type=email "
            "required></label><button type=submit>Submit application</button></form>"
        )

    async def applied(request: Request) -> Response:
        posted.append(dict(await request.form()))
        return HTMLResponse("<h1>Thank you for applying</h1>")

    async def callback(request: Request) -> Response:
        response = RedirectResponse(f"{hosts['site']}/apply", status_code=303)
        response.set_cookie("session", "ok")
        return response

    async def login(request: Request) -> Response:
        if request.method == "POST":
            form = await request.form()
            if (form.get("username"), form.get("password")) == (PORTAL_USER, PORTAL_PASSWORD):
                return RedirectResponse(str(request.query_params["next"]), status_code=303)
        return HTMLResponse(
            "<h1>Sign in</h1><form method=post><input name=username autocomplete=username>"
            "<input name=password type=password><button>Sign in</button></form>"
        )

    site_app = Starlette(
        routes=[
            Route("/apply", apply, methods=["GET"]),
            Route("/apply", applied, methods=["POST"]),
            Route("/callback", callback),
        ]
    )
    sso_app = Starlette(routes=[Route("/login", login, methods=["GET", "POST"])])
    settings = Settings(database_url=database_url, poll_seconds=0.05)
    db = Database(settings, pool_size=3, name="test")
    await db.open()
    store = CredentialStore(db, KeyRing([os.urandom(32)]))
    try:
        with SiteServer(site_app) as site, SiteServer(sso_app, host="127.0.0.2") as sso:
            hosts.update(site=site.url, sso=sso.url)
            allowed = {site.host_port, sso.host_port, resume_server.split("/")[2]}
            policy = NetworkPolicy(False, frozenset(allowed))
            async with ChromiumProvider(browser_settings(), policy=policy, store=store) as chromium:
                data = {"user_data": SAMPLE_PROFILE, "require_resume": False}
                ctx = await JobBench(db, settings).start(
                    "apply",
                    f"{site.url}/apply",
                    data,
                    human=[
                        HumanResolution(
                            action="credentials", username=PORTAL_USER, password=PORTAL_PASSWORD
                        )
                    ],
                )
                async with chromium.session(ctx.job) as ctx.browser:
                    params = msgspec.convert(data, ApplyHandler.input_type)
                    result = await ApplyHandler().run(ctx, params)
        assert isinstance(result, HandlerResult), result
        assert posted == [{"email": "ada.lovelace@example.com"}]
        user = ctx.job.user_id
        assert await store.get_credentials(user, "127.0.0.2") == (PORTAL_USER, PORTAL_PASSWORD)
        assert await store.get_credentials(user, "127.0.0.1") is None
        assert await store.load_session(user, "127.0.0.1") is not None
    finally:
        await db.close()
