"""Stuck-job recovery by hand: the runbook's "Recover stuck jobs" as a safe command.

Workers recover stale jobs themselves (on start-up and periodically); this is the
operator's tool for when none is running. Same rule: a queued or running job whose
heartbeat is older than the stale limit goes back to ``pending``. Listing is the
default; changing needs ``apply=True``.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from ghosthands.db.queries import load_queries

queries = load_queries("ghosthands.jobs.sql", "recovery.sql")

ACTOR = "manual_recovery"


async def find_stale(
    conn: psycopg.AsyncConnection[Any], stale_seconds: int
) -> list[dict[str, Any]]:
    """The jobs a recovery would hand back, oldest silence first."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(queries.find_stale_jobs, {"stale_seconds": stale_seconds})
        return list(await cur.fetchall())


async def requeue_stale(
    conn: psycopg.AsyncConnection[Any], stale_seconds: int
) -> list[dict[str, Any]]:
    """Hand stale jobs back to ``pending`` in one transaction; return what changed."""
    async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT set_config('gh.actor', %s, true)", (ACTOR,))
        await cur.execute(
            queries.requeue_stale_jobs, {"stale_seconds": stale_seconds, "actor": ACTOR}
        )
        return list(await cur.fetchall())
