"""``/monitoring/metrics`` of a real ``ghosthands serve``: fleet figures equal the database's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.conftest import PREFIX, create_job, job_body
from tests.api.fleet import EXPECTED, seed_fleet
from tests.support import sample, scrape


def test_fleet_figures_come_from_the_database(start_api: Any) -> None:
    api = start_api()
    seed_fleet(api)
    m = scrape(f"{api.base_url}/monitoring/metrics")

    assert sample(m, "gh_api_database_up") == 1
    for status in ("pending", "running"):
        assert sample(m, "gh_queue_depth", status=status) == EXPECTED[status]
    assert sample(m, "gh_queue_depth", status="paused") == 0
    assert ("gh_queue_depth", frozenset({("status", "completed")})) not in m  # terminal
    assert sample(m, "gh_jobs_by_status", status="completed") == EXPECTED["completed"]
    assert sample(m, "gh_jobs_by_status", status="failed") == EXPECTED["failed"] + 1
    assert sample(m, "gh_queue_oldest_due_seconds") >= 0

    assert 0 <= sample(m, "gh_worker_heartbeat_staleness_seconds", worker_id="w-live") < 60
    stale = sample(m, "gh_worker_heartbeat_staleness_seconds", worker_id="w-stale")
    assert EXPECTED["stale_worker_age_min"] < stale < 700
    assert not any(
        name == "gh_worker_heartbeat_staleness_seconds" and ("worker_id", "w-gone") in labels
        for name, labels in m
    )  # offline workers drop out instead of going stale forever
    assert sample(m, "gh_workers", status="active") == 2

    assert sample(m, "gh_llm_cost_cents_today") == pytest.approx(EXPECTED["cost_cents_today"])
    for code, n in EXPECTED["failures"].items():
        assert sample(m, "gh_job_failures_24h", error_code=code) == n

    # A worker going offline disappears from the next scrape.
    api.sql("UPDATE gh_worker_registry SET status = 'offline' WHERE worker_id = 'w-stale'")
    m = scrape(f"{api.base_url}/monitoring/metrics")
    assert ("gh_worker_heartbeat_staleness_seconds", frozenset({("worker_id", "w-stale")})) not in m


def test_jobs_created_counted_by_type(start_api: Any) -> None:
    api = start_api()
    service = api.service()
    for _ in range(3):
        create_job(service)
    create_job(service, job_type="scrape")
    batch = {"jobs": [{**job_body(), "user_id": str(uuid.uuid4())}] * 2}
    assert service.post(f"{PREFIX}/jobs/batch", batch).status_code == 201
    m = scrape(f"{api.base_url}/monitoring/metrics")
    assert sample(m, "gh_jobs_created_total", job_type="http_check") == 5
    assert sample(m, "gh_jobs_created_total", job_type="scrape") == 1
    count = "gh_api_request_duration_seconds_count"
    assert sample(m, count, method="POST", route=f"{PREFIX}/jobs", status="201") == 4
    assert sample(m, count, method="POST", route=f"{PREFIX}/jobs/batch", status="201") == 1
