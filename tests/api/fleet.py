"""A known fleet in the database: workers and jobs whose figures tests compare against."""

from __future__ import annotations

from tests.api.conftest import Api

#: The figures the seeded rows must produce (jobs created today, UTC).
EXPECTED = {
    "pending": 3,
    "running": 1,
    "completed": 2,
    "failed": 3,
    "cost_cents_today": 12.5,
    "failures": {"timeout": 2, "captcha_blocked": 1},
    "stale_worker_age_min": 590.0,
}


def seed_fleet(api: Api) -> None:
    api.sql(
        "INSERT INTO gh_worker_registry (worker_id, host, current_jobs, max_jobs) "
        "VALUES ('w-live', 'host-a', 1, 2)"
    )
    api.sql(
        "INSERT INTO gh_worker_registry (worker_id, host, last_heartbeat) "
        "VALUES ('w-stale', 'host-b', now() - interval '10 minutes')"
    )
    api.sql(
        "INSERT INTO gh_worker_registry (worker_id, host, status) "
        "VALUES ('w-gone', 'host-c', 'offline')"
    )
    rows = (
        [("pending", None, 0)] * 3
        + [("running", None, 2.5)]
        + [("completed", None, 4.0), ("completed", None, 6.0)]
        + [("failed", "timeout", 0), ("failed", "timeout", 0), ("failed", "captcha_blocked", 0)]
    )
    for status, code, cost in rows:
        api.sql(
            "INSERT INTO gh_automation_jobs (user_id, job_type, target_url, status, error_code,"
            " llm_cost_cents, worker_id, started_at, completed_at) VALUES"
            " (gen_random_uuid(), 'http_check', 'https://example.com/', %(status)s, %(code)s,"
            " %(cost)s, CASE WHEN %(status)s = 'running' THEN 'w-live' END,"
            " CASE WHEN %(status)s <> 'pending' THEN now() END,"
            " CASE WHEN %(status)s IN ('completed', 'failed') THEN now() END)",
            {"status": status, "code": code, "cost": cost},
        )
    # Yesterday's failure: in neither today's cost nor the last 24 hours' failures.
    api.sql(
        "INSERT INTO gh_automation_jobs (user_id, job_type, target_url, status, error_code,"
        " llm_cost_cents, created_at, started_at, completed_at) VALUES"
        " (gen_random_uuid(), 'http_check', 'https://example.com/', 'failed', 'timeout', 99,"
        " now() - interval '3 days', now() - interval '3 days', now() - interval '3 days')"
    )
