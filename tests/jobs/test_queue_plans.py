"""The worker's hot-path statements keep cheap plans whatever the statistics say.

A queue's table never has statistics that describe it: pending, queued and running jobs
are a sliver of the rows most of the time and thousands of them after a burst, and the
status indexes hold an entry for every job that ever passed through a status until the
next vacuum. These tests build exactly that (a burst the statistics have not seen, and a
status index full of dead entries) and read the plans PostgreSQL chooses.
"""

from __future__ import annotations

import re
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


def nested_plans(
    conn: psycopg.Connection[Any], sql: str, params: dict[str, Any], setup: bool
) -> list[str]:
    """The plans of every statement ``sql`` runs, its functions' statements included
    (auto_explain, sent to the client as notices), after claim_setup when ``setup``."""
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    if setup:
        conn.execute(Q.claim_setup, {"actor": "w-1"})
    notices.clear()
    conn.execute(sql, params).fetchall()
    conn.rollback()
    return [n for n in notices if "gh_automation_jobs" in n]


def test_claim_reads_the_claim_index_in_order_after_a_burst(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        # A history the statistics know (analyzed); then a burst they do not.
        conn.execute(
            "INSERT INTO gh_automation_jobs (user_id, job_type, target_url, status) "
            "SELECT gen_random_uuid(), 'http_check', 'https://example.com/', 'completed' "
            "FROM generate_series(1, %s)",
            (BURST,),
        )
        conn.commit()
        conn.execute("ANALYZE gh_automation_jobs")
        conn.commit()
    burst(database_url)
    params = {
        "limit": 8,
        "worker_id": "w-1",
        "worker_prefix": "w",
        "preferred_grace": 30.0,
        "after_user": uuid.UUID(int=0),
        "max_running": 10,
    }
    runs: dict[bool, list[list[str]]] = {}
    for setup in (False, True):
        with psycopg.connect(database_url) as conn:
            conn.execute("LOAD 'auto_explain'")
            for setting in ("log_min_duration = 0", "log_nested_statements = on"):
                conn.execute(f"SET auto_explain.{setting}")
            conn.execute("SET auto_explain.log_level = notice")
            conn.commit()
            # Custom plans for the first calls of a session, then the generic plan kept.
            runs[setup] = [nested_plans(conn, Q.claim_jobs, params, setup) for _ in range(7)]
    # Left to the stale statistics ("nothing is pending"), the planner reads the status
    # index and sorts what it finds (this is what claim_setup is for; if PostgreSQL ever
    # stops doing so, this line says the set-up may be dropped).
    assert any("Sort" in plan for plan in runs[False][0]), runs[False][0]
    # Set up, every statement of the claim, gh_pick_jobs's probes included, reads the
    # claim index in its own order (or the index of active jobs, for the cap), first
    # call and generic plan alike.
    for plans in (runs[True][0], runs[True][-1]):
        assert len(plans) >= 5, plans
        text = "\n".join(plans)
        assert "Index Scan using gh_jobs_claim_idx" in text, text
        # The cap's count reads an index of active jobs: its own, or (when the statistics
        # say almost nothing is active, as here) the heartbeat index of the same rows.
        assert re.search(r"Index (Only )?Scan using gh_jobs_(user_active|heartbeat)_idx", text), (
            text
        )
        assert "Sort" not in text and "Seq Scan" not in text, text
        assert "gh_jobs_status_idx" not in text and "gh_jobs_user_created_idx" not in text


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
