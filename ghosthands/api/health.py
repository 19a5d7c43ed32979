"""``GET /health``: liveness. Answers without touching the database."""

from __future__ import annotations

import datetime as dt

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from ghosthands import __version__


class HealthBody(msgspec.Struct):
    status: str
    service: str
    version: str
    commit_sha: str
    environment: str
    timestamp: str


async def health(request: Request) -> Response:
    settings = request.app.state.settings
    body = HealthBody(
        status="ok",
        service="ghosthands-api",
        version=__version__,
        commit_sha=settings.commit_sha,
        environment=settings.environment,
        timestamp=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    return Response(msgspec.json.encode(body), media_type="application/json")
