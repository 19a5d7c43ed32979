"""Forms inside cross-origin iframes, behind the network guard, and built from widgets.

The careers page is served from 127.0.0.1 and the ATS from 127.0.0.2 (another origin,
and another site: Chromium puts its frame in another process); a third server on
127.0.0.3 is *not* allowed by the policy. Each test checks what the servers received.

- an iCIMS-style application inside a cross-origin iframe: discovery, filling (the resume
  too) and the submit button all in that frame, confirmation read from the frame;
- a Greenhouse-style embedded board from another origin, its iframe created by the
  embed script after the careers page has loaded (nothing may be submitted before it is
  there), under a page whose "Apply for this job" jump link is not a submit button;
- a cross-origin frame pointing at a refused address: never loaded, nothing in it filled;
- a React-style page: debounced typeaheads whose options load after typing into a portal
  (one with the ARIA 1.1 wrapper), aria-pressed and role=radio toggle button groups (one
  pre-selected, which must stay so) and a role=checkbox consent;
- a web-components page: fields in nested open shadow roots, all named alike inside.
"""

from __future__ import annotations

import asyncio
import html
import re
import secrets
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ghosthands.browser.guard import NetworkPolicy
from ghosthands.browser.provider import ChromiumProvider
from ghosthands.handlers.apply import ApplyHandler, FillFormHandler
from ghosthands.jobs.contract import HandlerResult
from ghosthands.sample_site import SAMPLE_PROFILE, SAMPLE_QA_ANSWERS, sample_resume_pdf
from ghosthands.sample_site.server import SiteServer
from tests.browser.conftest import browser_settings

pytestmark = pytest.mark.anyio

PAGES = Path(__file__).parent / "pages"
RESUME = sample_resume_pdf()

LOCATIONS = [
    ("sf", "San Francisco, California, United States"),
    ("ssf", "South San Francisco, California, United States"),
    ("sfm", "San Francisco de Macorís, Duarte, Dominican Republic"),
    ("sd", "San Diego, California, United States"),
]
SCHOOLS = [
    ("uol", "University of London"),
    ("ucl", "University College London"),
    ("lse", "London School of Economics"),
    ("uel", "Universidade Estadual de Londrina"),
]


def _search(items: list[tuple[str, str]], query: str) -> list[dict[str, str]]:
    """Every word typed must begin a word of the label (how these lookups usually match)."""
    words = re.findall(r"\w+", query.lower())
    return [
        {"id": key, "label": label}
        for key, label in items
        if words
        and all(any(t.startswith(w) for t in re.findall(r"\w+", label.lower())) for w in words)
    ]


class Site:
    """The test servers' shared state: every request seen, every application received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.hits: list[tuple[str, str, str]] = []  # (host:port, method, path)
        self.received: list[tuple[str, dict[str, Any], dict[str, tuple[str, bytes]]]] = []
        self.origins: dict[str, str] = {}

    def hits_on(self, netloc: str) -> list[tuple[str, str, str]]:
        with self._lock:
            return [h for h in self.hits if h[0] == netloc]

    async def _keep(self, what: str, request: Request) -> str:
        fields: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        if request.headers.get("content-type", "").startswith("application/json"):
            fields = await request.json()
        else:
            form = await request.form()
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files[key] = (value.filename or "", await value.read())
                else:
                    fields[key] = value
            await form.close()
        with self._lock:
            self.received.append((what, fields, files))
        return secrets.token_hex(3).upper()

    def app(self) -> Any:
        def page(name: str, **values: str) -> HTMLResponse:
            text = (PAGES / name).read_text("utf-8")
            for key, value in {**self.origins, **values}.items():
                text = text.replace("{{" + key + "}}", value)
            return HTMLResponse(text)

        async def icims_outer(request: Request) -> Response:
            return page("icims_outer.html")

        async def icims_frame(request: Request) -> Response:
            return page("icims_frame.html")

        async def icims_submit(request: Request) -> Response:
            ref = await self._keep("icims", request)
            return RedirectResponse(f"/jobs/1187/candidate/thanks?ref=ICM-{ref}", status_code=303)

        async def icims_thanks(request: Request) -> Response:
            ref = html.escape(request.query_params.get("ref", ""))
            return HTMLResponse(
                "<h2>Thank you for applying!</h2><p>Your application has been submitted.</p>"
                f"<p>Confirmation number: {ref}</p>"
            )

        async def board(request: Request) -> Response:
            return page("greenhouse_board.html")

        async def embed(request: Request) -> Response:
            return page("greenhouse_embed.html")

        async def embed_submit(request: Request) -> Response:
            await self._keep("greenhouse", request)
            return JSONResponse({"status": "success"})

        async def blocked_outer(request: Request) -> Response:
            return page("blocked_outer.html")

        async def blocked_submit(request: Request) -> Response:
            ref = await self._keep("initrode", request)
            return HTMLResponse(f"<h2>Thank you for applying!</h2><p>Application ID: IN-{ref}</p>")

        async def partner(request: Request) -> Response:
            return page("partner_consent.html")

        async def partner_submit(request: Request) -> Response:
            await self._keep("partner", request)
            return HTMLResponse("ok")

        async def react(request: Request) -> Response:
            return page("react_widgets.html")

        async def locations(request: Request) -> Response:
            await asyncio.sleep(0.25)  # a real lookup takes a moment
            return JSONResponse(_search(LOCATIONS, request.query_params.get("q", "")))

        async def schools(request: Request) -> Response:
            await asyncio.sleep(0.4)
            return JSONResponse(_search(SCHOOLS, request.query_params.get("q", "")))

        async def react_submit(request: Request) -> Response:
            ref = await self._keep("react", request)
            return JSONResponse({"id": f"LU-{ref}"}, status_code=201)

        async def components(request: Request) -> Response:
            return page("web_components.html")

        async def components_submit(request: Request) -> Response:
            ref = await self._keep("components", request)
            return JSONResponse({"ref": f"SR-{ref}"})

        routes = [
            Route("/careers/jobs/1187", icims_outer),
            Route("/jobs/1187/candidate", icims_frame),
            Route("/jobs/1187/candidate/submit", icims_submit, methods=["POST"]),
            Route("/jobs/1187/candidate/thanks", icims_thanks),
            Route("/careers/acme/sre", board),
            Route("/embed/job_app", embed),
            Route("/embed/job_app/submit", embed_submit, methods=["POST"]),
            Route("/careers/office-manager", blocked_outer),
            Route("/apply/office-manager", blocked_submit, methods=["POST"]),
            Route("/partner/consent", partner),
            Route("/partner/consent", partner_submit, methods=["POST"]),
            Route("/jobs/frontend-engineer/apply", react),
            Route("/api/locations", locations),
            Route("/api/schools", schools),
            Route("/api/frontend-engineer/apply", react_submit, methods=["POST"]),
            Route("/jobs/solutions-architect/apply", components),
            Route("/api/solutions-architect/apply", components_submit, methods=["POST"]),
            Route("/favicon.ico", lambda request: Response(status_code=404)),
        ]
        inner = Starlette(routes=routes)

        async def recording(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                request = Request(scope)
                with self._lock:
                    self.hits.append((request.url.netloc, request.method, request.url.path))
            await inner(scope, receive, send)

        return recording


@pytest.fixture
def servers() -> Iterator[tuple[Site, SiteServer, SiteServer, SiteServer]]:
    """A: the careers site (127.0.0.1); B: the ATS (127.0.0.2); C: refused (127.0.0.3)."""
    site = Site()
    with (
        SiteServer(site.app()) as a,
        SiteServer(site.app(), host="127.0.0.2") as b,
        SiteServer(site.app(), host="127.0.0.3") as c,
    ):
        site.origins = {"origin": a.url, "ats": b.url, "board": b.url, "partner": c.url}
        yield site, a, b, c


@pytest.fixture
async def provider(servers, resume_server: str) -> AsyncIterator[ChromiumProvider]:
    """The production policy (private networks refused) plus A, B and the resume host:
    C stays refused like any other loopback address."""
    _, a, b, _ = servers
    allowed = frozenset({a.host_port, b.host_port, urlsplit(resume_server).netloc})
    policy = NetworkPolicy(allow_private_networks=False, allowed_hosts=allowed)
    async with ChromiumProvider(browser_settings(), policy=policy) as chromium:
        yield chromium


def apply_input(resume_url: str) -> dict[str, Any]:
    return {
        "user_data": SAMPLE_PROFILE,
        "qa_answers": SAMPLE_QA_ANSWERS,
        "resume": {"download_url": resume_url, "filename": "ada-lovelace-resume.pdf"},
    }


def fill_input() -> dict[str, Any]:
    return {
        "user_data": SAMPLE_PROFILE,
        "qa_answers": SAMPLE_QA_ANSWERS,
        "accept_required_consents": True,
    }


async def test_icims_style_form_in_a_cross_origin_frame(servers, run_job, resume_server) -> None:
    site, a, b, _ = servers
    result, harness = await run_job(
        ApplyHandler(), f"{a.url}/careers/jobs/1187", apply_input(resume_server)
    )
    assert isinstance(result, HandlerResult), result
    [(what, fields, files)] = site.received
    assert what == "icims"
    assert fields == {
        "PersonProfileFields.FirstName": "Ada",
        "PersonProfileFields.LastName": "Lovelace",
        "PersonProfileFields.Email": "ada.lovelace@example.com",
        "PersonProfileFields.PhoneNumber": "+1 415 555 0132",
        "PersonProfileFields.Country": "US",
        "rcf3048": "Yes",
    }
    assert files == {"resume_upload": ("ada-lovelace-resume.pdf", RESUME)}
    # The careers page's own search box was left alone and nothing was posted to it.
    assert [h for h in site.hits_on(a.host_port) if h[1] != "GET"] == []
    data = result.result_data
    assert data["submitted"] is True
    assert data["confirmation_id"].startswith("ICM-")
    assert data["confirmation_url"] == f"{b.url}/jobs/1187/candidate/thanks"
    assert data["submission_evidence"][0] == {
        "method": "POST",
        "url": f"{b.url}/jobs/1187/candidate/submit",
        "status": 303,
        "type": "document",
    }
    assert data["resume_uploaded"] is True
    assert "Search jobs" not in [f["question"] for f in data["fields"]]
    assert (await harness.steps()).count("submitted") == 1


async def test_greenhouse_style_board_embedded_from_another_origin(
    servers, run_job, resume_server
) -> None:
    site, a, b, _ = servers
    result, _ = await run_job(
        ApplyHandler(), f"{a.url}/careers/acme/sre", apply_input(resume_server)
    )
    assert isinstance(result, HandlerResult), result
    assert result.final_status == "completed"
    [(what, fields, files)] = site.received
    assert what == "greenhouse"
    assert fields == {
        "job_application[first_name]": "Ada",
        "job_application[last_name]": "Lovelace",
        "job_application[email]": "ada.lovelace@example.com",
        "job_application[phone]": "+1 415 555 0132",
        "job_application[answers_attributes][0][text_value]": (
            "https://www.linkedin.com/in/ada-lovelace"
        ),
        "job_application[answers_attributes][1][boolean_value]": "0",  # no sponsorship
    }
    assert files == {"job_application[resume]": ("ada-lovelace-resume.pdf", RESUME)}
    assert result.result_data["submission_evidence"][0] == {
        "method": "POST",
        "url": f"{b.url}/embed/job_app/submit",
        "status": 200,
        "type": "fetch",
    }
    assert result.result_data["confirmation_url"] == f"{b.url}/embed/job_app"


async def test_a_cross_origin_frame_at_a_refused_address_is_neither_loaded_nor_filled(
    servers, run_job, provider: ChromiumProvider
) -> None:
    site, a, _, c = servers
    result, _ = await run_job(FillFormHandler(), f"{a.url}/careers/office-manager", fill_input())
    assert isinstance(result, HandlerResult), result
    assert site.hits_on(c.host_port) == []  # not even the frame's GET reached it
    assert any(
        r.host == "127.0.0.3" and r.port == c.port and r.reason == "loopback"
        for r in provider.guard.blocked
    )
    [(what, fields, files)] = site.received
    assert (what, fields, files) == (
        "initrode",
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada.lovelace@example.com"},
        {},
    )
    assert [f["question"] for f in result.result_data["fields"]] == [
        "First name",
        "Last name",
        "Email",
    ]
    assert result.result_data["confirmation_id"].startswith("IN-")


async def test_react_typeaheads_and_toggle_buttons(servers, run_job) -> None:
    site, a, _, _ = servers
    result, harness = await run_job(
        FillFormHandler(), f"{a.url}/jobs/frontend-engineer/apply", fill_input()
    )
    assert isinstance(result, HandlerResult), result
    [(what, fields, _)] = site.received
    assert what == "react"
    assert fields == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada.lovelace@example.com",
        # Picked from suggestions that arrived after typing (not just typed in).
        "location_id": "sf",
        "location": "San Francisco, California, United States",
        "school_id": "uol",
        "school": "University of London",
        "relocate": "yes",  # aria-pressed toggle
        "authorized": "yes",  # role=radio button
        "sponsorship": "no",  # pre-selected; answering "No" left it selected
        "privacy": True,  # role=checkbox
    }
    assert result.result_data["confirmation_id"].startswith("LU-")
    assert (await harness.steps()).count("submitted") == 1
    # The lookups were really typed into, not bypassed.
    lookups = [h[2] for h in site.hits_on(a.host_port) if h[2].startswith("/api/")]
    assert "/api/locations" in lookups and "/api/schools" in lookups


async def test_fields_in_nested_shadow_roots(servers, run_job) -> None:
    site, a, _, _ = servers
    result, _ = await run_job(
        FillFormHandler(), f"{a.url}/jobs/solutions-architect/apply", fill_input()
    )
    assert isinstance(result, HandlerResult), result
    [(what, fields, _)] = site.received
    assert (what, fields) == (
        "components",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada.lovelace@example.com",
            "phone": "+1 415 555 0132",  # its label is slotted into the component
            "relocate": "yes",
            "authorized": "yes",
        },
    )
    data = result.result_data
    assert data["confirmation_id"].startswith("SR-")  # read from inside a shadow root
    assert sorted(f["question"] for f in data["fields"]) == sorted(
        [
            "First name",
            "Last name",
            "Email",
            "Phone number",
            "Are you willing to relocate?",
            "Are you legally authorized to work in the United States?",
        ]
    )
