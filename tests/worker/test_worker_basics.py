"""``ghosthands work`` as a real process: run jobs, retries, errors, affinity, order."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support import GhProcess, wait_until
from tests.worker.conftest import status_port
from tests.worker.helpers import Site, events, insert_job, job, status_of


def test_http_check_job_completes_with_status_url_and_title(
    start_worker: Callable[..., GhProcess], database_url: str, site: Site
) -> None:
    worker = start_worker()
    job_id = insert_job(database_url, target_url=f"{site.url}/redirect")
    wait_until(lambda: status_of(database_url, job_id) == "completed", 15, "job completed")
    row = job(database_url, job_id)
    assert row["result_data"] == {
        "status_code": 200,
        "final_url": f"{site.url}/page/redirected",
        "title": "Page redirected",
        "redirects": 1,
    }
    assert row["completed_at"] is not None
    statuses = [e["to_status"] for e in events(database_url, job_id) if e["to_status"]]
    assert statuses == ["pending", "queued", "running", "completed"]
    steps = [
        e["metadata"]["step"] for e in events(database_url, job_id) if e["event_type"] == "progress"
    ]
    assert steps == ["navigating", "checked"]
    worker_id = worker.wait_event("worker_registered")["worker_id"]
    assert row["worker_id"] == worker_id
    port = status_port(worker)
    status = httpx.get(f"http://127.0.0.1:{port}/worker/status").json()
    assert status["worker_id"] == worker_id and status["status"] == "active"
