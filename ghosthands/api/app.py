"""The Starlette application, built explicitly by :func:`create_app`.

The route table (:func:`endpoints`) is a list of :class:`Endpoint` s, one module per
area; the same list builds the Starlette routes and the OpenAPI document. The lifespan
opens the database pool and runs the process's one LISTEN connection for live events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.routing import BaseRoute

from ghosthands.api import (
    errors,
    routes_jobs,
    routes_models,
    routes_monitoring,
    routes_users,
    routes_valet,
    testing_routes,
)
from ghosthands.api.health import HealthBody, health
from ghosthands.api.middleware import BodyLimitMiddleware, RequestMetricsMiddleware
from ghosthands.api.openapi import build_document
from ghosthands.api.routing import Call, Endpoint
from ghosthands.api.services import Services
from ghosthands.config import Settings
from ghosthands.db.pool import Database


async def liveness(call: Call[None, None]) -> Response:
    return await health(call.request)


def endpoints() -> list[Endpoint]:
    """Every documented route of the API, in the order the OpenAPI document lists them."""
    return [
        Endpoint(
            "GET",
            "/health",
            liveness,
            "Liveness, version and commit",
            "monitoring",
            access="public",
            responses={200: HealthBody},
        ),
        *routes_jobs.ENDPOINTS,
        *routes_valet.ENDPOINTS,
        *routes_users.ENDPOINTS,
        *routes_models.ENDPOINTS,
        *routes_monitoring.ENDPOINTS,
        Endpoint(
            "GET",
            "/openapi.json",
            openapi_document,
            "This OpenAPI document",
            "monitoring",
            access="public",
            responses={200: None},
        ),
    ]


async def openapi_document(call: Call[None, None]) -> Response:
    return Response(call.request.app.state.openapi, media_type="application/json")


def create_app(settings: Settings, db: Database | None) -> Starlette:
    """Build the API. ``db`` is opened and closed by the app's lifespan."""
    services = Services.build(settings, db)
    table = endpoints()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if db is not None:
            await db.open()
        try:
            async with anyio.create_task_group() as tg:
                if services.hub is not None:
                    await tg.start(services.hub.run)
                yield
                if services.hub is not None:
                    services.hub.drain()
                tg.cancel_scope.cancel()
        finally:
            if services.storage is not None:
                await services.storage.aclose()
            if db is not None:
                await db.close()

    routes: list[BaseRoute] = [ep.route() for ep in table]
    if settings.enable_test_routes:
        routes.extend(testing_routes.routes)

    middleware = [Middleware(RequestMetricsMiddleware, metrics=services.metrics)]
    if settings.cors_origin:
        origins = [o.strip() for o in settings.cors_origin.split(",") if o.strip()]
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "X-GH-Service-Key",
                    "Last-Event-ID",
                    "X-Request-ID",
                ],
                expose_headers=[
                    "X-RateLimit-Limit",
                    "X-RateLimit-Remaining",
                    "X-RateLimit-Reset",
                    "Retry-After",
                    "X-Request-ID",
                ],
                allow_credentials="*" not in origins,
                max_age=600,
            )
        )
    middleware.append(Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes))

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers={
            errors.ApiError: errors.api_error_handler,
            HTTPException: errors.http_error_handler,
            Exception: errors.internal_error_handler,
        },
    )
    app.state.settings = settings
    app.state.db = db
    app.state.services = services
    app.state.openapi = msgspec.json.encode(build_document(table, commit_sha=settings.commit_sha))
    return app
