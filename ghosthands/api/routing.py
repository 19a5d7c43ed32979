"""The route table's building block: an :class:`Endpoint` says everything about a route.

Method, path, who may call it, its body / query / path parameter types and its
responses. From one list of Endpoints the app builds its Starlette routes (with
authentication, rate limiting and decoding done once, here) and ``openapi.py``
generates the OpenAPI document, so the two cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Literal, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ghosthands.api import decoding
from ghosthands.api.auth import Principal
from ghosthands.api.errors import ApiError
from ghosthands.api.ratelimit import RateState
from ghosthands.logs import log_context

B = TypeVar("B")
Q = TypeVar("Q")

Access = Literal["public", "any", "service"]

_PARAM = re.compile(r"{([a-z_]+)}")


@dataclasses.dataclass
class Call(Generic[B, Q]):
    """What a handler receives: the request, the caller and the decoded inputs."""

    request: Request
    principal: Principal | None
    body: B
    query: Q
    params: dict[str, Any]
    rate: RateState | None = None

    @property
    def services(self) -> Any:
        """The app's services (``app.state.services``): submissions, hub, settings."""
        return self.request.app.state.services

    @property
    def caller(self) -> Principal:
        assert self.principal is not None, "public endpoints have no caller"
        return self.principal


Handler = Callable[[Call[Any, Any]], Awaitable[Response]]


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """One route: its handler and its contract (used by the app and by OpenAPI)."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    access: Access = "any"
    body: type[Any] | None = None
    #: False: the body may be left out (the handler then gets None).
    body_required: bool = True
    query: type[Any] | None = None
    #: Path parameter types; a parameter not listed is a plain string.
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: Status → response Struct (None: no JSON body). The first is the success answer.
    responses: dict[int, type[Any] | None] = dataclasses.field(default_factory=dict)
    #: Error statuses this route answers besides those implied by access / body.
    errors: tuple[int, ...] = ()
    #: Media type of the success answer when it is not JSON (SSE, artifacts).
    media_type: str = "application/json"
    description: str = ""

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def operation_id(self) -> str:
        return getattr(self.handler, "__name__", "op")

    def route(self) -> Route:
        return Route(self.path, _wrap(self), methods=[self.method], name=self.operation_id)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Encode a Struct (or builtins) as the JSON answer."""
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        services = request.app.state.services
        principal: Principal | None = None
        rate: RateState | None = None
        if endpoint.access != "public":
            principal = await services.auth.authenticate(request)
            if endpoint.access == "service" and not principal.is_service:
                raise ApiError(403, "this route is for the service caller only", code="forbidden")
            rate = await services.rate_limiter.hit(principal)
        with log_context(caller=principal.label if principal else "anonymous"):
            try:
                params = {
                    name: decoding.convert_path(
                        request.path_params[name], endpoint.params.get(name, str), name
                    )
                    for name in endpoint.path_params
                }
                query = (
                    decoding.validate_query(_query_dict(request), endpoint.query)
                    if endpoint.query is not None
                    else None
                )
                body = (
                    await decoding.parse_body(
                        request, endpoint.body, required=endpoint.body_required
                    )
                    if endpoint.body is not None
                    else None
                )
                response = await endpoint.handler(
                    Call(request, principal, body, query, params, rate)
                )
            except ApiError as exc:
                if rate is not None:
                    exc.headers = {**rate.headers(), **exc.headers}
                raise
        if rate is not None:  # a handler that counted more (a batch) set newer ones
            for name, value in rate.headers().items():
                response.headers.setdefault(name, value)
        return response

    run.__name__ = endpoint.operation_id
    return run


def _query_dict(request: Request) -> dict[str, str | list[str]]:
    out: dict[str, str | list[str]] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        out[key] = values if len(values) > 1 else values[0]
    return out
