"""What the deploy tool asks the running roles: is the API healthy, is the worker idle.

The API answers ``GET /health``. The worker's status server (``GH_WORKER_PORT`` on
loopback) answers ``POST /worker/drain`` (stop claiming) and ``GET /worker/health``
(200 idle, 503 busy). Every call has a short timeout; every wait has a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import httpx
import msgspec

from ghosthands.logs import get_logger

log = get_logger(__name__)


class HealthReport(msgspec.Struct):
    ok: bool
    status_code: int | None = None
    version: str | None = None
    commit_sha: str | None = None
    error: str | None = None


def check_health(url: str, timeout: float = 3.0) -> HealthReport:
    """One ``GET /health``: 200 is healthy; the body's version is reported when present."""
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return HealthReport(ok=False, error=f"{type(exc).__name__}: {exc or 'no answer'}")
    version = commit = None
    try:
        body: Any = response.json()
        if isinstance(body, dict):
            version, commit = body.get("version"), body.get("commit_sha")
    except ValueError:
        pass
    return HealthReport(
        ok=response.status_code == 200,
        status_code=response.status_code,
        version=version,
        commit_sha=commit,
        error=None if response.status_code == 200 else f"answered {response.status_code}",
    )


def schema_mismatch(health_url: str, timeout: float = 5.0) -> str | None:
    """Why the database's schema is behind what the serving release expects, read from
    the deep health next to ``health_url`` (``/monitoring/health``); None when it is
    not, or when that route cannot say."""
    url = urljoin(health_url, "/monitoring/health")
    try:
        body: Any = httpx.get(url, timeout=timeout).json()
        schema = body["checks"]["schema"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(schema, dict) or schema.get("ok", True):
        return None
    return (
        f"the database schema is at {schema.get('database')}, the release expects "
        f"{schema.get('expected')}: its migration was not applied"
    )


def wait_healthy(
    url: str,
    deadline_seconds: float,
    *,
    expect_version: str | None = None,
    still_alive: Callable[[], str | None] | None = None,
    interval: float = 0.25,
) -> HealthReport:
    """Poll ``url`` until it is healthy (and serves ``expect_version``) or time runs out.

    ``still_alive`` returns a reason when the process behind the URL has died, which
    ends the wait at once instead of at the deadline.
    """
    deadline = time.monotonic() + deadline_seconds
    report = HealthReport(ok=False, error="not checked")
    while True:
        report = check_health(url)
        if report.ok and expect_version is not None and report.version != expect_version:
            report = HealthReport(
                ok=False,
                status_code=report.status_code,
                version=report.version,
                error=f"serves version {report.version}, expected {expect_version}",
            )
        if report.ok:
            return report
        if still_alive is not None:
            dead = still_alive()
            if dead:
                return HealthReport(ok=False, error=dead)
        if time.monotonic() >= deadline:
            report.error = f"not healthy after {deadline_seconds:g} s: {report.error}"
            return report
        time.sleep(interval)


class DrainResult(msgspec.Struct):
    outcome: str  # idle | timeout | no_status_server
    waited_seconds: float
    detail: str | None = None


def drain_worker(base_url: str, timeout: float, interval: float = 0.5) -> DrainResult:
    """Ask the worker to stop claiming, then wait until it reports idle (up to ``timeout``).

    A worker without a reachable status server (not running, or a release that has none)
    is reported as ``no_status_server``; the caller then relies on SIGTERM's own drain.
    """
    started = time.monotonic()
    try:
        response = httpx.post(f"{base_url}/worker/drain", timeout=3.0)
    except httpx.HTTPError as exc:
        return DrainResult("no_status_server", 0.0, f"{type(exc).__name__}: {exc}")
    if response.status_code >= 400:
        return DrainResult(
            "no_status_server", 0.0, f"POST /worker/drain answered {response.status_code}"
        )
    log.info("deploy_worker_draining", url=base_url, timeout=timeout)
    deadline = started + timeout
    detail = None
    while True:
        try:
            health = httpx.get(f"{base_url}/worker/health", timeout=3.0)
            if health.status_code == 200:
                return DrainResult("idle", time.monotonic() - started)
            detail = f"/worker/health answered {health.status_code}"
        except httpx.HTTPError as exc:
            # The worker went away while draining: nothing left to wait for.
            return DrainResult("idle", time.monotonic() - started, f"gone: {type(exc).__name__}")
        if time.monotonic() >= deadline:
            return DrainResult("timeout", time.monotonic() - started, detail)
        time.sleep(interval)
