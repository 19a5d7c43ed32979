"""The schema agrees with the Python definitions and does what its triggers promise."""

from __future__ import annotations

import json
import re
import uuid

import psycopg

from ghosthands.jobs.states import JobStatus

USER = "00000000-0000-4000-8000-000000000001"


def _insert_job(conn: psycopg.Connection, **fields: object) -> str:
    values = {
        "user_id": USER,
        "job_type": "http_check",
        "target_url": "https://example.com",
        **fields,
    }
    columns = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    row = conn.execute(
        f"INSERT INTO gh_automation_jobs ({columns}) VALUES ({marks}) RETURNING id",
        list(values.values()),
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_status_check_matches_job_status_enum(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            """
            SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid
            WHERE t.relname = 'gh_automation_jobs' AND c.contype = 'c'
              AND pg_get_constraintdef(c.oid) LIKE '%status%pending%'
            """
        ).fetchone()
    assert row is not None
    in_sql = set(re.findall(r"'([a-z_]+)'::text", row[0]))
    assert in_sql == {s.value for s in JobStatus}


def test_insert_notifies_gh_job_created(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as listener:
        listener.execute("LISTEN gh_job_created")
        with psycopg.connect(database_url, autocommit=True) as writer:
            job_id = _insert_job(writer, priority=3)
        notes = listener.notifies(timeout=5, stop_after=1)
        received = list(notes)
    assert len(received) == 1
    payload = json.loads(received[0].payload)
    assert payload == {"id": job_id, "job_type": "http_check", "priority": 3}
    assert received[0].channel == "gh_job_created"


def test_status_changes_write_events_and_announce_them(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        job_id = _insert_job(conn)
        conn.execute("LISTEN gh_job_event")
        with conn.transaction():
            conn.execute("SET LOCAL gh.actor = 'test-worker'")
            conn.execute(
                "UPDATE gh_automation_jobs SET status = 'queued', worker_id = 'w1' WHERE id = %s",
                (job_id,),
            )
        conn.execute("UPDATE gh_automation_jobs SET priority = 2 WHERE id = %s", (job_id,))
        notes = list(conn.notifies(timeout=5, stop_after=1))
        events = conn.execute(
            "SELECT event_type, from_status, to_status, actor, metadata"
            " FROM gh_job_events WHERE job_id = %s ORDER BY id",
            (job_id,),
        ).fetchall()
    assert events == [
        ("job_created", None, "pending", "api", {}),
        ("status_changed", "pending", "queued", "test-worker", {"worker_id": "w1"}),
    ]  # the priority change is not a status change: no event
    assert json.loads(notes[0].payload)["to_status"] == "queued"


def test_bounds_are_enforced_by_the_database(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for bad in ({"priority": 0}, {"timeout_seconds": 10}, {"status": "bogus"}):
            try:
                _insert_job(conn, **bad)
            except psycopg.errors.CheckViolation:
                continue
            raise AssertionError(f"{bad} was accepted")
        key = f"idem-{uuid.uuid4()}"
        _insert_job(conn, idempotency_key=key)
        try:
            _insert_job(conn, idempotency_key=key)
        except psycopg.errors.UniqueViolation:
            pass
        else:
            raise AssertionError("duplicate idempotency key accepted")


def test_deleting_a_job_cascades_to_its_events(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        job_id = _insert_job(conn)
        conn.execute("DELETE FROM gh_automation_jobs WHERE id = %s", (job_id,))
        row = conn.execute(
            "SELECT count(*) FROM gh_job_events WHERE job_id = %s", (job_id,)
        ).fetchone()
    assert row == (0,)


def _notes(conn: psycopg.Connection) -> list[tuple[str, dict[str, object] | str]]:
    """Notifications delivered so far (a round trip flushes them in)."""
    conn.execute("SELECT 1")
    return [
        (n.channel, json.loads(n.payload) if n.payload else "") for n in conn.notifies(timeout=0.5)
    ]


def test_workers_hear_only_what_they_act_on(database_url: str) -> None:
    """gh_job_control carries cancellations, jobs back to pending and resume requests;
    gh_callback_queued fires when a callback waits in the outbox. Ordinary progress of
    a job (queued, running, completed without callback) reaches no worker."""
    with (
        psycopg.connect(database_url, autocommit=True) as listener,
        psycopg.connect(database_url, autocommit=True) as conn,
    ):
        listener.execute("LISTEN gh_job_control")
        listener.execute("LISTEN gh_callback_queued")
        plain = _insert_job(conn)
        hooked = _insert_job(conn, callback_url="https://valet.example/cb")
        for status in ("queued", "running", "completed"):
            conn.execute("UPDATE gh_automation_jobs SET status = %s WHERE id = %s", (status, plain))
        assert _notes(listener) == []

        conn.execute("UPDATE gh_automation_jobs SET status = 'queued' WHERE id = %s", (hooked,))
        conn.execute("UPDATE gh_automation_jobs SET status = 'pending' WHERE id = %s", (hooked,))
        conn.execute(
            "INSERT INTO gh_job_events (job_id, event_type) VALUES (%s, 'resume_requested')",
            (hooked,),
        )
        conn.execute("UPDATE gh_automation_jobs SET status = 'cancelled' WHERE id = %s", (hooked,))
        got = _notes(listener)
    control = [p for channel, p in got if channel == "gh_job_control"]
    assert [(p["job_id"], p["event_type"], p["to_status"]) for p in control] == [  # type: ignore[index]
        (hooked, "status_changed", "pending"),
        (hooked, "resume_requested", None),
        (hooked, "status_changed", "cancelled"),
    ]
    assert [c for c, _ in got if c == "gh_callback_queued"] == ["gh_callback_queued"]
