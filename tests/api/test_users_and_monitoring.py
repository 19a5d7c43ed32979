"""``/users/{id}/usage``, ``/monitoring/health`` and ``/monitoring/metrics`` from a real server."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.api.conftest import PREFIX, Api, Client, create_job
from tests.support import free_port


def test_usage_of_a_user_without_spend(api: Api) -> None:
    user = api.user(tier="starter")
    usage = user.get(f"{PREFIX}/users/{user.user_id}/usage").json()  # type: ignore[attr-defined]
    assert usage["cost_cents"] == 0 and usage["job_count"] == 0
    assert (usage["tier"], usage["budget_cents"], usage["remaining_cents"]) == ("starter", 200, 200)
    assert usage["budget_exceeded"] is False
    assert usage["period_start"].endswith("-01")


def test_usage_month_to_date_against_the_tier_budget(api: Api, service: Client) -> None:
    user_id = str(uuid.uuid4())
    api.sql(
        "INSERT INTO gh_user_usage (user_id, period_start, tier, cost_cents, total_tokens, "
        "job_count) VALUES (%(u)s, date_trunc('month', now() AT TIME ZONE 'UTC')::date, "
        "'pro', 250.5, 9000, 7), (%(u)s, (date_trunc('month', now() AT TIME ZONE 'UTC') "
        "- interval '1 month')::date, 'pro', 999, 1, 1)",
        {"u": user_id},
    )
    usage = service.get(f"{PREFIX}/users/{user_id}/usage").json()
    assert usage == {
        "user_id": user_id,
        "period_start": usage["period_start"],
        "tier": "pro",
        "cost_cents": 250.5,
        "total_tokens": 9000,
        "job_count": 7,
        "budget_cents": 1000,
        "remaining_cents": 749.5,
        "percent_used": 25.05,
        "budget_exceeded": False,
    }
    api.sql(
        "UPDATE gh_user_usage SET cost_cents = 1200 WHERE user_id = %s AND cost_cents = 250.5",
        (user_id,),
    )
    over = service.get(f"{PREFIX}/users/{user_id}/usage").json()
    assert (over["budget_exceeded"], over["remaining_cents"]) == (True, 0)


def test_usage_of_someone_else_is_forbidden(api: Api) -> None:
    user = api.user()
    response = user.get(f"{PREFIX}/users/{uuid.uuid4()}/usage")
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert user.get(f"{PREFIX}/users/not-a-uuid/usage").status_code == 422


def test_monitoring_health_degraded_without_workers_and_not_for_llm_keys(api: Api) -> None:
    response = api.anonymous().get("/monitoring/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"  # no live worker
    schema = body["checks"]["schema"]
    assert schema["ok"] is True and schema["database"] == schema["expected"] > 0
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["latency_ms"] >= 0
    assert body["checks"]["llm"] == {
        "ok": False,
        "providers": {"google": False, "openai": False, "anthropic": False},
    }


def test_monitoring_health_healthy_with_a_live_worker(start_api: Any) -> None:
    api = start_api(OPENAI_API_KEY="sk-test-value-never-shown", GH_STALE_SECONDS="120")
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
    response = api.anonymous().get("/monitoring/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    workers = body["checks"]["workers"]
    assert (workers["ok"], workers["active"], workers["stale"]) == (True, 1, 1)
    assert [w["worker_id"] for w in workers["workers"]] == ["w-live", "w-stale"]
    assert body["checks"]["llm"]["providers"]["openai"] is True
    assert "sk-test-value-never-shown" not in response.text
    api.sql("UPDATE gh_worker_registry SET last_heartbeat = now() - interval '1 hour'")
    assert api.anonymous().get("/monitoring/health").json()["status"] == "degraded"


def test_monitoring_health_is_healthy_without_llm_keys_and_unhealthy_behind_the_schema(
    start_api: Any,
) -> None:
    api = start_api(GH_STALE_SECONDS="120")
    api.sql("INSERT INTO gh_worker_registry (worker_id, host) VALUES ('w-live', 'host-a')")
    body = api.anonymous().get("/monitoring/health").json()
    assert body["status"] == "healthy" and body["checks"]["llm"]["ok"] is False
    # A release whose migration was never applied: the database is behind the code.
    newest = body["checks"]["schema"]["expected"]
    api.sql("DELETE FROM gh_schema_migrations WHERE version = %s", (newest,))
    response = api.anonymous().get("/monitoring/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["schema"] == {"ok": False, "expected": newest, "database": newest - 1}


def test_monitoring_health_unhealthy_without_a_database(start_api: Any) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    api = start_api(DATABASE_URL=dead)
    response = api.anonymous().get("/monitoring/health", timeout=15)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"]["ok"] is False
    assert api.anonymous().get("/health").status_code == 200  # liveness is not readiness
    metrics = api.anonymous().get("/monitoring/metrics", timeout=15)
    assert metrics.status_code == 200
    assert "gh_api_database_up 0.0" in metrics.text


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} {labels} not in metrics")


def test_metrics_histogram_by_route_template_and_job_gauges(start_api: Any) -> None:
    api = start_api()
    service = api.service()
    jobs = [create_job(service)["id"] for _ in range(3)]
    api.set_status(jobs[0], "cancelled")
    for job_id in jobs:
        service.get(f"{PREFIX}/jobs/{job_id}")
    service.get(f"{PREFIX}/jobs/{uuid.uuid4()}")
    text = api.anonymous().get("/monitoring/metrics").text
    count = "gh_api_request_duration_seconds_count"
    route = "/api/v1/gh/jobs/{job_id}"
    assert _sample(text, count, method="GET", route=route, status="200") == 3
    assert _sample(text, count, method="GET", route=route, status="404") == 1
    assert _sample(text, count, method="POST", route="/api/v1/gh/jobs", status="201") == 3
    assert jobs[0] not in text  # ids never become labels
    assert _sample(text, "gh_jobs_by_status", status="pending") == 2
    assert _sample(text, "gh_jobs_by_status", status="cancelled") == 1
    assert _sample(text, "gh_jobs_by_status", status="running") == 0


def test_public_monitoring_shares_one_read_and_shows_hosts_to_the_service_only(
    start_api: Any,
) -> None:
    from tests.support import wait_until

    api = start_api(GH_MONITORING_CACHE_SECONDS="4", GH_STALE_SECONDS="120")
    api.sql("INSERT INTO gh_worker_registry (worker_id, host) VALUES ('w-1', 'host-secret')")
    anonymous = api.anonymous().get("/monitoring/health").json()
    [worker] = anonymous["checks"]["workers"]["workers"]
    assert worker["host"] is None  # anyone may ask; host names are not for anyone
    assert "host-secret" not in api.anonymous().get("/monitoring/dashboard").text
    service = api.service()
    [worker] = service.get("/monitoring/health").json()["checks"]["workers"]["workers"]
    assert worker["host"] == "host-secret"
    assert "host-secret" in service.get("/monitoring/dashboard").text

    # A change shows after the shared read expires, not on every request.
    api.sql("INSERT INTO gh_worker_registry (worker_id, host) VALUES ('w-2', 'host-b')")

    def workers_seen() -> int:
        body = api.anonymous().get("/monitoring/health").json()
        return len(body["checks"]["workers"]["workers"])

    assert workers_seen() == 1  # served from the read taken a moment ago
    wait_until(lambda: workers_seen() == 2, 10, "the next read after the window")
