"""The worker's hot-path statements keep cheap plans whatever the statistics say.

A queue's table never has statistics that describe it: pending, queued and running jobs
are a sliver of the rows most of the time and thousands of them after a burst, and the
status indexes hold an entry for every job that ever passed through a status until the
next vacuum. These tests build exactly that (a burst the statistics have not seen, and a
status index full of dead entries) and read the plans PostgreSQL chooses.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from ghosthands.jobs.queue import _HELD, Q

BURST = 3000


def burst(dsn: str, status: str = "pending") -> list[uuid.UUID]:
    """BURST jobs in one transaction (one created_at for all), unseen by ANALYZE."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "INSERT INTO gh_automation_jobs (user_id, job_type, target_url, status) "
            "SELECT gen_random_uuid(), 'http_check', 'https://example.com/', %s "
            "FROM generate_series(1, %s) RETURNING id",
            (status, BURST),
        ).fetchall()
    return [r[0] for r in rows]


def plan(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> str:
    rows = conn.execute("EXPLAIN " + sql, params).fetchall()
    return "\n".join(r[0] for r in rows)


def test_claim_reads_the_claim_index_in_order_after_a_burst(database_url: str) -> None:
    burst(database_url)
    params = {"limit": 8, "worker_id": "w-1", "worker_prefix": "w", "preferred_grace": 30.0}
    with psycopg.connect(database_url) as conn:
        unguided = plan(conn, Q.claim_jobs, params)
        conn.rollback()
        conn.execute(Q.claim_setup, {"actor": "w-1"})
        guided = plan(conn, Q.claim_jobs, params)
    # Left to the stale statistics, the planner sorts the whole burst for every claim
    # (this is what claim_setup is for; if PostgreSQL ever stops doing so, this line
    # says the set-up may be dropped).
    assert "Sort" in unguided, unguided
    assert "Index Scan using gh_jobs_claim_idx" in guided, guided
    assert "Sort" not in guided, guided


@pytest.mark.parametrize("query", ["mark_running", "complete_jobs", "heartbeat_jobs"])
def test_writes_by_id_go_through_the_primary_key(database_url: str, query: str) -> None:
    ids = burst(database_url, status="queued")
    with psycopg.connect(database_url) as conn:
        # Every job of the burst finishes: the status indexes keep their dead entries.
        conn.execute("UPDATE gh_automation_jobs SET status = 'completed'")
        conn.commit()
        conn.execute("ANALYZE gh_automation_jobs")  # "nothing is queued": true, and a trap
        conn.commit()
        mine = ids[:4]
        attempts = [uuid.uuid4() for _ in mine]
        params: dict[str, Any] = {
            "job_ids": mine,
            "attempt_ids": attempts,
            "actor": "w-1",
            "held": _HELD,
            "statuses": ["completed"] * 4,
            "results": [None] * 4,
            "summaries": [""] * 4,
            "final_modes": [None] * 4,
            "messages": ["done"] * 4,
            "tiers": ["free"] * 4,
        }
        chosen = plan(conn, getattr(Q, query), params)
    assert "gh_automation_jobs_pkey" in chosen, chosen
    assert "gh_jobs_status_idx" not in chosen and "gh_jobs_heartbeat_idx" not in chosen, chosen
