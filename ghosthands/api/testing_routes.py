"""Routes that exist only when ``GH_ENABLE_TEST_ROUTES=true``: never in production.

``GET /__test__/slow?seconds=N`` holds a request open, so tests can prove that a
draining server finishes in-flight requests.
"""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ghosthands.api.errors import ApiError
from ghosthands.logs import get_logger

log = get_logger(__name__)


async def slow(request: Request) -> Response:
    try:
        seconds = float(request.query_params.get("seconds", "1"))
    except ValueError:
        raise ApiError(400, "seconds must be a number") from None
    log.info("test_slow_started", seconds=seconds)
    await anyio.sleep(min(max(seconds, 0.0), 60.0))
    return JSONResponse({"slept": seconds})


routes = [Route("/__test__/slow", slow)]
