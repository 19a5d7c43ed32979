"""Cost and action limits: quality presets, monthly tier budgets, per-type action caps.

The one definition used by the API (validation, usage reports), the LLM cost meter and
the worker. Money is in US cents to avoid float drift in sums.
"""

from __future__ import annotations

import enum


class Quality(enum.StrEnum):
    SPEED = "speed"
    BALANCED = "balanced"
    QUALITY = "quality"


class Tier(enum.StrEnum):
    FREE = "free"
    STARTER = "starter"
    PRO = "pro"
    PREMIUM = "premium"
    ENTERPRISE = "enterprise"


#: Per-job LLM budget by quality preset, in cents.
JOB_BUDGET_CENTS: dict[Quality, int] = {
    Quality.SPEED: 5,
    Quality.BALANCED: 50,
    Quality.QUALITY: 100,
}

#: Monthly LLM budget per user by tier, in cents.
MONTHLY_BUDGET_CENTS: dict[Tier, int] = {
    Tier.FREE: 50,
    Tier.STARTER: 200,
    Tier.PRO: 1000,
    Tier.PREMIUM: 2500,
    Tier.ENTERPRISE: 10000,
}

#: Which tier a VALET quality preset runs under when the job names no tier.
QUALITY_TIER: dict[Quality, Tier] = {
    Quality.SPEED: Tier.FREE,
    Quality.BALANCED: Tier.STARTER,
    Quality.QUALITY: Tier.PRO,
}

#: Browser actions a job may take, by job type; other types get DEFAULT_ACTION_LIMIT.
ACTION_LIMITS: dict[str, int] = {"apply": 50, "scrape": 30, "fill_form": 40, "custom": 50}
DEFAULT_ACTION_LIMIT = 50


def action_limit(job_type: str) -> int:
    return ACTION_LIMITS.get(job_type, DEFAULT_ACTION_LIMIT)


#: API requests a user may make per minute, by tier (service callers are not limited).
RATE_LIMIT_PER_MINUTE: dict[Tier, int] = {
    Tier.FREE: 60,
    Tier.STARTER: 120,
    Tier.PRO: 300,
    Tier.PREMIUM: 600,
    Tier.ENTERPRISE: 1200,
}


def job_quality(input_data: dict[str, object]) -> Quality:
    """The job's quality preset (``input_data.quality``), balanced when absent or unknown."""
    try:
        return Quality(str(input_data.get("quality") or Quality.BALANCED))
    except ValueError:
        return Quality.BALANCED
