"""``ghosthands jobs recover``: lists stuck jobs by default, hands them back with --apply,
by the workers' own rule."""

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


def test_dry_run_lists_and_apply_hands_back_by_the_workers_rule(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        stale_running = insert(conn, "running", "10 minutes", "worker-dead")
        stale_queued = insert(conn, "queued", None, "worker-dead")  # claimed, never beat
        stale_paused = insert(conn, "paused", "2 hours", "worker-dead")  # its runner died too
        submitted = insert(conn, "running", "10 minutes", "worker-dead")
        conn.execute(  # the form was submitted in this attempt: never run it again
            "INSERT INTO gh_job_events (job_id, event_type, metadata) "
            "SELECT id, 'progress', jsonb_build_object('step', 'submitted', "
            "'execution_attempt_id', execution_attempt_id::text) "
            "FROM gh_automation_jobs WHERE id = %s",
            (submitted,),
        )
        fresh = insert(conn, "running", "10 seconds", "worker-alive")
        done = insert(conn, "completed", "2 hours", None)

    dry = recover(database_url, "--stale-seconds", "120")
    assert dry.returncode == 0, dry.stderr
    for job in (stale_running, stale_queued, stale_paused):
        assert f"would hand back {job} -> pending, was on worker-dead" in dry.stdout
    assert f"would hand back {submitted} -> awaiting_review (submission evidence" in dry.stdout
    for untouched in (fresh, done):
        assert untouched not in dry.stdout
    assert "4 stuck job(s)" in dry.stdout
    with psycopg.connect(database_url) as conn:
        statuses = dict(conn.execute("SELECT id::text, status FROM gh_automation_jobs").fetchall())
    assert statuses[stale_running] == "running" and statuses[stale_queued] == "queued"
    assert statuses[submitted] == "running"  # the dry run changed nothing

    applied = recover(database_url, "--stale-seconds", "120", "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "4 job(s) handed back" in applied.stdout
    with psycopg.connect(database_url) as conn:
        rows = {
            str(r[0]): r[1:]
            for r in conn.execute(
                "SELECT id, status, retry_count, error_details FROM gh_automation_jobs"
            ).fetchall()
        }
        events = conn.execute(
            "SELECT job_id::text, to_status, actor FROM gh_job_events"
            " WHERE event_type = 'status_changed'"
        ).fetchall()
    for job in (stale_running, stale_queued, stale_paused):
        status, retries, details = rows[job]
        assert (status, retries) == ("pending", 1)  # a counted retry, as the worker counts
        assert details["reason"] == "stale_heartbeat"
        assert details["recovered_by"] == "manual_recovery"
        assert details["worker_id"] == "worker-dead"
    assert rows[submitted][:2] == ("awaiting_review", 0)
    assert rows[submitted][2]["submission_evidence"] is True
    assert rows[fresh][0] == "running" and rows[done][0] == "completed"
    assert sorted(events) == sorted(
        [
            (stale_running, "pending", "manual_recovery"),
            (stale_queued, "pending", "manual_recovery"),
            (stale_paused, "pending", "manual_recovery"),
            (submitted, "awaiting_review", "manual_recovery"),
        ]
    )

    again = recover(database_url, "--stale-seconds", "120", "--apply")
    assert "0 job(s) handed back" in again.stdout


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
