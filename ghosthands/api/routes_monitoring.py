"""``/monitoring/health`` (deep health) and ``/monitoring/metrics`` (Prometheus), unauthenticated.

Health: the database (latency of a round trip), worker heartbeats from
``gh_worker_registry`` (a heartbeat older than ``GH_STALE_SECONDS`` is stale), which LLM
provider keys are present (never their values) and storage (artifacts live in the
database unless an object store is configured). ``unhealthy`` (503) when the database is
unreachable; ``degraded`` (200) when no worker is live or no LLM key is set.
"""

from __future__ import annotations

import datetime as dt
import time

import anyio
import msgspec
from starlette.responses import HTMLResponse, Response

from ghosthands import __version__
from ghosthands.api.dashboard import CSP, render_dashboard
from ghosthands.api.errors import ApiError
from ghosthands.api.metrics import FleetSnapshot, read_fleet
from ghosthands.api.routing import Call, Endpoint, json_response
from ghosthands.api.schemas import (
    CheckResult,
    LlmCheck,
    MonitoringChecks,
    MonitoringHealth,
    SchemaCheck,
    WorkerHeartbeat,
    WorkersCheck,
)
from ghosthands.api.services import Services
from ghosthands.db.migrate import shipped_migrations
from ghosthands.db.queries import load_queries
from ghosthands.logs import get_logger

log = get_logger(__name__)

Q = load_queries("ghosthands.api.sql", "monitoring.sql")
#: The newest migration this code ships: the database must be at least there.
EXPECTED_SCHEMA = max(m.version for m in shipped_migrations())

#: A health probe must answer even when the database hangs.
DB_CHECK_SECONDS = 2.0


async def _database_checks(
    services: Services,
) -> tuple[CheckResult, SchemaCheck, WorkersCheck | None]:
    """The health's database reads: reachability, schema version, the worker registry."""
    settings = services.settings
    database = CheckResult(ok=False, detail="no database configured")
    expected = EXPECTED_SCHEMA
    schema = SchemaCheck(ok=False, expected=expected, database=None)
    workers: WorkersCheck | None = None
    if services.db is not None:
        started = time.perf_counter()
        try:
            with anyio.fail_after(DB_CHECK_SECONDS):
                async with services.db.connection() as conn:
                    await conn.execute(Q.ping)
                    latency = (time.perf_counter() - started) * 1000
                    cur = await conn.execute(Q.schema_version)
                    version = (await cur.fetchone() or {"version": 0})["version"]
                    cur = await conn.execute(Q.worker_heartbeats)
                    rows = await cur.fetchall()
            database = CheckResult(ok=True, latency_ms=round(latency, 2))
            schema = SchemaCheck(ok=version >= expected, expected=expected, database=version)
            beats = [
                WorkerHeartbeat(
                    worker_id=r["worker_id"],
                    status=r["status"],
                    host=r["host"],
                    current_jobs=r["current_jobs"],
                    max_jobs=r["max_jobs"],
                    last_heartbeat=r["last_heartbeat"],
                    heartbeat_age_seconds=round(float(r["heartbeat_age_seconds"]), 3),
                    stale=float(r["heartbeat_age_seconds"]) > settings.stale_seconds,
                )
                for r in rows
            ]
            live = [w for w in beats if not w.stale and w.status == "active"]
            workers = WorkersCheck(
                ok=bool(live),
                active=len(live),
                stale=sum(1 for w in beats if w.stale),
                workers=beats,
            )
        except (Exception, TimeoutError) as exc:
            log.warning("health_database_failed", error=type(exc).__name__)
            database = CheckResult(
                ok=False,
                detail=f"database unreachable ({type(exc).__name__})",
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
            )
    return database, schema, workers


async def monitoring_health(call: Call[None, None]) -> Response:
    services: Services = call.services
    settings = services.settings
    database, schema, workers = await services.health_cache.get(lambda: _database_checks(services))
    if workers is not None and not await _is_operator(call):
        # Host names are for the service's operators, not for anyone who asks.
        workers = msgspec.structs.replace(
            workers, workers=[msgspec.structs.replace(w, host=None) for w in workers.workers]
        )
    providers = {
        "google": bool(settings.google_api_key),
        "openai": bool(settings.openai_api_key),
        "anthropic": bool(settings.anthropic_api_key),
    }
    llm = LlmCheck(ok=any(providers.values()), providers=providers)
    storage = CheckResult(
        ok=database.ok,
        detail="artifacts are stored in the database"
        if settings.object_store is None
        else f"artifacts go to the {settings.object_store} store (not probed)",
    )
    if not database.ok or not schema.ok:
        status = "unhealthy"
    elif workers is None or not workers.ok:
        status = "degraded"
    else:
        status = "healthy"
    body = MonitoringHealth(
        status=status,  # type: ignore[arg-type]
        version=__version__,
        commit_sha=settings.commit_sha,
        timestamp=dt.datetime.now(dt.UTC),
        checks=MonitoringChecks(
            database=database, schema=schema, workers=workers, llm=llm, storage=storage
        ),
    )
    return json_response(body, 503 if status == "unhealthy" else 200)


async def monitoring_metrics(call: Call[None, None]) -> Response:
    services: Services = call.services
    services.metrics.set_fleet(await _fleet_or_none(services))
    return Response(
        services.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )


async def monitoring_dashboard(call: Call[None, None]) -> Response:
    services: Services = call.services
    fleet = await _fleet_or_none(services)
    if fleet is not None and not await _is_operator(call):
        fleet = msgspec.structs.replace(
            fleet, workers=[msgspec.structs.replace(w, host=None) for w in fleet.workers]
        )
    page = render_dashboard(fleet, stale_seconds=services.settings.stale_seconds)
    return HTMLResponse(
        page,
        headers={
            "content-security-policy": CSP,
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        },
    )


async def _fleet_or_none(services: Services) -> FleetSnapshot | None:
    """The database's view of the fleet (shared for a few seconds), or None when it
    cannot be read in time."""
    snapshot: FleetSnapshot | None = await services.fleet_cache.get(lambda: _read_fleet(services))
    return snapshot


async def _read_fleet(services: Services) -> FleetSnapshot | None:
    if services.db is None:
        return None
    try:
        with anyio.fail_after(DB_CHECK_SECONDS):
            return await read_fleet(services.db)
    except (Exception, TimeoutError) as exc:
        log.warning("metrics_fleet_read_failed", error=type(exc).__name__)
        return None


async def _is_operator(call: Call[None, None]) -> bool:
    """Whether a public route's caller nonetheless proved to be the service."""
    try:
        return bool((await call.services.auth.authenticate(call.request)).is_service)
    except ApiError:
        return False


ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/monitoring/dashboard",
        monitoring_dashboard,
        "Operator page: queue, workers, failures by code, cost today (HTML, no secrets)",
        "monitoring",
        access="public",
        responses={200: None},
        media_type="text/html",
    ),
    Endpoint(
        "GET",
        "/monitoring/health",
        monitoring_health,
        "Deep health: database, workers, LLM keys, storage",
        "monitoring",
        access="public",
        responses={200: MonitoringHealth, 503: MonitoringHealth},
    ),
    Endpoint(
        "GET",
        "/monitoring/metrics",
        monitoring_metrics,
        "Prometheus metrics",
        "monitoring",
        access="public",
        responses={200: None},
        media_type="text/plain",
    ),
]
