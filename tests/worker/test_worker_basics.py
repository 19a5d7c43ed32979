"""``ghosthands work`` as a real process: run jobs, retries, errors, affinity, order."""

from __future__ import annotations

import signal
from collections.abc import Callable

import httpx
import pytest

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


def test_bad_jobs_fail_once_with_a_clear_code(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    start_worker()
    unknown = insert_job(database_url, job_type="no_such_type")
    invalid = insert_job(database_url, job_type="test_slow", input_data={"seconds": "soon"})
    for job_id in (unknown, invalid):
        wait_until(lambda j=job_id: status_of(database_url, j) == "failed", 15, f"{job_id} failed")
    assert job(database_url, unknown)["error_code"] == "unknown_job_type"
    assert job(database_url, invalid)["error_code"] == "invalid_input"
    assert "seconds" in job(database_url, invalid)["status_message"]
    assert all(job(database_url, j)["retry_count"] == 0 for j in (unknown, invalid))


def test_a_browser_job_gets_the_workers_own_chromium(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    start_worker()
    browser = insert_job(database_url, job_type="test_browser")
    wait_until(lambda: status_of(database_url, browser) == "completed", 60, "browser job done")
    assert "BrowserSession" in job(database_url, browser)["result_data"]["browser"]


def test_retryable_failure_goes_back_to_pending_with_backoff_then_succeeds(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    start_worker()
    job_id = insert_job(
        database_url,
        job_type="test_fail",
        input_data={"code": "network_error", "succeed_on_retry": 1},
    )
    wait_until(lambda: job(database_url, job_id)["retry_count"] == 1, 15, "first attempt failed")
    row = job(database_url, job_id)
    assert row["status"] in ("pending", "queued", "running", "completed")
    failed_at = next(
        e["created_at"]
        for e in events(database_url, job_id)
        if e["to_status"] == "pending" and e["from_status"] == "running"
    )
    wait_until(lambda: status_of(database_url, job_id) == "completed", 15, "retry completed")
    rerun = [e for e in events(database_url, job_id) if e["to_status"] == "queued"]
    assert len(rerun) == 2
    waited = (rerun[1]["created_at"] - failed_at).total_seconds()
    assert 4.8 <= waited < 8, waited  # min(60, 5 * 2^0) = 5 s
    assert job(database_url, job_id)["result_data"] == {"retry_count": 1}


def test_handler_crash_is_internal_error_and_retried(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    worker = start_worker()
    job_id = insert_job(
        database_url, job_type="test_fail", input_data={"code": "crash"}, max_retries=0
    )
    wait_until(lambda: status_of(database_url, job_id) == "failed", 15, "crash recorded")
    row = job(database_url, job_id)
    assert row["error_code"] == "internal_error"
    assert row["error_details"]["exception"] == "RuntimeError"
    assert worker.wait_event("job_handler_error", job_id=str(job_id))["exception"]


def test_priority_order_holds(start_worker: Callable[..., GhProcess], database_url: str) -> None:
    priorities = [7, 3, 9, 1, 5, 3]
    # One transaction each, so created_at (the age tie-break) differs.
    ids = [
        insert_job(database_url, job_type="test_slow", priority=p, input_data={"seconds": 0})
        for p in priorities
    ]
    start_worker(MAX_CONCURRENT_JOBS="1")
    wait_until(
        lambda: all(status_of(database_url, j) == "completed" for j in ids), 20, "all completed"
    )
    started = [e["job_id"] for e in events(database_url) if e["to_status"] == "running"]
    by_id = dict(zip(ids, priorities, strict=True))
    assert [by_id[j] for j in started] == sorted(priorities)
    # Equal priority: the older job first.
    threes = [j for j in started if by_id[j] == 3]
    assert threes == [ids[1], ids[5]]


def test_job_scheduled_in_the_future_is_not_claimed_early(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    import datetime as dt

    start_worker()
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
    job_id = insert_job(
        database_url, job_type="test_slow", input_data={"seconds": 0}, scheduled_at=at
    )
    wait_until(lambda: status_of(database_url, job_id) == "completed", 15, "ran when due")
    claimed = next(e for e in events(database_url, job_id) if e["to_status"] == "queued")
    assert claimed["created_at"] >= at


def test_cancel_reaches_a_running_handler_within_two_seconds(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    import time

    from tests.worker.helpers import execute

    worker = start_worker(MAX_CONCURRENT_JOBS="1", GH_HEARTBEAT_SECONDS="30")
    job_id = insert_job(database_url, job_type="test_slow", input_data={"seconds": 60})
    worker.wait_event("job_started", job_id=str(job_id))
    wait_until(
        lambda: any(e["metadata"].get("step") == "sleeping" for e in events(database_url, job_id)),
        10,
        "handler running",
    )
    cancelled_at = time.monotonic()
    execute(
        database_url,
        "UPDATE gh_automation_jobs SET status = 'cancelled' WHERE id = %s",
        [job_id],
    )
    worker.wait_event("job_cancelled", timeout=2, job_id=str(job_id))
    assert time.monotonic() - cancelled_at < 2
    assert status_of(database_url, job_id) == "cancelled"
    assert not any(e["metadata"].get("step") == "woke" for e in events(database_url, job_id))
    # The slot is free again: the next job runs.
    nxt = insert_job(database_url, job_type="test_slow", input_data={"seconds": 0})
    wait_until(lambda: status_of(database_url, nxt) == "completed", 10, "next job ran")


def test_usage_actions_and_artifacts_through_the_context(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    from tests.worker.helpers import USER, execute

    start_worker()
    job_id = insert_job(database_url, job_type="test_usage", input_data={"tier": "starter"})
    wait_until(lambda: status_of(database_url, job_id) == "completed", 15, "usage job done")
    row = job(database_url, job_id)
    assert float(row["llm_cost_cents"]) == 3.0 and row["total_tokens"] == 400
    assert row["action_count"] == 3
    assert row["screenshot_urls"] == [row["result_data"]["artifact"]]
    usage = execute(database_url, "SELECT * FROM gh_user_usage WHERE user_id = %s", [USER])
    assert float(usage[0]["cost_cents"]) == 3.0 and usage[0]["tier"] == "starter"
    assert usage[0]["job_count"] == 1

    over_actions = insert_job(database_url, job_type="test_usage", input_data={"actions": 60})
    over_budget = insert_job(
        database_url, job_type="test_usage", input_data={"quality": "speed", "cost_cents": 4}
    )
    for j in (over_actions, over_budget):
        wait_until(lambda j=j: status_of(database_url, j) == "failed", 15, "limit hit")
    assert job(database_url, over_actions)["error_code"] == "action_limit_exceeded"
    assert job(database_url, over_actions)["action_count"] == 51
    assert job(database_url, over_budget)["error_code"] == "budget_exceeded"


def test_wait_for_human_pauses_and_resumes_on_request(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    import json

    from tests.worker.helpers import execute

    worker = start_worker(GH_HEARTBEAT_SECONDS="30", GH_POLL_SECONDS="30")
    job_id = insert_job(database_url, job_type="test_human")
    wait_until(lambda: status_of(database_url, job_id) == "paused", 15, "job paused")
    row = job(database_url, job_id)
    assert row["interaction_type"] == "2fa" and row["interaction_data"] == {
        "hint": "enter the code"
    }
    assert len(row["screenshot_urls"]) == 1
    # What the API's POST /valet/resume does: store the answer, announce it.
    execute(
        database_url,
        "UPDATE gh_automation_jobs SET resume_ref = %s WHERE id = %s",
        [json.dumps({"action": "code", "code": "123456"}), job_id],
    )
    execute(
        database_url,
        "INSERT INTO gh_job_events (job_id, event_type) VALUES (%s, 'resume_requested')",
        [job_id],
    )
    # Poll is 30 s here: only the notification can wake it this fast.
    wait_until(lambda: status_of(database_url, job_id) == "completed", 5, "resumed and done")
    row = job(database_url, job_id)
    assert row["result_data"] == {"action": "code", "code": "123456"}
    assert row["resume_ref"] is None
    statuses = [e["to_status"] for e in events(database_url, job_id) if e["to_status"]]
    assert statuses == ["pending", "queued", "running", "paused", "running", "completed"]
    worker.wait_event("job_resumed", job_id=str(job_id))


def test_human_timeout_fails_the_job(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    start_worker()
    job_id = insert_job(database_url, job_type="test_human", input_data={"timeout_seconds": 1})
    wait_until(lambda: status_of(database_url, job_id) == "failed", 15, "human timeout")
    row = job(database_url, job_id)
    assert row["error_code"] == "hitl_timeout" and row["retry_count"] == 0


def test_status_server_health_drain_and_metrics(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    worker = start_worker(MAX_CONCURRENT_JOBS="1")
    base = f"http://127.0.0.1:{status_port(worker)}"
    assert httpx.get(f"{base}/worker/health").status_code == 200
    slow = insert_job(database_url, job_type="test_slow", input_data={"seconds": 2})
    wait_until(lambda: status_of(database_url, slow) == "running", 10, "slow job running")
    busy = httpx.get(f"{base}/worker/health")
    assert busy.status_code == 503 and busy.json()["active_jobs"] == 1
    status = httpx.get(f"{base}/worker/status").json()
    assert [j["job_id"] for j in status["active_jobs"]] == [str(slow)]
    assert status["listener_connected"] is True

    drained = httpx.post(f"{base}/worker/drain")
    assert drained.status_code == 200 and drained.json()["status"] == "draining"
    later = insert_job(database_url, job_type="test_slow", input_data={"seconds": 0})
    wait_until(lambda: status_of(database_url, slow) == "completed", 10, "running job finished")
    wait_until(lambda: httpx.get(f"{base}/worker/health").status_code == 200, 5, "idle")
    assert status_of(database_url, later) == "pending"  # no longer claiming...
    assert worker.proc.poll() is None  # ...but still up
    from tests.worker.helpers import execute

    wait_until(
        lambda: (
            execute(database_url, "SELECT status FROM gh_worker_registry")[0]["status"]
            == "draining"
        ),
        5,
        "registry says draining",
    )
    metrics = httpx.get(f"{base}/metrics").text
    assert 'gh_jobs_claimed_total{job_type="test_slow"} 1.0' in metrics
    assert 'gh_jobs_completed_total{job_type="test_slow"} 1.0' in metrics
    assert "gh_active_jobs 0.0" in metrics
    assert "gh_worker_heartbeat_age_seconds" in metrics


def test_repeated_heartbeat_failures_stop_claiming_until_they_land_again(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    from tests.worker.helpers import execute

    role = f"gh_limited_{uuid.uuid4().hex[:8]}"
    execute(database_url, f"CREATE ROLE {role} LOGIN")
    execute(database_url, f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
    execute(database_url, f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
    parts = urlsplit(database_url)
    limited_dsn = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))
    try:
        worker = start_worker(dsn=limited_dsn, GH_HEARTBEAT_SECONDS="0.2")
        # Heartbeats now fail for real (the registry is no longer writable)...
        execute(database_url, f"REVOKE INSERT, UPDATE ON gh_worker_registry FROM {role}")
        worker.wait_event("claiming_suspended", timeout=10)
        job_id = insert_job(database_url, job_type="test_slow", input_data={"seconds": 0})
        port = status_port(worker)
        assert httpx.get(f"http://127.0.0.1:{port}/worker/status").json()["claiming"] is False
        wait_until(lambda: worker.find_event("heartbeat_failed") is not None, 5, "failures")
        assert status_of(database_url, job_id) == "pending"
        # ...and once they land again, claiming resumes by itself.
        execute(database_url, f"GRANT INSERT, UPDATE ON gh_worker_registry TO {role}")
        worker.wait_event("claiming_resumed", timeout=10)
        wait_until(lambda: status_of(database_url, job_id) == "completed", 10, "claimed again")
        worker.send(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0, worker.output
    finally:
        execute(database_url, f"DROP OWNED BY {role}")
        execute(database_url, f"DROP ROLE {role}")


def test_a_deregistered_worker_stops_claiming_and_keeps_the_mark(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    from tests.worker.helpers import execute

    worker = start_worker(GH_HEARTBEAT_SECONDS="0.2")
    worker_id = worker.wait_event("worker_registered")["worker_id"]
    # What POST /valet/workers/deregister does to the registry (tested in tests/api).
    execute(
        database_url,
        "UPDATE gh_worker_registry SET status = 'draining' WHERE worker_id = %s",
        (worker_id,),
    )
    worker.wait_event("worker_draining", reason="deregistered", timeout=10)
    job_id = insert_job(database_url, job_type="test_slow", input_data={"seconds": 0})
    port = status_port(worker)
    # Several heartbeats later the mark still stands and the job was not claimed.
    wait_until(
        lambda: httpx.get(f"http://127.0.0.1:{port}/worker/status").json()["claiming"] is False,
        5,
        "status server reports not claiming",
    )
    beats = execute(
        database_url,
        "SELECT status, last_heartbeat FROM gh_worker_registry WHERE worker_id = %s",
        (worker_id,),
    )[0]
    wait_until(
        lambda: execute(
            database_url,
            "SELECT last_heartbeat > %s AS later FROM gh_worker_registry WHERE worker_id = %s",
            (beats["last_heartbeat"], worker_id),
        )[0]["later"],
        5,
        "a later heartbeat",
    )
    registry = execute(
        database_url, "SELECT status FROM gh_worker_registry WHERE worker_id = %s", (worker_id,)
    )
    assert registry == [{"status": "draining"}]
    assert status_of(database_url, job_id) == "pending"
    worker.send(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0, worker.output


def test_a_paused_job_gives_its_slot_back_up_to_the_cap(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    """One slot: while a job waits for a person, the next job runs; with the paused cap
    at 0 the next job waits for the slot instead."""
    import json

    from tests.worker.helpers import execute

    def resume(job_id: object) -> None:  # what POST /valet/resume does
        execute(
            database_url,
            "UPDATE gh_automation_jobs SET resume_ref = %s WHERE id = %s",
            [json.dumps({"action": "skip"}), job_id],
        )
        execute(
            database_url,
            "INSERT INTO gh_job_events (job_id, event_type) VALUES (%s, 'resume_requested')",
            [job_id],
        )

    worker = start_worker(MAX_CONCURRENT_JOBS="1")
    waiting = insert_job(database_url, job_type="test_human")
    wait_until(lambda: status_of(database_url, waiting) == "paused", 15, "first job paused")
    quick = insert_job(database_url, job_type="test_slow", input_data={"seconds": 0.1})
    wait_until(lambda: status_of(database_url, quick) == "completed", 15, "second job ran")
    assert status_of(database_url, waiting) == "paused"  # still waiting, still held
    resume(waiting)
    wait_until(lambda: status_of(database_url, waiting) == "completed", 15, "first resumed")
    worker.send(signal.SIGTERM)
    worker.stop()

    start_worker(MAX_CONCURRENT_JOBS="1", GH_MAX_PAUSED_JOBS="0")
    waiting = insert_job(database_url, job_type="test_human")
    wait_until(lambda: status_of(database_url, waiting) == "paused", 15, "first job paused")
    blocked = insert_job(database_url, job_type="test_slow", input_data={"seconds": 0.1})
    # The claim loop polls every 0.5 s here: ten rounds and it still has no free slot.
    with pytest.raises(AssertionError):
        wait_until(lambda: status_of(database_url, blocked) != "pending", 5, "claimed")
    resume(waiting)
    wait_until(lambda: status_of(database_url, blocked) == "completed", 15, "ran after")
