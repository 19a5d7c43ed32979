"""Several real worker processes on one real database: nothing lost, nothing run twice."""

from __future__ import annotations

import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest

from ghosthands.config import Settings
from ghosthands.db.pool import Database
from ghosthands.jobs.contract import JobSpec
from ghosthands.jobs.queue import JobQueue
from ghosthands.jobs.states import JobStatus
from tests.support import GhProcess, wait_until
from tests.worker.helpers import Site, events, execute, insert_job, job, status_counts


def check_no_overlapping_runs(all_events: list[dict[str, Any]]) -> int:
    """Walk each job's events in order: a claim only when nobody holds the job, and every
    progress event written by the attempt that holds it. Returns the number of runs."""
    holder: dict[uuid.UUID, tuple[str, str] | None] = {}
    runs = 0
    for e in all_events:
        job_id = e["job_id"]
        meta = e["metadata"] or {}
        if e["event_type"] == "status_changed":
            if e["to_status"] == "queued":
                assert holder.get(job_id) is None, f"{job_id} claimed while held: {e}"
                holder[job_id] = (meta["worker_id"], meta["execution_attempt_id"])
                runs += 1
            elif e["to_status"] == "running":
                assert holder.get(job_id) == (meta["worker_id"], meta["execution_attempt_id"])
            else:
                holder[job_id] = None
        elif e["event_type"] == "progress":
            current = holder.get(job_id)
            assert current is not None, f"progress of {job_id} while nobody held it"
            assert (e["actor"], meta["execution_attempt_id"]) == current, e
    return runs


def test_three_workers_run_a_thousand_jobs_each_exactly_once(
    start_worker: Callable[..., GhProcess], database_url: str, site: Site
) -> None:
    workers = [start_worker(MAX_CONCURRENT_JOBS="6") for _ in range(3)]
    worker_ids = {w.wait_event("worker_registered")["worker_id"] for w in workers}
    started = time.monotonic()
    execute(
        database_url,
        """
        INSERT INTO gh_automation_jobs (user_id, job_type, target_url, priority)
        SELECT %s, 'http_check', %s || '/page/' || n, 1 + n %% 10
        FROM generate_series(1, 1000) AS n
        """,
        [uuid.uuid4(), site.url],
    )
    wait_until(
        lambda: status_counts(database_url).get("completed") == 1000,
        90,
        "1000 jobs completed",
        interval=0.5,
    )
    elapsed = time.monotonic() - started
    assert status_counts(database_url) == {"completed": 1000}

    all_events = events(database_url)
    terminal = Counter(e["job_id"] for e in all_events if e["to_status"] == "completed")
    assert len(terminal) == 1000 and set(terminal.values()) == {1}
    assert check_no_overlapping_runs(all_events) == 1000
    # Each page was fetched once: no job ran twice, even briefly.
    assert len(site.hits) == 1000 and set(site.hits.values()) == {1}
    by_worker = Counter(
        r["worker_id"] for r in execute(database_url, "SELECT worker_id FROM gh_automation_jobs")
    )
    assert set(by_worker) == worker_ids, by_worker  # all three took part
    titles = execute(
        database_url,
        "SELECT count(*) AS n FROM gh_automation_jobs WHERE result_data->>'title' LIKE 'Page %%'",
    )
    assert titles[0]["n"] == 1000
    assert elapsed < 60, f"took {elapsed:.1f}s"


@pytest.fixture
async def queue_db(database_url: str) -> AsyncIterator[Database]:
    db = Database(Settings(database_url=database_url), pool_size=2, name="test")
    await db.open()
    yield db
    await db.close()


def test_kill_9_jobs_are_recovered_by_the_others_and_late_writes_are_fenced(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    fast = {"GH_STALE_SECONDS": "2", "GH_HEARTBEAT_SECONDS": "0.3", "MAX_CONCURRENT_JOBS": "2"}
    victim = start_worker(GH_WORKER_ID_PREFIX="victim", **fast)
    victim_id = victim.wait_event("worker_registered")["worker_id"]
    submitted = insert_job(
        database_url, job_type="test_submit", priority=1, input_data={"seconds": 60}
    )
    slow = insert_job(
        database_url,
        job_type="test_slow",
        priority=2,
        input_data={"first_attempt_seconds": 60, "seconds": 0.5},
    )
    for job_id in (submitted, slow):
        victim.wait_event("job_started", job_id=str(job_id))
    wait_until(
        lambda: any(
            e["metadata"].get("step") == "submitted" for e in events(database_url, submitted)
        ),
        10,
        "submission reported",
    )
    for _ in range(2):
        start_worker(**fast)
    more = [
        insert_job(database_url, job_type="test_slow", input_data={"seconds": 0.5})
        for _ in range(4)
    ]
    stale_attempt = job(database_url, slow)["execution_attempt_id"]

    victim.send(signal.SIGKILL)
    killed = time.monotonic()
    victim.wait(timeout=5)

    wait_until(lambda: job(database_url, slow)["worker_id"] != victim_id, 10, "slow job recovered")
    assert time.monotonic() - killed < 2 + 1 + 4  # staleness + recovery period + slack
    wait_until(lambda: job(database_url, slow)["status"] == "completed", 15, "slow job finished")
    for job_id in more:
        wait_until(
            lambda j=job_id: job(database_url, j)["status"] == "completed", 15, "others done"
        )

    row = job(database_url, slow)
    assert row["retry_count"] == 1 and row["worker_id"] != victim_id
    recovered_by = {
        e["metadata"].get("worker_id")
        for e in events(database_url, slow)
        if e["to_status"] == "queued"
    }
    assert victim_id in recovered_by and len(recovered_by) == 2
    reason = next(
        e
        for e in events(database_url, slow)
        if e["from_status"] == "running" and e["to_status"] == "pending"
    )
    assert reason["message"] == "worker lost; job released for another attempt"

    # The form may have been submitted: a human decides, it is not run again.
    wait_until(lambda: job(database_url, submitted)["status"] == "awaiting_review", 10, "review")
    sub = job(database_url, submitted)
    assert sub["error_details"]["submission_evidence"] is True
    assert sub["error_details"]["worker_id"] == victim_id
    assert sum(1 for e in events(database_url, submitted) if e["to_status"] == "running") == 1

    # A late write from the killed runner's attempt (as if it had only been frozen).
    stale = JobSpec(
        id=slow,
        job_type="test_slow",
        user_id=row["user_id"],
        target_url=row["target_url"],
        task_description="",
        input_data={},
        timeout_seconds=300,
        retry_count=0,
        max_retries=3,
        execution_attempt_id=stale_attempt,
    )

    async def late_writes() -> tuple[Any, ...]:
        db = Database(Settings(database_url=database_url), pool_size=1, name="late")
        await db.open()
        try:
            late = JobQueue(db, victim_id)
            return (
                await late.complete(
                    stale,
                    status=JobStatus.COMPLETED,
                    result_data={"late": True},
                    summary="late",
                    final_mode=None,
                    tier="free",
                ),
                await late.fail(
                    stale,
                    code="timeout",
                    message="late",
                    details={},
                    retryable=True,
                    delay_seconds=0,
                ),
                await late.insert_progress(stale, "late", "", {}),
            )
        finally:
            await db.close()

    assert anyio.run(late_writes) == (False, None, False)
    after = job(database_url, slow)
    assert after["status"] == "completed" and after["result_data"] == {"slept": 0.5}
    assert check_no_overlapping_runs(events(database_url)) >= 7
