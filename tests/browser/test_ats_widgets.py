"""The widgets of real applicant tracking systems, in small pages, through the real flow.

One application walks from a job posting to its form (``pages/ats_posting.html``,
``pages/ats_widgets.html``):

- the posting's "Apply" link and the "Apply Manually" link of a modal "Start Your
  Application" dialog lead to the form (steps forward, not submits: no fields there),
  while the form's own "Apply" button is its submit;
- the resume is read as soon as it is attached and overwrites the name and location:
  it is attached first, so the answers are written after;
- a location typeahead without any ARIA (suggestions in a div beside it, a hidden id only
  a picked suggestion sets);
- a question in a div beside its radios (no label, no legend), and checkboxes sharing a
  name without a fieldset (one multiple-choice question);
- Yes / No buttons beside a hidden checkbox that only "Yes" ticks: "No" must be clicked;
- dropdowns as ``button aria-haspopup=listbox`` with their listbox at the end of the
  body (a required self-identification answered "decline" from the options read);
- a "Search" prompt whose answer is one level down a list of categories;
- a date as month / day / year boxes;
- a phone number the page rejects with a message (not the browser's :invalid) while it
  has a "+": the next way of writing it is tried.
"""

from __future__ import annotations

import asyncio
import re
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
from ghosthands.handlers.apply import ApplyHandler
from ghosthands.jobs.contract import HandlerResult
from ghosthands.sample_site import SAMPLE_PROFILE, SAMPLE_QA_ANSWERS
from ghosthands.sample_site.server import SiteServer
from tests.browser.conftest import browser_settings

pytestmark = pytest.mark.anyio

PAGES = Path(__file__).parent / "pages"

PLACES = [
    ("sf", "San Francisco, California, United States"),
    ("ssf", "South San Francisco, California, United States"),
    ("sfm", "San Francisco de Macorís, Duarte, Dominican Republic"),
    ("ldn", "London, England, United Kingdom"),
]


class Initech:
    """The careers site: what it was sent, and every request's path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[dict[str, Any]] = []
        self.paths: list[tuple[str, str]] = []
        self.origin = ""

    def app(self) -> Any:
        def page(name: str, **values: str) -> HTMLResponse:
            text = (PAGES / name).read_text("utf-8")
            for key, value in {"origin": self.origin, **values}.items():
                text = text.replace("{{" + key + "}}", value)
            return HTMLResponse(text)

        async def posting(request: Request) -> Response:
            return page("ats_posting.html", dialog_hidden="hidden")

        async def start(request: Request) -> Response:
            return page("ats_posting.html", dialog_hidden="")

        async def form(request: Request) -> Response:
            return page("ats_widgets.html")

        async def parse(request: Request) -> Response:
            data = await request.form()
            await data.close()
            await asyncio.sleep(0.3)  # reading a resume takes a moment
            return JSONResponse(
                {"name": "Ada Lovelace Senior Engineer", "location": "London, England"}
            )

        async def places(request: Request) -> Response:
            words = re.findall(r"\w+", request.query_params.get("q", "").lower())
            await asyncio.sleep(0.15)
            return JSONResponse(
                [
                    {"id": key, "label": label}
                    for key, label in PLACES
                    if words
                    and all(
                        any(t.startswith(w) for t in re.findall(r"\w+", label.lower()))
                        for w in words
                    )
                ]
            )

        async def submit(request: Request) -> Response:
            body = await request.json()
            with self._lock:
                self.received.append(body)
            return JSONResponse({"id": "IT-1001"})

        inner = Starlette(
            routes=[
                Route("/jobs/platform", posting),
                Route("/jobs/platform/apply", start),
                Route("/jobs/platform/form", form),
                Route("/api/parse", parse, methods=["POST"]),
                Route("/api/places", places),
                Route("/api/platform/applications", submit, methods=["POST"]),
                Route("/favicon.ico", lambda request: Response(status_code=404)),
            ]
        )

        async def recording(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                with self._lock:
                    self.paths.append((scope["method"], scope["path"]))
            await inner(scope, receive, send)

        return recording


@pytest.fixture
def initech() -> Iterator[tuple[Initech, SiteServer]]:
    site = Initech()
    with SiteServer(site.app()) as server:
        site.origin = server.url
        yield site, server


@pytest.fixture
async def provider(initech, resume_server: str) -> AsyncIterator[ChromiumProvider]:
    _, server = initech
    allowed = frozenset({server.host_port, urlsplit(resume_server).netloc})
    policy = NetworkPolicy(allow_private_networks=False, allowed_hosts=allowed)
    async with ChromiumProvider(browser_settings(), policy=policy) as chromium:
        yield chromium


def apply_input(resume_url: str) -> dict[str, Any]:
    return {
        "user_data": SAMPLE_PROFILE,
        "qa_answers": SAMPLE_QA_ANSWERS,
        "resume": {"download_url": resume_url, "filename": "ada-lovelace-resume.pdf"},
    }


async def test_from_posting_to_submitted_form_of_ats_widgets(
    initech, run_job, resume_server
) -> None:
    site, server = initech
    result, harness = await run_job(
        ApplyHandler(), f"{server.url}/jobs/platform", apply_input(resume_server)
    )
    assert isinstance(result, HandlerResult), result
    [received] = site.received
    phone = received.pop("phone")
    assert received == {
        "name": "Ada Lovelace",  # written after the resume's parse overwrote it
        "location": "San Francisco, California, United States",  # a picked suggestion...
        "locationId": "sf",  # ...so the page's hidden id is set
        "authorized": "Yes",  # the question read from the div beside the radios
        "tools": ["Python", "PostgreSQL"],  # one question for the boxes sharing a name
        "sponsor": "false",  # the "No" button clicked (the hidden box stays unticked)
        "device": "Mobile",
        "veteran": "I do not wish to self-identify",  # declined, from the options read
        "source": "LinkedIn",  # found under "Job Board ›" (typing finds only categories)
        "start": "09/01/2025",  # month / day / year boxes
        "resume": "ada-lovelace-resume.pdf",
    }
    # "+1 415 555 0132" was refused by the page's own check; the next way of writing it
    # (the national number) was accepted.
    assert "+" not in phone and re.sub(r"\D", "", phone) == "4155550132"

    data = result.result_data
    assert data["submitted"] is True
    assert data["steps"] == 3  # posting -> "Start Your Application" -> the form
    steps = await harness.steps()
    assert steps.count("submitted") >= 1
    # Nothing was sent before the form: the posting's buttons were steps forward.
    posts = [path for method, path in site.paths if method == "POST"]
    assert posts[-1] == "/api/platform/applications"
    assert posts.count("/api/platform/applications") == 1
    assert ("GET", "/jobs/platform/form") in site.paths
    questions = [f["question"] for f in data["fields"]]
    assert any(q.startswith("Are you legally authorized to work") for q in questions)
    assert "Which of these tools have you used?" in questions
    assert "What is your earliest available start date?" in questions
