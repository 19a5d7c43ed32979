"""The database restarts under a running worker: it reconnects and carries on by itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ghosthands.db.embedded import EmbeddedPostgres
from ghosthands.db.migrate import migrate
from tests.support import GhProcess, wait_until
from tests.worker.helpers import execute, insert_job, job, status_of


@pytest.fixture
def own_cluster() -> Iterator[EmbeddedPostgres]:
    """A cluster of this test's own: restarting the shared one would hit other tests."""
    with EmbeddedPostgres(name="ghosthands-restart") as pg:
        migrate(pg.dsn)
        yield pg


def test_worker_survives_a_postgres_restart(
    own_cluster: EmbeddedPostgres,  # first: torn down after the worker has stopped
    start_worker: Callable[..., GhProcess],
) -> None:
    dsn = own_cluster.dsn
    worker = start_worker(dsn=dsn, GH_HEARTBEAT_SECONDS="0.5")
    before = insert_job(dsn, job_type="test_slow", input_data={"seconds": 0})
    wait_until(lambda: status_of(dsn, before) == "completed", 15, "job before the restart")
    # A job in the middle of running while the database goes away.
    during = insert_job(dsn, job_type="test_slow", input_data={"seconds": 2})
    wait_until(lambda: status_of(dsn, during) == "running", 15, "job running")

    own_cluster.restart()

    worker.wait_event("listener_connected", timeout=30, connection=2)
    assert worker.proc.poll() is None
    # New jobs are claimed at once: the worker LISTENs again (the poll is slower).
    after = insert_job(dsn, job_type="test_slow", input_data={"seconds": 0})
    wait_until(lambda: status_of(dsn, after) == "completed", 10, "job after the restart")
    # The job caught by the restart ends well too (retried if its writes were cut off).
    wait_until(lambda: status_of(dsn, during) == "completed", 30, "interrupted job finished")
    assert job(dsn, during)["retry_count"] <= 1
    worker_id = worker.wait_event("worker_registered")["worker_id"]
    fresh = execute(
        dsn,
        "SELECT last_heartbeat > now() - interval '3 seconds' AS fresh FROM gh_worker_registry "
        "WHERE worker_id = %s",
        [worker_id],
    )
    assert fresh == [{"fresh": True}]
    assert worker.find_event("role_ready") is not None
    assert len([e for e in worker.events() if e.get("event") == "role_ready"]) == 1
