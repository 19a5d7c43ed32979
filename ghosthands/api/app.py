"""The Starlette application, built explicitly by :func:`create_app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Route

from ghosthands.api import errors, testing_routes
from ghosthands.api.health import health
from ghosthands.api.routes_models import make_routes as model_routes
from ghosthands.config import Settings
from ghosthands.db.pool import Database


def create_app(settings: Settings, db: Database | None) -> Starlette:
    """Build the API. ``db`` is opened and closed by the app's lifespan."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if db is not None:
            await db.open()
        try:
            yield
        finally:
            if db is not None:
                await db.close()

    routes: list[BaseRoute] = [Route("/health", health, methods=["GET"])]
    routes.extend(model_routes(settings))
    if settings.enable_test_routes:
        routes.extend(testing_routes.routes)

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            errors.ApiError: errors.api_error_handler,
            HTTPException: errors.http_error_handler,
            Exception: errors.internal_error_handler,
        },
    )
    app.state.settings = settings
    app.state.db = db
    return app
