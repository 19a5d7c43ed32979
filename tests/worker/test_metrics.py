"""A real worker's ``/metrics``: the counters and histograms move with the jobs it runs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support import GhProcess, sample, scrape, wait_until
from tests.worker.conftest import status_port
from tests.worker.helpers import Receiver, Site, execute, insert_jobs, status_counts

N_CHECKS = 6


def test_worker_metrics_follow_the_jobs_it_runs(
    start_worker: Callable[..., GhProcess], database_url: str, site: Site, receiver: Receiver
) -> None:
    worker = start_worker()
    url = f"http://127.0.0.1:{status_port(worker)}/metrics"
    before = scrape(url)
    assert sample(before, "gh_active_jobs") == 0
    assert sample(before, "gh_jobs_completed_total", job_type="http_check") == 0

    insert_jobs(
        database_url,
        [
            {"target_url": f"{site.url}/page/{i}", "callback_url": receiver.url}
            for i in range(N_CHECKS)
        ]
        + [
            {"job_type": "test_fail", "input_data": {"code": "invalid_input"}, "max_retries": 0},
            {"job_type": "made_up_type_1234"},
            {"job_type": "test_fail", "input_data": {"code": "network_error"}, "max_retries": 1},
            {
                "job_type": "test_usage",
                "input_data": {"calls": 2, "cost_cents": 1.5, "tokens": 100},
            },
        ],
    )
    wait_until(
        lambda: set(status_counts(database_url)) <= {"completed", "failed"},
        30,
        "every job finished",
    )
    wait_until(lambda: len(receiver.accepted) >= N_CHECKS, 15, "callbacks delivered")
    m = scrape(url)

    assert sample(m, "gh_jobs_claimed_total", job_type="http_check") == N_CHECKS
    assert sample(m, "gh_jobs_completed_total", job_type="http_check") == N_CHECKS
    assert sample(m, "gh_job_duration_seconds_count", job_type="http_check") == N_CHECKS
    assert sample(m, "gh_job_pickup_latency_seconds_count", job_type="http_check") == N_CHECKS
    # Latencies are real durations, not zeros or clock-skew garbage.
    assert 0 < sample(m, "gh_job_duration_seconds_sum", job_type="http_check") < 30 * N_CHECKS
    assert 0 <= sample(m, "gh_job_pickup_latency_seconds_sum", job_type="http_check") < 30

    # One failure for good, one retry then a failure for good: errors count both attempts.
    assert sample(m, "gh_jobs_failed_total", job_type="test_fail", error_code="invalid_input") == 1
    assert sample(m, "gh_jobs_retried_total", job_type="test_fail", error_code="network_error") == 1
    assert sample(m, "gh_jobs_failed_total", job_type="test_fail", error_code="network_error") == 1
    assert sample(m, "gh_job_errors_total", error_code="network_error") == 2
    assert sample(m, "gh_job_errors_total", error_code="invalid_input") == 1
    assert sample(m, "gh_jobs_claimed_total", job_type="test_fail") == 3  # the retry is a claim
    # Job types no handler knows share one label value: rows cannot explode the label set.
    assert sample(m, "gh_jobs_failed_total", job_type="unknown", error_code="unknown_job_type") == 1
    assert "made_up_type_1234" not in str(m)

    # Model usage recorded through the job context is counted here, priced in cents.
    assert sample(m, "gh_llm_calls_total", model="test-model") == 2
    assert sample(m, "gh_llm_tokens_total", model="test-model", kind="input") == 200
    assert sample(m, "gh_llm_tokens_total", model="test-model", kind="output") == 200
    assert sample(m, "gh_llm_cost_cents_total", model="test-model") == pytest.approx(3.0)
    spent = execute(database_url, "SELECT sum(llm_cost_cents)::float8 AS c FROM gh_automation_jobs")
    assert spent[0]["c"] == pytest.approx(3.0)

    assert sample(m, "gh_callback_deliveries_total") == len(receiver.accepted) >= N_CHECKS
    assert sample(m, "gh_callback_failures_total") == 0
    assert sample(m, "gh_active_jobs") == 0
    assert 0 <= sample(m, "gh_worker_heartbeat_age_seconds") < 5


def test_callback_failures_are_counted(
    start_worker: Callable[..., GhProcess], database_url: str, site: Site
) -> None:
    refusing = Receiver(fail_first=2)
    try:
        worker = start_worker()
        url = f"http://127.0.0.1:{status_port(worker)}/metrics"
        insert_jobs(database_url, [{"target_url": f"{site.url}/x", "callback_url": refusing.url}])
        wait_until(lambda: len(refusing.accepted) == 1, 20, "delivered after two refusals")
        m = scrape(url)
        assert sample(m, "gh_callback_failures_total") == 2
        assert sample(m, "gh_callback_deliveries_total") == 1
    finally:
        refusing.server.close()
