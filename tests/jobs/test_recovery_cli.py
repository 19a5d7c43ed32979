"""``ghosthands jobs recover``: lists stuck jobs by default, requeues them with --apply."""

from __future__ import annotations

import subprocess
import sys
import uuid

import psycopg

from tests.support import clean_env

USER = "00000000-0000-0000-0000-000000000001"


def insert(
    conn: psycopg.Connection, status: str, heartbeat_age: str | None, worker: str | None
) -> str:
    job_id = str(uuid.uuid4())
    conn.execute(
        """
        INSERT INTO gh_automation_jobs (id, user_id, job_type, target_url, status, worker_id,
                                        execution_attempt_id, started_at, last_heartbeat)
        VALUES (%(id)s, %(user)s, 'apply', 'https://jobs.example/1', %(status)s, %(worker)s,
                CASE WHEN %(worker)s::text IS NULL THEN NULL ELSE gen_random_uuid() END,
                now() - interval '1 hour',
                CASE WHEN %(age)s::text IS NULL THEN NULL ELSE now() - %(age)s::interval END)
        """,
        {"id": job_id, "user": USER, "status": status, "worker": worker, "age": heartbeat_age},
    )
    return job_id


def recover(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ghosthands", "jobs", "recover", *args],
        env=clean_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_dry_run_lists_and_apply_requeues_only_stale_held_jobs(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        stale_running = insert(conn, "running", "10 minutes", "worker-dead")
        stale_queued = insert(conn, "queued", None, "worker-dead")  # claimed, never beat
        fresh = insert(conn, "running", "10 seconds", "worker-alive")
        done = insert(conn, "completed", "2 hours", None)
        paused = insert(conn, "paused", "2 hours", "worker-dead")

    dry = recover(database_url, "--stale-seconds", "120")
    assert dry.returncode == 0, dry.stderr
    assert f"would requeue {stale_running}: running on worker-dead" in dry.stdout
    assert f"would requeue {stale_queued}: queued on worker-dead" in dry.stdout
    for untouched in (fresh, done, paused):
        assert untouched not in dry.stdout
    assert "2 stuck job(s)" in dry.stdout
    with psycopg.connect(database_url) as conn:
        statuses = dict(conn.execute("SELECT id::text, status FROM gh_automation_jobs").fetchall())
    assert statuses[stale_running] == "running" and statuses[stale_queued] == "queued"

    applied = recover(database_url, "--stale-seconds", "120", "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "2 job(s) put back to pending" in applied.stdout
    with psycopg.connect(database_url) as conn:
        rows = {
            str(r[0]): r[1:]
            for r in conn.execute(
                "SELECT id, status, worker_id, execution_attempt_id, error_details"
                " FROM gh_automation_jobs"
            ).fetchall()
        }
        events = conn.execute(
            "SELECT job_id::text, from_status, to_status, actor FROM gh_job_events"
            " WHERE event_type = 'status_changed'"
        ).fetchall()
    for job in (stale_running, stale_queued):
        status, worker, attempt, details = rows[job]
        assert (status, worker, attempt) == ("pending", None, None)
        assert details["reason"] == "stuck_job_recovery"
        assert details["recovered_by"] == "manual_recovery"
        assert details["previous_worker_id"] == "worker-dead"
    assert rows[fresh][0] == "running" and rows[done][0] == "completed"
    assert rows[paused][0] == "paused"
    assert sorted(events) == sorted(
        [
            (stale_running, "running", "pending", "manual_recovery"),
            (stale_queued, "queued", "pending", "manual_recovery"),
        ]
    )

    again = recover(database_url, "--stale-seconds", "120", "--apply")
    assert "0 job(s) put back to pending" in again.stdout


def test_recover_without_a_database_fails_naming_the_variable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ghosthands", "jobs", "recover"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 78
    assert "DATABASE_URL" in result.stderr
