"""Drain on SIGTERM: finish what can finish, release the rest at once, exit 0."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

from tests.support import GhProcess, wait_until
from tests.worker.helpers import events, execute, insert_job, job, status_of


def _registry_status(dsn: str, worker: GhProcess) -> str:
    worker_id = worker.wait_event("worker_registered")["worker_id"]
    rows = execute(dsn, "SELECT status FROM gh_worker_registry WHERE worker_id = %s", [worker_id])
    return str(rows[0]["status"])


def test_sigterm_lets_a_running_job_finish_within_the_drain_window(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    worker = start_worker(GH_WORKER_DRAIN_SECONDS="10", MAX_CONCURRENT_JOBS="1")
    job_id = insert_job(database_url, job_type="test_slow", input_data={"seconds": 1.5})
    worker.wait_event("job_started", job_id=str(job_id))
    waiting = insert_job(database_url, job_type="test_slow", input_data={"seconds": 0}, priority=9)
    worker.send(signal.SIGTERM)
    signalled = time.monotonic()
    worker.wait_event("worker_draining")
    assert worker.wait(timeout=10) == 0
    assert time.monotonic() - signalled < 5
    assert status_of(database_url, job_id) == "completed"
    assert worker.find_event("drain_complete") is not None
    assert _registry_status(database_url, worker) == "offline"
    # Claiming stopped at the signal: the queued job (no free slot before it) never ran.
    assert status_of(database_url, waiting) == "pending"
    assert not any(e["to_status"] == "running" for e in events(database_url, waiting))


def test_sigterm_releases_an_unfinished_job_at_once_to_another_worker(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    # Staleness is a minute here: only the drain's release can move the job this fast.
    first = start_worker(GH_WORKER_DRAIN_SECONDS="1", GH_STALE_SECONDS="60")
    job_id = insert_job(database_url, job_type="test_slow", input_data={"seconds": 4})
    first.wait_event("job_started", job_id=str(job_id))
    second = start_worker(GH_STALE_SECONDS="60")
    first.send(signal.SIGTERM)
    signalled = time.monotonic()
    assert first.wait(timeout=5) == 0
    assert time.monotonic() - signalled < 1 + 2.5  # drain limit + process exit
    first.wait_event("job_released", job_id=str(job_id))
    second_id = second.wait_event("worker_registered")["worker_id"]
    second.wait_event("job_claimed", timeout=5, job_id=str(job_id))
    wait_until(lambda: status_of(database_url, job_id) == "completed", 15, "finished elsewhere")
    row = job(database_url, job_id)
    assert row["worker_id"] == second_id
    assert row["retry_count"] == 0  # a release is not a failed attempt
    history = [
        (e["from_status"], e["to_status"]) for e in events(database_url, job_id) if e["to_status"]
    ]
    assert history == [
        (None, "pending"),
        ("pending", "queued"),
        ("queued", "running"),
        ("running", "pending"),
        ("pending", "queued"),
        ("queued", "running"),
        ("running", "completed"),
    ]
    released = next(e for e in events(database_url, job_id) if e["from_status"] == "running")
    assert released["actor"] == first.wait_event("worker_registered")["worker_id"]
    assert _registry_status(database_url, first) == "offline"


def test_second_signal_releases_jobs_and_exits_non_zero(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    worker = start_worker(GH_WORKER_DRAIN_SECONDS="30", GH_STALE_SECONDS="60")
    job_id = insert_job(database_url, job_type="test_slow", input_data={"seconds": 60})
    worker.wait_event("job_started", job_id=str(job_id))
    worker.send(signal.SIGTERM)
    worker.wait_event("worker_draining")
    assert status_of(database_url, job_id) == "running"  # still draining
    worker.send(signal.SIGTERM)
    assert worker.wait(timeout=8) == 128 + signal.SIGTERM
    row = job(database_url, job_id)
    assert row["status"] == "pending"
    assert row["error_details"]["reason"] == "worker_abort"
    assert _registry_status(database_url, worker) == "offline"
