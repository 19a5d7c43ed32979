"""``ghosthands work`` shares its slots between users: GH_MAX_RUNNING_JOBS_PER_USER."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable

from tests.support import GhProcess, wait_until
from tests.worker.helpers import execute, insert_jobs

A = uuid.UUID("00000000-0000-4000-8000-00000000000a")
B = uuid.UUID("00000000-0000-4000-8000-00000000000b")


def test_a_user_at_the_cap_waits_while_others_run(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    slow = {"job_type": "test_slow", "input_data": {"seconds": 0.6}}
    a_jobs = insert_jobs(database_url, [{**slow, "user_id": A}] * 3)
    b_job = insert_jobs(database_url, [{**slow, "user_id": B}])[0]
    start_worker(MAX_CONCURRENT_JOBS="4", GH_MAX_RUNNING_JOBS_PER_USER="1")
    wait_until(
        lambda: execute(
            database_url,
            "SELECT count(*) = 4 AS done FROM gh_automation_jobs WHERE status = 'completed'",
        )[0]["done"],
        30,
        "all four completed",
    )
    rows = execute(
        database_url,
        "SELECT id, user_id, started_at, completed_at FROM gh_automation_jobs ORDER BY started_at",
    )
    a_runs = [(r["started_at"], r["completed_at"]) for r in rows if r["user_id"] == A]
    # A's three ran one after another, though the worker had slots to spare...
    assert len(a_runs) == 3
    for (_, done), (start, _) in itertools.pairwise(a_runs):
        assert start >= done
    # ...and B's job did not wait for them: it ran beside A's first.
    b_run = next(r for r in rows if r["id"] == b_job)
    assert b_run["started_at"] < a_runs[0][1]
    assert {r["id"] for r in rows} == {*a_jobs, b_job}
