"""The sample careers site as a Starlette app, and the record of what it received."""

from __future__ import annotations

import asyncio
import html
import secrets
import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

#: Where each form lives, what job it is for, and which company shows it.
FORMS: dict[str, dict[str, str]] = {
    "classic": {"title": "Backend Engineer", "company": "Initech", "page": "classic.html"},
    "wizard": {"title": "Data Analyst", "company": "Globex", "page": "wizard.html"},
    "widgets": {"title": "Product Designer", "company": "Hooli", "page": "widgets.html"},
    "captcha": {"title": "Support Engineer", "company": "Vandelay", "page": "captcha.html"},
    "portal": {"title": "Security Analyst", "company": "Umbrella", "page": "portal_apply.html"},
}

POSTINGS = {
    "backend-engineer": ("Backend Engineer", "Remote (US)", "classic"),
    "data-analyst": ("Data Analyst", "New York, NY", "wizard"),
    "product-designer": ("Product Designer", "San Francisco, CA", "widgets"),
}

CITIES = [
    "San Francisco, CA",
    "San Diego, CA",
    "San Jose, CA",
    "Santa Fe, NM",
    "New York, NY",
    "Austin, TX",
    "Toronto, ON",
    "Berlin",
]
REGIONS = {
    "US": [("CA", "California"), ("NY", "New York"), ("TX", "Texas"), ("WA", "Washington")],
    "CA": [("ON", "Ontario"), ("QC", "Quebec"), ("BC", "British Columbia")],
    "DE": [("BE", "Berlin"), ("BY", "Bavaria")],
}

#: The candidate account of the login-walled portal.
PORTAL_USER = "ada.lovelace@example.com"
PORTAL_PASSWORD = "correct-horse-battery"  # noqa: S105 - a sample site's sample account
PORTAL_CODE = "246810"


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Submission:
    """One application as the site received it."""

    form: str
    confirmation_id: str
    fields: dict[str, str | list[str]]
    files: dict[str, UploadedFile] = field(default_factory=dict)


def _page(name: str) -> str:
    return resources.files("ghosthands.sample_site").joinpath("pages", name).read_text("utf-8")


def _render(body: str, title: str, company: str, **values: str) -> HTMLResponse:
    for key, value in values.items():
        body = body.replace("{{" + key + "}}", html.escape(value))
    page = _page("base.html").replace("{{title}}", html.escape(title))
    page = page.replace("{{company}}", html.escape(company)).replace("{{body}}", body)
    return HTMLResponse(page)


class SampleSite:
    """The site's state: received applications and portal sessions. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.submissions: list[Submission] = []
        self._pending_2fa: set[str] = set()
        self._sessions: set[str] = set()
        self.logins = 0

    def received(self, form: str | None = None) -> list[Submission]:
        with self._lock:
            return [s for s in self.submissions if form is None or s.form == form]

    async def _record(self, form: str, request: Request) -> Submission:
        data = await request.form()
        fields: dict[str, str | list[str]] = {}
        files: dict[str, UploadedFile] = {}
        for key, value in data.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read()
                if value.filename:
                    files[key] = UploadedFile(value.filename, value.content_type or "", content)
                else:
                    fields[key] = ""  # an empty file input
                continue
            if key in fields:
                previous = fields[key]
                fields[key] = (
                    [*previous, value] if isinstance(previous, list) else [previous, value]
                )
            else:
                fields[key] = value
        await data.close()
        submission = Submission(form, "APP-" + secrets.token_hex(4).upper(), fields, files)
        with self._lock:
            self.submissions.append(submission)
        return submission

    def confirmation(self, confirmation_id: str) -> Submission | None:
        with self._lock:
            return next((s for s in self.submissions if s.confirmation_id == confirmation_id), None)

    # -- routes ---------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        return _render(_page("index.html"), "Careers", "Initech")

    async def posting(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        if slug not in POSTINGS:
            return Response("not found", 404)
        title, location, form = POSTINGS[slug]
        description = (
            f"We are looking for a {title} to join a small, friendly team. "
            "You will work with Python, PostgreSQL and modern web tooling."
        )
        return _render(
            _page("posting.html"),
            title,
            FORMS[form]["company"],
            job_title=title,
            location=location,
            description=description,
            apply_url=f"/apply/{form}",
        )

    async def apply(self, request: Request) -> Response:
        form = request.path_params["form"]
        if form not in FORMS or form == "portal":
            return Response("not found", 404)
        spec = FORMS[form]
        return _render(_page(spec["page"]), f"Apply: {spec['title']}", spec["company"])

    async def contact_frame(self, request: Request) -> Response:
        return HTMLResponse(_page("contact_frame.html"))

    async def captcha_anchor(self, request: Request) -> Response:
        return HTMLResponse(_page("captcha_anchor.html"))

    async def cities(self, request: Request) -> Response:
        query = request.query_params.get("q", "").strip().lower()
        await asyncio.sleep(0.05)  # a real lookup takes a moment
        found = [
            {"id": f"c{i}", "name": name}
            for i, name in enumerate(CITIES)
            if query and query in name.lower()
        ]
        return JSONResponse(found)

    async def regions(self, request: Request) -> Response:
        await asyncio.sleep(0.3)  # the dependent select must wait for this
        return JSONResponse(REGIONS.get(request.query_params.get("country", ""), []))

    async def submit(self, request: Request) -> Response:
        form = request.path_params["form"]
        if form not in FORMS:
            return Response("not found", 404)
        if form == "portal" and request.cookies.get("portal_session") not in self._sessions:
            return Response("sign in first", 403)
        submission = await self._record(form, request)
        return RedirectResponse(f"/applications/{submission.confirmation_id}", status_code=303)

    async def submit_json(self, request: Request) -> Response:
        submission = await self._record(request.path_params["form"], request)
        return JSONResponse(
            {"confirmation_url": f"/applications/{submission.confirmation_id}"}, status_code=201
        )

    async def confirmation_page(self, request: Request) -> Response:
        submission = self.confirmation(request.path_params["confirmation_id"])
        if submission is None:
            return Response("not found", 404)
        first = submission.fields.get("first_name") or submission.fields.get("full_name") or ""
        first_name = (first if isinstance(first, str) else first[0]).split(" ")[0]
        spec = FORMS[submission.form]
        return _render(
            _page("confirmation.html"),
            "Application received",
            spec["company"],
            first_name=first_name or "there",
            job_title=spec["title"],
            confirmation_id=submission.confirmation_id,
        )

    # -- the login-walled portal ----------------------------------------------------

    async def portal_apply(self, request: Request) -> Response:
        if request.cookies.get("portal_session") not in self._sessions:
            return RedirectResponse("/portal/login", status_code=303)
        spec = FORMS["portal"]
        return _render(_page(spec["page"]), "Apply", spec["company"], user=PORTAL_USER)

    async def portal_login(self, request: Request) -> Response:
        if request.method == "GET":
            return _render(_page("login.html"), "Sign in", "Umbrella", error="")
        data = await request.form()
        if data.get("username") != PORTAL_USER or data.get("password") != PORTAL_PASSWORD:
            return _render(
                _page("login.html"), "Sign in", "Umbrella", error="Incorrect email or password."
            )
        token = secrets.token_hex(8)
        with self._lock:
            self._pending_2fa.add(token)
        response = RedirectResponse("/portal/verify", status_code=303)
        response.set_cookie("portal_pending", token, httponly=True)
        return response

    async def portal_verify(self, request: Request) -> Response:
        pending = request.cookies.get("portal_pending", "")
        if pending not in self._pending_2fa:
            return RedirectResponse("/portal/login", status_code=303)
        if request.method == "GET":
            return _render(_page("verify.html"), "Verify", "Umbrella", error="")
        data = await request.form()
        if data.get("code") != PORTAL_CODE:
            return _render(_page("verify.html"), "Verify", "Umbrella", error="That code is wrong.")
        session = secrets.token_hex(8)
        with self._lock:
            self._pending_2fa.discard(pending)
            self._sessions.add(session)
            self.logins += 1
        response = RedirectResponse("/portal/apply", status_code=303)
        response.set_cookie("portal_session", session, httponly=True)
        return response

    def routes(self) -> list[Route]:
        return [
            Route("/", self.index),
            Route("/jobs/{slug}", self.posting),
            Route("/apply/widgets/contact", self.contact_frame),
            Route("/apply/{form}", self.apply),
            Route("/captcha/recaptcha/anchor", self.captcha_anchor),
            Route("/api/cities", self.cities),
            Route("/api/regions", self.regions),
            Route("/submit/{form}", self.submit, methods=["POST"]),
            Route("/api/submit/{form}", self.submit_json, methods=["POST"]),
            Route("/applications/{confirmation_id}", self.confirmation_page),
            Route("/portal/apply", self.portal_apply),
            Route("/portal/login", self.portal_login, methods=["GET", "POST"]),
            Route("/portal/verify", self.portal_verify, methods=["GET", "POST"]),
        ]


def create_app(site: SampleSite, extra_routes: list[Any] | None = None) -> Starlette:
    """The site's ASGI app; tests add pages of their own with ``extra_routes``."""
    return Starlette(routes=[*(extra_routes or []), *site.routes()])
