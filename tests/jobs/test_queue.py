"""JobQueue against a real database: claiming order, fencing, retries, recovery, outbox."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator

import anyio
import psycopg
import pytest

from ghosthands.config import Settings
from ghosthands.db.pool import Database
from ghosthands.jobs.contract import JobSpec
from ghosthands.jobs.queue import RECOVERY_LOCK_KEY, JobQueue
from ghosthands.jobs.states import SUBMISSION_STEPS, JobStatus
from tests.worker.helpers import USER, events, execute, insert_job, insert_jobs, job

pytestmark = pytest.mark.anyio


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=database_url), pool_size=4, name="test")
    await database.open()
    yield database
    await database.close()


async def claim_one(queue: JobQueue, **kwargs: object) -> JobSpec:
    claimed = await queue.claim(1, worker_prefix="worker", preferred_grace_seconds=30, **kwargs)  # type: ignore[arg-type]
    assert len(claimed) == 1
    return claimed[0].spec


async def test_claim_order_priority_then_age_and_not_before_scheduled_at(
    db: Database, database_url: str
) -> None:
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    # One transaction each, so created_at (the age tie-break) differs.
    ids = [
        insert_job(database_url, **fields)
        for fields in (
            {"priority": 5},  # 0
            {"priority": 1},  # 1
            {"priority": 5},  # 2 (younger than 0)
            {"priority": 1, "scheduled_at": future},  # 3: not due
            {"priority": 9},  # 4
        )
    ]
    queue = JobQueue(db, "w-1")
    claimed = await queue.claim(10, worker_prefix="w", preferred_grace_seconds=30)
    assert [c.spec.id for c in claimed] == [ids[1], ids[0], ids[2], ids[4]]
    assert job(database_url, ids[3])["status"] == "pending"
    row = job(database_url, ids[1])
    assert row["status"] == "queued" and row["worker_id"] == "w-1"
    assert row["execution_attempt_id"] == claimed[0].spec.execution_attempt_id
    assert row["last_heartbeat"] is not None


async def test_claim_takes_at_most_the_free_slots_and_skips_locked_rows(
    db: Database, database_url: str
) -> None:
    insert_jobs(database_url, [{} for _ in range(5)])
    a, b = JobQueue(db, "w-a"), JobQueue(db, "w-b")
    results: list[list[uuid.UUID]] = []

    async def take(queue: JobQueue) -> None:
        got = await queue.claim(2, worker_prefix="w", preferred_grace_seconds=30)
        results.append([c.spec.id for c in got])

    async with anyio.create_task_group() as tg:
        tg.start_soon(take, a)
        tg.start_soon(take, b)
    assert sorted(len(r) for r in results) == [2, 2]
    assert len(set(results[0]) | set(results[1])) == 4


async def test_claim_honours_worker_affinity(db: Database, database_url: str) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    strict, preferred_new, preferred_old, anyone = insert_jobs(
        database_url,
        [
            {"target_worker_id": "pool-a", "worker_affinity": "strict"},
            {"target_worker_id": "pool-a", "worker_affinity": "preferred"},
            {"target_worker_id": "pool-a", "worker_affinity": "preferred", "created_at": old},
            {"target_worker_id": "pool-a", "worker_affinity": "any"},
        ],
    )
    other = JobQueue(db, "pool-b-1")
    got = {
        c.spec.id for c in await other.claim(10, worker_prefix="pool-b", preferred_grace_seconds=30)
    }
    # Another worker gets 'any' and a 'preferred' job whose target let the grace pass.
    assert got == {preferred_old, anyone}
    target = JobQueue(db, "pool-a-7")  # matched by its prefix
    got = {
        c.spec.id
        for c in await target.claim(10, worker_prefix="pool-a", preferred_grace_seconds=30)
    }
    assert got == {strict, preferred_new}


async def test_stale_attempt_writes_are_fenced(db: Database, database_url: str) -> None:
    job_id = insert_job(database_url, callback_url="http://127.0.0.1:9/cb")
    old_runner = JobQueue(db, "w-old")
    stale = await claim_one(old_runner)
    assert await old_runner.mark_running(stale)
    assert await old_runner.insert_progress(stale, "navigating", "", {})

    # The old worker stops heartbeating; another recovers and re-claims the job.
    new_runner = JobQueue(db, "w-new")
    recovered = await new_runner.recover_stale(stale_seconds=0, code="worker_lost")
    assert recovered is not None and [r.job_id for r in recovered] == [job_id]
    assert recovered[0].status is JobStatus.PENDING
    fresh = await claim_one(new_runner)
    assert fresh.execution_attempt_id != stale.execution_attempt_id
    assert await new_runner.mark_running(fresh)

    # Every write the old attempt tries now is rejected and changes nothing.
    assert not await old_runner.insert_progress(stale, "late", "", {})
    assert await old_runner.save_artifact(stale, "screenshot", "x.png", "image/png", b"x") is None
    assert await old_runner.count_actions(stale, 5) is None
    assert await old_runner.record_llm_usage(stale, cost_cents=9, tokens=9) is None
    assert not await old_runner.complete(
        stale,
        status=JobStatus.COMPLETED,
        result_data={"stale": True},
        summary="",
        final_mode=None,
        tier="free",
    )
    assert (
        await old_runner.fail(
            stale, code="timeout", message="late", details={}, retryable=True, delay_seconds=0
        )
        is None
    )
    assert await old_runner.heartbeat_jobs([stale]) == set()
    assert await old_runner.release([stale], reason="worker_drain", message="") == []
    row = job(database_url, job_id)
    assert row["status"] == "running" and row["worker_id"] == "w-new"
    assert row["result_data"] is None and row["action_count"] == 0
    assert row["error_details"]["reason"] == "stale_heartbeat"
    assert row["error_details"]["worker_id"] == "w-old"
    assert row["retry_count"] == 1
    assert not any(e["metadata"].get("step") == "late" for e in events(database_url, job_id))
    assert execute(database_url, "SELECT count(*) AS n FROM gh_callback_outbox")[0]["n"] == 0

    # The new attempt's writes land.
    assert await new_runner.heartbeat_jobs([fresh]) == {job_id}
    assert await new_runner.complete(
        fresh,
        status=JobStatus.COMPLETED,
        result_data={"ok": 1},
        summary="done",
        final_mode=None,
        tier="free",
    )
    assert job(database_url, job_id)["result_data"] == {"ok": 1}


async def test_starts_and_finishes_of_jobs_claimed_together_are_one_statement_each(
    db: Database, database_url: str
) -> None:
    """Group commit: the jobs of one claim start in one statement and finish in one,
    each runner still learns about its own job (one fenced write among them), and each
    user's job count grows by their number of jobs."""
    other = uuid.uuid4()
    ids = insert_jobs(
        database_url,
        [{}, {}, {"user_id": other}, {"callback_url": "http://127.0.0.1:9/cb"}, {}],
    )
    queue = JobQueue(db, "w-1")
    specs = [c.spec for c in await queue.claim(5, worker_prefix="w", preferred_grace_seconds=30)]
    assert len(specs) == 5
    cancelled = next(s for s in specs if s.id == ids[4])
    execute(
        database_url,
        "UPDATE gh_automation_jobs SET status = 'cancelled' WHERE id = %s",
        [cancelled.id],
    )
    started: dict[uuid.UUID, bool] = {}
    finished: dict[uuid.UUID, bool] = {}

    async def run(spec: JobSpec) -> None:
        started[spec.id] = await queue.mark_running(spec)
        if started[spec.id]:
            finished[spec.id] = await queue.complete(
                spec,
                status=JobStatus.COMPLETED,
                result_data={"n": str(spec.id)},
                summary=f"done {spec.id}",
                final_mode=None,
                tier="free",
            )

    async with anyio.create_task_group() as tg:
        for spec in specs:
            tg.start_soon(run, spec)
    assert started == {s.id: s is not cancelled for s in specs}
    assert finished == {s.id: True for s in specs if s is not cancelled}
    assert (queue._starts.batches, queue._starts.items) == (1, 5)
    assert (queue._completions.batches, queue._completions.items) == (1, 4)
    for spec in specs:
        if spec is cancelled:
            continue
        row = job(database_url, spec.id)
        assert row["status"] == "completed" and row["result_data"] == {"n": str(spec.id)}
        assert row["status_message"] == f"done {spec.id}"
        actors = [e["actor"] for e in events(database_url, spec.id)][1:]
        assert actors == ["w-1", "w-1", "w-1"]  # queued, running, completed
    assert job(database_url, cancelled.id)["status"] == "cancelled"
    counts = {
        r["user_id"]: r["job_count"]
        for r in execute(database_url, "SELECT user_id, job_count FROM gh_user_usage")
    }
    assert counts == {USER: 3, other: 1}
    # The one job with a callback URL got its row from the trigger, in the same batch.
    outbox = execute(database_url, "SELECT job_id, event FROM gh_callback_outbox")
    assert outbox == [{"job_id": ids[3], "event": "completed"}]


async def test_failure_retries_with_backoff_until_max_retries(
    db: Database, database_url: str
) -> None:
    job_id = insert_job(database_url, max_retries=1)
    queue = JobQueue(db, "w")
    spec = await claim_one(queue)
    outcome = await queue.fail(
        spec, code="network_error", message="down", details={}, retryable=True, delay_seconds=5
    )
    assert outcome is not None and outcome.status is JobStatus.PENDING and outcome.retry_count == 1
    row = job(database_url, job_id)
    wait = (row["scheduled_at"] - row["updated_at"]).total_seconds()
    assert 4.5 < wait < 5.5
    assert row["error_code"] == "network_error" and row["error_details"]["message"] == "down"
    # Not claimable before its time.
    assert await queue.claim(1, worker_prefix="w", preferred_grace_seconds=30) == []
    execute(database_url, "UPDATE gh_automation_jobs SET scheduled_at = now()")
    spec = await claim_one(queue)
    outcome = await queue.fail(
        spec, code="network_error", message="down", details={}, retryable=True, delay_seconds=10
    )
    assert outcome is not None and outcome.status is JobStatus.FAILED
    assert job(database_url, job_id)["completed_at"] is not None


async def test_non_retryable_failure_fails_at_once(db: Database, database_url: str) -> None:
    job_id = insert_job(database_url)
    queue = JobQueue(db, "w")
    spec = await claim_one(queue)
    outcome = await queue.fail(
        spec, code="invalid_input", message="bad", details={}, retryable=False, delay_seconds=5
    )
    assert outcome is not None and outcome.status is JobStatus.FAILED
    assert job(database_url, job_id)["retry_count"] == 0


async def test_submission_evidence_sends_job_to_a_human(db: Database, database_url: str) -> None:
    a, b = insert_jobs(database_url, [{}, {"metadata": {"submitted": True}}])
    queue = JobQueue(db, "w")
    claimed = await queue.claim(2, worker_prefix="w", preferred_grace_seconds=30)
    spec_a = next(c.spec for c in claimed if c.spec.id == a)
    assert await queue.mark_running(spec_a)
    assert await queue.insert_progress(spec_a, "submitting", "", {})
    outcome = await queue.fail(
        spec_a, code="network_error", message="lost", details={}, retryable=True, delay_seconds=1
    )
    assert outcome is not None and outcome.status is JobStatus.AWAITING_REVIEW
    recovered = await queue.recover_stale(stale_seconds=0, code="worker_lost")
    assert recovered is not None
    assert [(r.job_id, r.status, r.submission_evidence) for r in recovered] == [
        (b, JobStatus.AWAITING_REVIEW, True)
    ]
    assert job(database_url, a)["error_details"]["submission_evidence"] is True


async def test_evidence_of_an_earlier_attempt_does_not_block_a_new_one(
    db: Database, database_url: str
) -> None:
    insert_job(database_url)
    queue = JobQueue(db, "w")
    first = await claim_one(queue)
    assert await queue.insert_progress(first, "submitted", "", {})
    # An operator decided to run it again (as the API's retry would).
    execute(database_url, "UPDATE gh_automation_jobs SET status = 'pending'")
    second = await claim_one(queue)
    outcome = await queue.fail(
        second, code="network_error", message="x", details={}, retryable=True, delay_seconds=1
    )
    assert outcome is not None and outcome.status is JobStatus.PENDING


async def test_recovery_runs_in_one_worker_at_a_time(db: Database, database_url: str) -> None:
    insert_job(database_url)
    await claim_one(JobQueue(db, "w-dead"))
    with psycopg.connect(database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [RECOVERY_LOCK_KEY])
        assert await JobQueue(db, "w-2").recover_stale(stale_seconds=0, code="worker_lost") is None
        holder.execute("SELECT pg_advisory_unlock(%s)", [RECOVERY_LOCK_KEY])
    recovered = await JobQueue(db, "w-2").recover_stale(stale_seconds=0, code="worker_lost")
    assert recovered is not None and len(recovered) == 1


async def test_recovery_leaves_fresh_heartbeats_and_fails_when_out_of_retries(
    db: Database, database_url: str
) -> None:
    fresh, spent = insert_jobs(database_url, [{}, {"max_retries": 0}])
    queue = JobQueue(db, "w")
    await queue.claim(2, worker_prefix="w", preferred_grace_seconds=30)
    assert await queue.recover_stale(stale_seconds=60, code="worker_lost") == []
    execute(
        database_url,
        "UPDATE gh_automation_jobs SET last_heartbeat = now() - interval '2 minutes' WHERE id = %s",
        [spent],
    )
    recovered = await queue.recover_stale(stale_seconds=60, code="worker_lost")
    assert recovered is not None and [(r.job_id, r.status) for r in recovered] == [
        (spent, JobStatus.FAILED)
    ]
    assert job(database_url, spent)["error_code"] == "worker_lost"
    assert job(database_url, fresh)["status"] == "queued"


async def test_release_returns_jobs_to_pending_at_once(db: Database, database_url: str) -> None:
    ids = insert_jobs(database_url, [{}, {}])
    queue = JobQueue(db, "w")
    specs = [c.spec for c in await queue.claim(2, worker_prefix="w", preferred_grace_seconds=30)]
    released = await queue.release(specs[:1], reason="worker_drain", message="bye")
    assert released == [(specs[0].id, JobStatus.PENDING)]
    released = await queue.release(None, reason="worker_abort", message="bye")
    assert released == [(specs[1].id, JobStatus.PENDING)]
    for job_id in ids:
        row = job(database_url, job_id)
        assert row["status"] == "pending" and row["retry_count"] == 0
        assert row["scheduled_at"] <= dt.datetime.now(dt.UTC)
    assert {job(database_url, i)["error_details"]["reason"] for i in ids} == {
        "worker_drain",
        "worker_abort",
    }


async def test_usage_actions_and_artifacts_are_recorded(db: Database, database_url: str) -> None:
    other = uuid.uuid4()
    insert_jobs(database_url, [{"input_data": {"tier": "pro"}}, {"user_id": other}])
    queue = JobQueue(db, "w")
    specs = [c.spec for c in await queue.claim(2, worker_prefix="w", preferred_grace_seconds=30)]
    mine = next(s for s in specs if s.user_id == USER)
    totals = await queue.record_llm_usage(mine, cost_cents=1.25, tokens=100)
    assert totals is not None and totals.job_cost_cents == pytest.approx(1.25)
    totals = await queue.record_llm_usage(mine, cost_cents=2.5, tokens=50)
    assert totals is not None
    assert totals.job_cost_cents == pytest.approx(3.75)
    assert totals.month_cost_cents == pytest.approx(3.75)
    assert totals.month_tier == "pro"  # the job named its tier
    assert await queue.count_actions(mine, 2) == 2
    assert await queue.count_actions(mine, 1) == 3
    url = await queue.save_artifact(mine, "screenshot", "s.png", "image/png", b"png")
    assert url is not None and re.fullmatch(
        rf"/api/v1/gh/jobs/{mine.id}/artifacts/[0-9a-f-]{{36}}", url
    )
    row = job(database_url, mine.id)
    assert float(row["llm_cost_cents"]) == pytest.approx(3.75)
    assert row["total_tokens"] == 150 and row["action_count"] == 3
    assert row["screenshot_urls"] == [url]
    usage = execute(database_url, "SELECT * FROM gh_user_usage WHERE user_id = %s", [USER])
    assert len(usage) == 1
    assert float(usage[0]["cost_cents"]) == pytest.approx(3.75) and usage[0]["tier"] == "pro"
    assert usage[0]["period_start"] == dt.datetime.now(dt.UTC).date().replace(day=1)
    stored = execute(database_url, "SELECT content, size_bytes FROM gh_artifacts")
    assert stored == [{"content": b"png", "size_bytes": 3}]


async def test_final_status_writes_the_outbox_row_in_the_same_transaction(
    db: Database, database_url: str
) -> None:
    by_valet, by_user, no_callback = insert_jobs(
        database_url,
        [
            {
                "created_by": "valet",
                "callback_url": "https://valet.example/cb",
                "valet_task_id": "t-1",
            },
            {"created_by": "api", "callback_url": "https://user.example/cb"},
            {},
        ],
    )
    queue = JobQueue(db, "w")
    specs = {
        c.spec.id: c.spec
        for c in await queue.claim(3, worker_prefix="w", preferred_grace_seconds=30)
    }
    assert await queue.complete(
        specs[by_valet],
        status=JobStatus.COMPLETED,
        result_data={"a": 1},
        summary="ok",
        final_mode=None,
        tier="free",
    )
    await queue.fail(
        specs[by_user],
        code="invalid_input",
        message="bad",
        details={},
        retryable=False,
        delay_seconds=0,
    )
    await queue.fail(
        specs[no_callback],
        code="invalid_input",
        message="bad",
        details={},
        retryable=False,
        delay_seconds=0,
    )
    rows = execute(database_url, "SELECT * FROM gh_callback_outbox ORDER BY created_at")
    assert [(r["job_id"], r["event"], r["include_service_key"]) for r in rows] == [
        (by_valet, "completed", True),
        (by_user, "failed", False),
    ]
    assert rows[0]["payload"]["result_data"] == {"a": 1}
    assert rows[0]["payload"]["valet_task_id"] == "t-1"
    assert rows[1]["payload"]["error_code"] == "invalid_input"

    # Two senders never take the same row.
    a, b = JobQueue(db, "w-a"), JobQueue(db, "w-b")
    taken_a = await a.claim_callbacks(1, lease_seconds=30)
    taken_b = await b.claim_callbacks(10, lease_seconds=30)
    assert len(taken_a) == 1 and len(taken_b) == 1 and taken_a[0].id != taken_b[0].id
    assert await a.claim_callbacks(10, lease_seconds=30) == []  # leased
    await a.callback_delivered(taken_a[0], 200)
    await b.callback_retry_later(taken_b[0], 0, 503, "receiver answered 503")
    again = await a.claim_callbacks(10, lease_seconds=30)
    assert [c.id for c in again] == [taken_b[0].id] and again[0].attempts == 2


async def test_submission_steps_match_the_sql_definition(database_url: str) -> None:
    rows = execute(
        database_url,
        "SELECT pg_get_functiondef('gh_job_submission_evidence(uuid, uuid)'::regprocedure) AS d",
    )
    in_sql = re.search(r"->> 'step' IN \(([^)]*)\)", rows[0]["d"])
    assert in_sql is not None
    assert tuple(re.findall(r"'([a-z_]+)'", in_sql.group(1))) == SUBMISSION_STEPS
