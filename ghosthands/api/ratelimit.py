"""Per-user rate limits by tier, counted in PostgreSQL so every API process shares them.

A fixed window of ``WINDOW_SECONDS`` on the database clock: each request of a user
caller increments its window's row in one statement (``api/sql/ratelimit.sql``).
Service callers are never limited. Responses carry ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (seconds until the window resets);
a refused request is 429 ``rate_limit_exceeded`` with ``Retry-After``.

If the database cannot be reached the request is let through (and will most likely
fail on its own query): a limiter outage must not turn into an API outage.
"""

from __future__ import annotations

import dataclasses
import math

from ghosthands.api.auth import Principal
from ghosthands.api.errors import ApiError
from ghosthands.db.pool import Database
from ghosthands.db.queries import load_queries
from ghosthands.jobs.budgets import RATE_LIMIT_PER_MINUTE
from ghosthands.logs import get_logger

log = get_logger(__name__)

Q = load_queries("ghosthands.api.sql", "ratelimit.sql")

WINDOW_SECONDS = 60


@dataclasses.dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimiter:
    def __init__(self, db: Database, limits: dict[str, int] | None = None) -> None:
        self.db = db
        self.limits = dict(limits or RATE_LIMIT_PER_MINUTE)

    async def hit(self, principal: Principal, cost: int = 1) -> RateState | None:
        """Count a request (``cost``: a batch counts as its size); None for unlimited
        callers; ApiError(429) over the limit."""
        if principal.is_service or principal.user_id is None:
            return None
        limit = self.limits[principal.tier]
        try:
            async with self.db.connection() as conn:
                cur = await conn.execute(
                    Q.hit,
                    {
                        "bucket": f"user:{principal.user_id}",
                        "window_seconds": WINDOW_SECONDS,
                        "cost": cost,
                    },
                )
                row = await cur.fetchone()
        except Exception as exc:  # fail open: see the module docstring
            log.warning("rate_limit_unavailable", error=type(exc).__name__)
            return None
        assert row is not None
        hits = int(row["hits"])
        reset = max(1, math.ceil(float(row["reset_at"]) - float(row["now_epoch"])))
        state = RateState(limit, max(0, limit - hits), reset)
        if hits > limit:
            raise ApiError(
                429,
                f"rate limit of {limit} requests per minute exceeded; retry in {reset} s",
                code="rate_limit_exceeded",
                headers={**state.headers(), "Retry-After": str(reset)},
            )
        return state
