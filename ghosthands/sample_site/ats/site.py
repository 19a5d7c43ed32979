"""The replicas' server: state, what each replica received, and two origins.

One :class:`AtsSite` serves every replica. Forms that live in a frame of another origin
(the Greenhouse embed, iCIMS) load that frame from :attr:`AtsSite.frame_origin`:
:func:`serve_replicas` runs the same app twice, on ``127.0.0.1`` (the employer's
careers site) and on ``127.0.0.2`` (the ATS's host), so the frame is cross-site for
Chromium exactly as ``boards.greenhouse.io`` is inside ``careers.example.com``; both
servers share the one state, so :meth:`AtsSite.received` sees every submission.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ghosthands.sample_site.app import UploadedFile
from ghosthands.sample_site.profile import sample_resume_pdf
from ghosthands.sample_site.server import SiteServer

RESUME_NAME = "ada-lovelace-resume.pdf"
RESUME_PATH = f"/files/{RESUME_NAME}"

Fields = dict[str, str | list[str]]


@dataclass
class AtsSubmission:
    """One final submission as a replica received it."""

    replica: str
    method: str
    #: Path with query string.
    path: str
    #: ``multipart``, ``urlencoded`` or ``json``.
    encoding: str
    fields: Fields
    files: dict[str, UploadedFile] = field(default_factory=dict)
    confirmation_id: str = ""


@dataclass(frozen=True)
class SeenRequest:
    """A request that was not a GET/HEAD/OPTIONS, on either origin."""

    method: str
    host: str
    path: str


def page(name: str, raw: dict[str, str] | None = None, **values: str) -> str:
    """A page of ``ats/pages`` with ``{{key}}`` replaced by the escaped value (``raw``:
    replaced as is, for markup)."""
    body = resources.files("ghosthands.sample_site.ats").joinpath("pages", name).read_text("utf-8")
    for key, value in (raw or {}).items():
        body = body.replace("{{" + key + "}}", value)
    for key, value in values.items():
        body = body.replace("{{" + key + "}}", html.escape(value, quote=True))
    return body


def html_page(name: str, raw: dict[str, str] | None = None, **values: str) -> HTMLResponse:
    return HTMLResponse(page(name, raw, **values))


def upload_token(data: bytes) -> str:
    """The id an upload is stored under: its content, so it is the same every run."""
    return hashlib.sha256(data).hexdigest()[:20]


# -- a small geocoder and school directory for the async typeaheads ---------------------

PLACES = [
    "San Francisco, California, United States",
    "South San Francisco, California, United States",
    "San Francisco de Macorís, Duarte, Dominican Republic",
    "San Diego, California, United States",
    "San Jose, California, United States",
    "Santa Fe, New Mexico, United States",
    "New York, New York, United States",
    "Austin, Texas, United States",
    "London, England, United Kingdom",
    "Toronto, Ontario, Canada",
    "Berlin, Berlin, Germany",
]
#: Coordinates of the places above (the legacy Greenhouse form posts them).
COORDINATES = {
    "San Francisco, California, United States": ("37.7749295", "-122.4194155"),
    "South San Francisco, California, United States": ("37.654656", "-122.4077498"),
    "San Diego, California, United States": ("32.715738", "-117.1610838"),
    "San Jose, California, United States": ("37.3382082", "-121.8863286"),
}
SCHOOLS = [
    "University of London",
    "Birkbeck, University of London",
    "Queen Mary University of London",
    "University College London",
    "London School of Economics and Political Science",
    "University of Cambridge",
    "University of California, Berkeley",
    "Stanford University",
]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("í", "i"))


def search(items: list[str], term: str) -> list[str]:
    """Items where every word typed starts a word of the item ("san fran ca")."""
    typed = _words(term)
    if not typed:
        return []
    found = []
    for item in items:
        words = _words(item)
        if all(any(w.startswith(t) for w in words) for t in typed):
            found.append(item)
    return found


# -- the site -------------------------------------------------------------------------


class _SeeRequests:
    """ASGI middleware: note every request that could change something."""

    def __init__(self, app: ASGIApp, site: AtsSite) -> None:
        self.app = app
        self.site = site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(scope.get("headers") or [])
            host = headers.get(b"host", b"").decode("latin-1")
            query = scope.get("query_string", b"").decode("latin-1")
            path = scope["path"] + (f"?{query}" if query else "")
            with self.site._lock:
                self.site.seen.append(SeenRequest(scope["method"], host, path))
        await self.app(scope, receive, send)


class AtsSite:
    """State of every replica. Thread-safe; shared by the two servers of
    :func:`serve_replicas`."""

    def __init__(self, frame_origin: str = "") -> None:
        self._lock = threading.Lock()
        #: Origin (``http://host:port``) that serves the cross-origin frames.
        self.frame_origin = frame_origin
        self.submissions: list[AtsSubmission] = []
        self.uploads: dict[str, UploadedFile] = {}
        self.seen: list[SeenRequest] = []
        #: Workday candidate sessions (cookie values).
        self.sessions: set[str] = set()
        self.sign_ins = 0
        #: How long the typeahead endpoints take to answer (a real lookup takes a moment).
        self.lookup_delay = 0.15

    # -- reading --------------------------------------------------------------------

    def received(self, replica: str | None = None) -> list[AtsSubmission]:
        with self._lock:
            return [s for s in self.submissions if replica is None or s.replica == replica]

    def unsafe_requests(self, path_prefix: str = "") -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.seen if r.path.startswith(path_prefix)]

    def frame_url(self, path: str) -> str:
        if not self.frame_origin:
            raise RuntimeError("AtsSite.frame_origin is not set (use serve_replicas)")
        return self.frame_origin.rstrip("/") + path

    # -- recording ------------------------------------------------------------------

    async def store_upload(self, upload: UploadFile) -> tuple[str, UploadedFile]:
        data = await upload.read()
        stored = UploadedFile(upload.filename or "", upload.content_type or "", data)
        token = upload_token(data)
        with self._lock:
            self.uploads[token] = stored
        return token, stored

    def upload(self, token: str) -> UploadedFile | None:
        with self._lock:
            return self.uploads.get(token)

    async def record(
        self, replica: str, request: Request, file_refs: dict[str, str] | None = None
    ) -> AtsSubmission:
        """Record the request's body as ``replica``'s submission. ``file_refs`` maps a
        field holding an upload token (a file sent ahead of the form) to the file name
        it is recorded under; the token field itself is dropped."""
        fields: Fields = {}
        files: dict[str, UploadedFile] = {}
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            encoding = "json"
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("a JSON submission must be an object")
            for key, value in body.items():
                if isinstance(value, list):
                    fields[key] = [str(v) for v in value]
                else:
                    fields[key] = "" if value is None else _text(value)
        else:
            encoding = "multipart" if content_type.startswith("multipart/") else "urlencoded"
            data = await request.form()
            for key, item in data.multi_items():
                if isinstance(item, UploadFile):
                    content = await item.read()
                    if item.filename:
                        files[key] = UploadedFile(item.filename, item.content_type or "", content)
                    continue  # an empty file input sends nothing worth recording
                _add(fields, key, item)
            await data.close()
        for ref, name in (file_refs or {}).items():
            value = fields.pop(ref, "")
            # The field holds the upload's token, or a URL ending in it.
            token = value.rstrip("/").rsplit("/", 1)[-1] if isinstance(value, str) else ""
            stored = self.upload(token) if token else None
            if stored is not None:
                files[name] = stored
        query = request.url.query
        submission = AtsSubmission(
            replica,
            request.method,
            request.url.path + (f"?{query}" if query else ""),
            encoding,
            fields,
            files,
            "APP-" + secrets.token_hex(4).upper(),
        )
        with self._lock:
            self.submissions.append(submission)
        return submission

    # -- shared endpoints ----------------------------------------------------------------

    async def resume_file(self, request: Request) -> Response:
        return Response(sample_resume_pdf(), media_type="application/pdf")

    async def places(self, request: Request) -> Response:
        await asyncio.sleep(self.lookup_delay)
        term = request.query_params.get("term") or request.query_params.get("text") or ""
        return JSONResponse(search(PLACES, term)[:8])

    async def schools(self, request: Request) -> Response:
        await asyncio.sleep(self.lookup_delay)
        return JSONResponse(search(SCHOOLS, request.query_params.get("term", ""))[:8])

    def routes(self) -> list[BaseRoute]:
        from ghosthands.sample_site.ats import (
            ashby,
            bamboohr,
            greenhouse,
            icims,
            jobvite,
            lever,
            personio,
            smartrecruiters,
            teamtailor,
            workday,
        )

        shared: list[BaseRoute] = [
            Route(RESUME_PATH, self.resume_file),
            Route("/ats-api/places", self.places),
            Route("/ats-api/schools", self.schools),
        ]
        return [
            *shared,
            *greenhouse.routes(self),
            *lever.routes(self),
            *workday.routes(self),
            *ashby.routes(self),
            *smartrecruiters.routes(self),
            *icims.routes(self),
            # held out (not in REPLICAS): the bench's --held-out
            *bamboohr.routes(self),
            *teamtailor.routes(self),
            *jobvite.routes(self),
            *personio.routes(self),
        ]

    def app(self, extra_routes: list[BaseRoute] | None = None) -> ASGIApp:
        app = Starlette(routes=[*(extra_routes or []), *self.routes()])
        return _SeeRequests(app, self)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _add(fields: Fields, key: str, value: str) -> None:
    if key in fields:
        previous = fields[key]
        fields[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
    else:
        fields[key] = value


@dataclass
class ServedReplicas:
    site: AtsSite
    #: The employers' careers sites (and every replica that needs one origin only).
    main: SiteServer
    #: The ATS host that serves cross-origin frames.
    frames: SiteServer

    def url(self, path: str) -> str:
        return self.main.url + path

    @property
    def resume_url(self) -> str:
        return self.main.url + RESUME_PATH

    @property
    def host_ports(self) -> str:
        """For ``GH_BROWSER_ALLOWED_HOSTS``: both origins."""
        return f"{self.main.host_port},{self.frames.host_port}"


@contextlib.contextmanager
def serve_replicas(
    site: AtsSite | None = None,
    extra_routes: list[BaseRoute] | None = None,
    *,
    host: str = "127.0.0.1",
    frame_host: str = "127.0.0.2",
) -> Iterator[ServedReplicas]:
    """Serve every replica on ``host`` with cross-origin frames from ``frame_host``
    (another loopback address, so another site for the browser)."""
    site = site or AtsSite()
    app = site.app(extra_routes)
    with SiteServer(app, host=host) as main, SiteServer(app, host=frame_host) as frames:
        site.frame_origin = frames.url
        yield ServedReplicas(site, main, frames)
