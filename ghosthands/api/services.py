"""What the routes use, built once per app by ``create_app`` (``app.state.services``).

Also the translation of the jobs layer's exceptions into API errors, and the rules
every job-creating route shares (whose job it is, which URLs it may name).
"""

from __future__ import annotations

import dataclasses
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from ghosthands.api.auth import Authenticator, Principal
from ghosthands.api.decoding import FieldError, ValidationFailed
from ghosthands.api.errors import ApiError
from ghosthands.api.metrics import ApiMetrics
from ghosthands.api.ratelimit import RateLimiter
from ghosthands.api.sse import JobEventHub
from ghosthands.api.urlpolicy import is_private_host
from ghosthands.config import Settings
from ghosthands.crypto import KeyRing
from ghosthands.db.pool import Database
from ghosthands.jobs.submissions import DuplicateIdempotencyKey, JobSubmissions
from ghosthands.llm.catalogue import Catalogue
from ghosthands.netguard import NO_EXCEPTIONS
from ghosthands.storage import Storage, open_storage


class TtlCache:
    """One value, recomputed at most every ``seconds`` however many ask at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._value: Any = None
        self._at = -math.inf
        self._lock = anyio.Lock()

    async def get(self, compute: Callable[[], Awaitable[Any]]) -> Any:
        if time.monotonic() - self._at < self.seconds:
            return self._value
        async with self._lock:  # one reader computes, the others wait for its result
            if time.monotonic() - self._at >= self.seconds:
                self._value = await compute()
                self._at = time.monotonic()
            return self._value


@dataclasses.dataclass
class Services:
    settings: Settings
    db: Database | None
    auth: Authenticator
    metrics: ApiMetrics
    rate_limiter: Any  # RateLimiter, or a stand-in without a database
    submissions: Any  # JobSubmissions
    hub: Any  # JobEventHub
    keyring: KeyRing | None
    catalogue: Catalogue
    #: The monitoring routes' database reads, shared for a few seconds: they are
    #: public, and counting the jobs table per request would let anyone load the pool.
    fleet_cache: TtlCache
    health_cache: TtlCache
    #: The object store artifacts may live in (None: all of them are in the database).
    storage: Storage | None = None

    @classmethod
    def build(cls, settings: Settings, db: Database | None) -> Services:
        return cls(
            settings=settings,
            db=db,
            auth=Authenticator(settings),
            metrics=ApiMetrics(),
            rate_limiter=RateLimiter(db) if db is not None else _NoLimits(),
            submissions=JobSubmissions(db) if db is not None else None,
            hub=(
                JobEventHub(
                    db,
                    max_streams=settings.max_streams,
                    max_per_owner=settings.max_streams_per_user,
                )
                if db is not None
                else None
            ),
            keyring=KeyRing(settings.encryption_keys) if settings.encryption_keys else None,
            catalogue=Catalogue.from_settings(settings),
            fleet_cache=TtlCache(settings.monitoring_cache_seconds),
            health_cache=TtlCache(settings.monitoring_cache_seconds),
            storage=open_storage(settings),
        )

    async def with_signed_urls(self, job_id: uuid.UUID, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` with its screenshot and artifact URLs as absolute, time-limited links
        into the object store, for those it keeps; the row itself without a store."""
        shots = list(row.get("screenshot_urls") or [])
        others = list(row.get("artifact_urls") or [])
        if self.storage is None or not (shots or others):
            return row
        stored = await self.submissions.artifact_locations(job_id)
        if not stored:
            return row
        signed = await self.storage.sign_urls(shots + others, stored)
        return {
            **row,
            "screenshot_urls": signed[: len(shots)],
            "artifact_urls": signed[len(shots) :],
        }


class _NoLimits:
    async def hit(self, principal: Principal, cost: int = 1) -> None:
        return None


def job_owner_for_create(principal: Principal, requested: uuid.UUID | None) -> uuid.UUID:
    """The user a new job belongs to: the service names one; a user gets themselves."""
    if principal.is_service:
        if requested is None:
            raise ValidationFailed(
                [FieldError("user_id", "is required when the service caller creates a job")]
            )
        return requested
    assert principal.user_id is not None
    if requested is not None and requested != principal.user_id:
        raise ApiError(403, "you may only create jobs for yourself", code="forbidden")
    return principal.user_id


def check_urls(settings: Settings, **urls: str | None) -> None:
    """422 for URLs pointing at this host or a private network (unless allowed)."""
    if settings.allow_private_networks:
        return
    allowed = settings.callback_allowed_networks
    errors = [
        FieldError(name, "must not point to localhost or a private network address")
        for name, url in urls.items()
        if url is not None
        and is_private_host(url, allowed if name == "callback_url" else NO_EXCEPTIONS)
    ]
    if errors:
        raise ValidationFailed(errors)


def not_found(what: str = "job") -> ApiError:
    return ApiError(404, f"{what} not found", code="not_found")


def duplicate(exc: DuplicateIdempotencyKey) -> ApiError:
    where = f" (jobs[{exc.index}])" if exc.index is not None else ""
    detail: dict[str, Any] = {
        "field": "idempotency_key" if exc.index is None else f"jobs[{exc.index}].idempotency_key",
        "message": "already used",
    }
    extra: dict[str, Any] = {}
    if exc.job_id is not None:
        detail["job_id"] = str(exc.job_id)
        extra["existing_job_id"] = str(exc.job_id)
    return ApiError(
        409,
        f"a job with this idempotency key already exists{where}",
        code="duplicate_idempotency_key",
        details=[detail],
        extra=extra,
    )
