"""Whether an application went out is decided by the page's network, not by the click.

Each page here is served by a small recording site; every test checks what the site
actually received (or that it received nothing) against what the job reported:

- a page whose own JavaScript refuses the submit and says why in the DOM (no :invalid):
  the engine re-fills what it flagged and clicks again, once the first click provably
  sent nothing;
- a page whose submit silently does nothing: ``validation_failed`` with ``sent: false``,
  not ``awaiting_review``, and the form's "Thank you for your interest" intro is not
  taken for a confirmation;
- a server that answers 422 with errors on the page: ``validation_failed``, ``sent:
  true``, never a second click;
- a 2xx answer and no recognisable confirmation: ``awaiting_review`` with the evidence;
- a confirmation shown inside an iframe, same-origin and cross-origin.
"""

from __future__ import annotations

import html
import secrets
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ghosthands.browser.guard import NetworkPolicy
from ghosthands.browser.provider import ChromiumProvider
from ghosthands.handlers.apply import FillFormHandler
from ghosthands.jobs.contract import HandlerResult, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.sample_site import SAMPLE_PROFILE
from ghosthands.sample_site.server import SiteServer
from tests.browser.conftest import browser_settings

pytestmark = pytest.mark.anyio

PAGES = Path(__file__).parent / "pages"


class RecordingSite:
    """Serves the pages and records every request and every application it received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.hits: list[tuple[str, str, str]] = []  # (host:port, method, path)
        self.received: list[tuple[str, dict[str, Any]]] = []  # (what, values)
        self.confirmation_origin = ""
        self.refused_origin = ""

    def _hit(self, request: Request) -> None:
        with self._lock:
            self.hits.append((request.url.netloc, request.method, request.url.path))

    def _keep(self, what: str, values: dict[str, Any]) -> str:
        with self._lock:
            self.received.append((what, values))
        return secrets.token_hex(3).upper()

    def posts(self, netloc: str | None = None) -> list[tuple[str, str, str]]:
        with self._lock:
            return [h for h in self.hits if h[1] != "GET" and (netloc is None or h[0] == netloc)]

    def app(self) -> Starlette:
        def page(name: str, **values: str) -> HTMLResponse:
            text = (PAGES / name).read_text("utf-8")
            for key, value in values.items():
                text = text.replace("{{" + key + "}}", value)
            return HTMLResponse(text)

        async def js_validation(request: Request) -> Response:
            return page("evidence_js_validation.html")

        async def js_validation_post(request: Request) -> Response:
            ref = self._keep("platform", await request.json())
            return JSONResponse({"reference": f"NW-{ref}"}, status_code=201)

        async def silent(request: Request) -> Response:
            return page("evidence_silent.html")

        async def silent_post(request: Request) -> Response:
            self._keep("support", dict(await request.form()))
            return HTMLResponse("<p>Thank you for applying!</p>")

        def sre(values: dict[str, str], error: bool) -> HTMLResponse:
            response = page(
                "evidence_server_rejects.html",
                summary='<div class="validation-summary-errors" role="alert">'
                "Please correct the errors and try again.</div>"
                if error
                else "",
                email_error='<span class="field-validation-error">An application with this '
                "email address already exists for this job.</span>"
                if error
                else "",
                **{k: html.escape(values.get(k, "")) for k in ("FirstName", "LastName", "Email")},
            )
            response.status_code = 422 if error else 200
            return response

        async def server_rejects(request: Request) -> Response:
            return sre({}, error=False)

        async def server_rejects_post(request: Request) -> Response:
            values = {k: str(v) for k, v in (await request.form()).items()}
            self._keep("sre", values)
            return sre(values, error=True)

        async def no_confirmation(request: Request) -> Response:
            return page("evidence_no_confirmation.html")

        async def no_confirmation_post(request: Request) -> Response:
            self._keep("data", await request.json())
            return JSONResponse({"ok": True})

        async def candidate_home(request: Request) -> Response:
            return HTMLResponse("<h1>Your candidate home</h1>")

        async def frame_confirmation(request: Request) -> Response:
            return page(
                "evidence_frame_confirmation.html", confirmation_origin=self.confirmation_origin
            )

        async def frame_confirmation_post(request: Request) -> Response:
            ref = self._keep("qa", dict(await request.form()))
            return JSONResponse({"reference": f"CNF-{ref}"})

        async def confirmation_widget(request: Request) -> Response:
            ref = html.escape(request.query_params.get("ref", ""))
            return HTMLResponse(
                "<!doctype html><body style='font-family:sans-serif'>"
                "<h2>Thank you for applying!</h2><p>Your application has been received.</p>"
                f"<p>Confirmation number: {ref}</p></body>"
            )

        async def native_reset(request: Request) -> Response:
            return page("evidence_native_reset.html")

        async def native_reset_post(request: Request) -> Response:
            self._keep("technician", dict(await request.form()))
            return HTMLResponse("<h2>Thank you for applying!</h2>")

        async def refused_target(request: Request) -> Response:
            return page("evidence_refused_target.html", refused=self.refused_origin)

        routes = [
            Route("/jobs/technician/apply", native_reset),
            Route("/jobs/technician/submit", native_reset_post, methods=["POST"]),
            Route("/jobs/intern/apply", refused_target),
            Route("/jobs/platform-engineer/apply", js_validation),
            Route("/api/jobs/platform-engineer/applications", js_validation_post, methods=["POST"]),
            Route("/jobs/support/apply", silent),
            Route("/api/support/apply", silent_post, methods=["POST"]),
            Route("/jobs/sre/apply", server_rejects),
            Route("/jobs/sre/submit", server_rejects_post, methods=["POST"]),
            Route("/jobs/data-engineer/apply", no_confirmation),
            Route("/api/data-engineer/apply", no_confirmation_post, methods=["POST"]),
            Route("/candidate/home", candidate_home),
            Route("/jobs/qa-engineer/apply", frame_confirmation),
            Route("/api/qa-engineer/apply", frame_confirmation_post, methods=["POST"]),
            Route("/widget/confirmation", confirmation_widget),
            Route("/favicon.ico", lambda request: Response(status_code=404)),
        ]
        inner = Starlette(routes=routes)

        async def recording(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                self._hit(Request(scope))
            await inner(scope, receive, send)

        return recording  # type: ignore[return-value]


@pytest.fixture
def site() -> Iterator[tuple[RecordingSite, SiteServer, SiteServer]]:
    """The site on 127.0.0.1 and, as another origin, on 127.0.0.2."""
    recorder = RecordingSite()
    with SiteServer(recorder.app()) as a, SiteServer(recorder.app(), host="127.0.0.2") as b:
        yield recorder, a, b


@pytest.fixture
async def provider(
    site: tuple[RecordingSite, SiteServer, SiteServer], resume_server: str
) -> AsyncIterator[ChromiumProvider]:
    """The production policy plus exactly the two test origins (and the resume server)."""
    _, a, b = site
    allowed = frozenset({a.host_port, b.host_port, urlsplit(resume_server).netloc})
    policy = NetworkPolicy(allow_private_networks=False, allowed_hosts=allowed)
    async with ChromiumProvider(browser_settings(), policy=policy) as chromium:
        yield chromium


def fill_input(**extra: Any) -> dict[str, Any]:
    return {"user_data": SAMPLE_PROFILE, **extra}


@pytest.mark.parametrize("style", ["class", "aria"])
async def test_js_validation_in_the_dom_is_fixed_and_sent_once(site, run_job, style: str) -> None:
    """The first click sends nothing: the page's own check rejects the phone format and
    says so in a styled div plus a role=alert banner ("class"), or only with
    aria-invalid and a described-by hint ("aria"); no :invalid either way. The engine
    re-writes the phone and clicks again."""
    recorder, a, _ = site
    result, harness = await run_job(
        FillFormHandler(), f"{a.url}/jobs/platform-engineer/apply?style={style}", fill_input()
    )
    assert isinstance(result, HandlerResult), result
    assert recorder.received == [
        (
            "platform",
            {
                "firstName": "Ada",
                "lastName": "Lovelace",
                "email": "ada.lovelace@example.com",
                "phone": "(415) 555-0132",  # "+1 415 555 0132" was refused in the DOM
                "linkedin": "https://www.linkedin.com/in/ada-lovelace",
            },
        )
    ]
    assert recorder.posts() == [(a.host_port, "POST", "/api/jobs/platform-engineer/applications")]
    data = result.result_data
    assert data["submitted"] is True
    assert data["submission_evidence"] == [
        {
            "method": "POST",
            "url": f"{a.url}/api/jobs/platform-engineer/applications",
            "status": 201,
            "type": "fetch",
        }
    ]
    assert data["confirmation_id"].startswith("NW-")
    steps = await harness.steps()
    assert steps.count("submitted") == 2  # the first click provably sent nothing
    assert "fixing_validation" in steps
    assert steps.index("fixing_validation") < steps.index("confirmed")


async def test_native_validation_refills_a_field_the_page_reset(site, run_job) -> None:
    """Choosing the country clears city and postal code (filled just before): the
    browser refuses the submit and flags them (:invalid, no message in the DOM); the
    engine fills them again and clicks again."""
    recorder, a, _ = site
    result, harness = await run_job(
        FillFormHandler(), f"{a.url}/jobs/technician/apply", fill_input()
    )
    assert isinstance(result, HandlerResult), result
    assert recorder.received == [
        (
            "technician",
            {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "city": "San Francisco",
                "postal_code": "94107",
                "country": "US",
            },
        )
    ]
    assert recorder.posts() == [(a.host_port, "POST", "/jobs/technician/submit")]
    assert (await harness.steps()).count("submitted") == 2
    assert result.result_data["submission_evidence"][0] == {
        "method": "POST",
        "url": f"{a.url}/jobs/technician/submit",
        "status": 200,
        "type": "document",
    }


async def test_a_submit_the_guard_refuses_is_blocked_address(site, run_job) -> None:
    """The form posts to a loopback address nobody allowed: the request reached nobody,
    which the job says plainly (and it is not counted as sent)."""
    recorder, a, _ = site
    recorder.refused_origin = f"http://127.0.0.3:{a.port}"
    result, _ = await run_job(FillFormHandler(), f"{a.url}/jobs/intern/apply", fill_input())
    assert isinstance(result, JobFailure), result
    assert result.code == ErrorCode.BLOCKED_ADDRESS
    assert result.details["refused"] == [
        {
            "method": "POST",
            "url": f"{recorder.refused_origin}/collect",
            "status": 403,
            "type": "document",
            "guard_blocked": "loopback",
        }
    ]
    assert recorder.received == []


async def test_a_click_that_sends_nothing_and_says_nothing_fails_clearly(site, run_job) -> None:
    recorder, a, _ = site
    result, harness = await run_job(FillFormHandler(), f"{a.url}/jobs/support/apply", fill_input())
    assert isinstance(result, JobFailure), result
    assert result.code == ErrorCode.VALIDATION_FAILED
    assert result.details["sent"] is False
    assert "showed no reason" in result.message
    assert recorder.received == []
    assert recorder.posts() == []
    steps = await harness.steps()
    assert steps.count("submitted") == 1  # nothing to fix: one click, then a clear failure
    # The intro's "Thank you for your interest" was there before the click: no confirmation.
    assert "confirmed" not in steps


async def test_a_server_rejection_is_validation_failed_and_never_clicked_twice(
    site, run_job
) -> None:
    recorder, a, _ = site
    result, harness = await run_job(FillFormHandler(), f"{a.url}/jobs/sre/apply", fill_input())
    assert isinstance(result, JobFailure), result
    assert result.code == ErrorCode.VALIDATION_FAILED
    assert result.details["sent"] is True
    assert result.details["submission_evidence"] == [
        {"method": "POST", "url": f"{a.url}/jobs/sre/submit", "status": 422, "type": "document"}
    ]
    assert result.details["errors"] == {
        "Email": ["An application with this email address already exists for this job."]
    }
    assert "Please correct the errors and try again." in result.details["messages"]
    assert recorder.received == [
        ("sre", {"FirstName": "Ada", "LastName": "Lovelace", "Email": "ada.lovelace@example.com"})
    ]
    assert recorder.posts() == [(a.host_port, "POST", "/jobs/sre/submit")]
    assert (await harness.steps()).count("submitted") == 1


async def test_sent_without_a_confirmation_awaits_review_with_the_evidence(site, run_job) -> None:
    recorder, a, _ = site
    result, _ = await run_job(FillFormHandler(), f"{a.url}/jobs/data-engineer/apply", fill_input())
    assert isinstance(result, HandlerResult), result
    assert result.final_status == "awaiting_review"
    assert "answered 200" in result.summary
    data = result.result_data
    assert data["submitted"] is True
    assert data["confirmation_recognised"] is False
    assert data["submission_evidence"] == [
        # The query string (it can carry personal data) is not kept.
        {
            "method": "POST",
            "url": f"{a.url}/api/data-engineer/apply",
            "status": 200,
            "type": "fetch",
        }
    ]
    assert recorder.received == [
        ("data", {"full_name": "Ada Lovelace", "email": "ada.lovelace@example.com"})
    ]


@pytest.mark.parametrize("origin", ["same", "cross"])
async def test_a_confirmation_inside_a_frame_is_recognised(site, run_job, origin: str) -> None:
    recorder, a, b = site
    recorder.confirmation_origin = (a if origin == "same" else b).url
    result, harness = await run_job(
        FillFormHandler(), f"{a.url}/jobs/qa-engineer/apply", fill_input()
    )
    assert isinstance(result, HandlerResult), result
    assert result.final_status == "completed"
    [(what, values)] = recorder.received
    assert (what, values) == (
        "qa",
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada.lovelace@example.com"},
    )
    data = result.result_data
    assert data["submitted"] is True
    assert data["confirmation_id"].startswith("CNF-")
    assert data["confirmation_url"] == f"{recorder.confirmation_origin}/widget/confirmation"
    assert data["submission_evidence"][0] == {
        "method": "POST",
        "url": f"{a.url}/api/qa-engineer/apply",
        "status": 200,
        "type": "fetch",
    }
    assert "confirmed" in await harness.steps()
