"""Fair claims against a real database: users take turns within a priority, and a user
with GH_MAX_RUNNING_JOBS_PER_USER jobs queued or running is passed over, fleet-wide."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from importlib import resources

import anyio
import pytest

from ghosthands.config import Settings, load_settings
from ghosthands.db.pool import Database
from ghosthands.jobs.queue import ClaimedJob, JobQueue
from ghosthands.jobs.states import ACTIVE, JobStatus
from tests.worker.helpers import execute, insert_job, insert_jobs

pytestmark = pytest.mark.anyio

A = uuid.UUID("00000000-0000-4000-8000-00000000000a")
B = uuid.UUID("00000000-0000-4000-8000-00000000000b")
C = uuid.UUID("00000000-0000-4000-8000-00000000000c")
BACKLOG = 3000


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(Settings(database_url=database_url), pool_size=4, name="test")
    await database.open()
    yield database
    await database.close()


def backlog(dsn: str, user: uuid.UUID, n: int = BACKLOG, priority: int = 5) -> None:
    """``n`` pending jobs of ``user`` in one statement (one created_at for all)."""
    execute(
        dsn,
        "INSERT INTO gh_automation_jobs (user_id, job_type, target_url, priority) "
        "SELECT %s, 'http_check', 'http://127.0.0.1:9/', %s FROM generate_series(1, %s)",
        (user, priority, n),
    )


async def claim(queue: JobQueue, limit: int, cap: int = 0) -> list[ClaimedJob]:
    return await queue.claim(
        limit, worker_prefix="w", preferred_grace_seconds=30, max_running_per_user=cap
    )


def users(claimed: list[ClaimedJob]) -> Counter[uuid.UUID]:
    return Counter(c.spec.user_id for c in claimed)


async def finish(queue: JobQueue, job: ClaimedJob) -> None:
    assert await queue.mark_running(job.spec)
    assert await queue.complete(
        job.spec,
        status=JobStatus.COMPLETED,
        result_data={},
        summary="done",
        final_mode=None,
        tier="free",
    )


# -- turns ------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [2, 8])
async def test_a_backlog_does_not_hold_back_another_users_job(
    db: Database, database_url: str, batch: int
) -> None:
    backlog(database_url, A)
    later = insert_job(database_url, user_id=B)  # created after all of A's jobs
    claimed = await claim(JobQueue(db, "w-1"), batch)
    assert len(claimed) == batch
    assert later in {c.spec.id for c in claimed}
    # The rest of the batch is A's, oldest first: the batch is filled, not rationed.
    assert users(claimed) == Counter({B: 1, A: batch - 1})


async def test_users_take_turns_from_one_claim_to_the_next(db: Database, database_url: str) -> None:
    backlog(database_url, A)
    insert_jobs(database_url, [{"user_id": B}, {"user_id": B}, {"user_id": C}])
    queue = JobQueue(db, "w-1")
    order = [(await claim(queue, 1))[0].spec.user_id for _ in range(6)]
    # One job per claim: round and round the users, A's backlog taking one turn in three.
    assert order == [A, B, C, A, B, A]


async def test_turns_keep_priority_first_and_age_within_a_user(
    db: Database, database_url: str
) -> None:
    backlog(database_url, A, 20, priority=5)
    urgent = insert_jobs(database_url, [{"user_id": A, "priority": 1}] * 3)
    b_jobs = insert_jobs(database_url, [{"user_id": B}, {"user_id": B}])
    claimed = await claim(JobQueue(db, "w-1"), 7)
    # Priority 1 first (all of it, though it is one user's), then turns at priority 5.
    assert [c.priority for c in claimed] == [1, 1, 1, 5, 5, 5, 5]
    assert {c.spec.id for c in claimed[:3]} == set(urgent)
    assert b_jobs[0] in {c.spec.id for c in claimed} and b_jobs[1] in {c.spec.id for c in claimed}
    assert users(claimed[3:]) == Counter({A: 2, B: 2})


async def test_two_workers_claiming_at_once_both_fill_their_batch(
    db: Database, database_url: str
) -> None:
    backlog(database_url, A, 40)
    insert_jobs(database_url, [{"user_id": B}] * 3)
    results: list[list[ClaimedJob]] = []

    async def take(queue: JobQueue) -> None:
        results.append(await claim(queue, 8))

    async with anyio.create_task_group() as tg:
        tg.start_soon(take, JobQueue(db, "w-a"))
        tg.start_soon(take, JobQueue(db, "w-b"))
    # Each probe locks only the job it takes and skips the other claim's: no claim comes
    # back short, and no job is taken twice.
    assert sorted(len(r) for r in results) == [8, 8]
    assert len({c.spec.id for r in results for c in r}) == 16
    assert users(results[0] + results[1])[B] == 3


# -- the running cap ----------------------------------------------------------------------


async def test_a_user_at_the_running_cap_is_passed_over_until_a_job_finishes(
    db: Database, database_url: str
) -> None:
    insert_jobs(database_url, [{"user_id": A}] * 5)
    b_jobs = insert_jobs(database_url, [{"user_id": B}] * 2)
    worker = JobQueue(db, "w-1")
    first = await claim(worker, 10, cap=2)
    assert users(first) == Counter({A: 2, B: 2})
    assert {c.spec.id for c in first} >= set(b_jobs)
    # The cap holds for the whole fleet: another worker, with free slots, gets nothing.
    assert await claim(JobQueue(db, "w-2"), 10, cap=2) == []
    # A's oldest three, in order: the third waits for a slot of A's own.
    a_first = [c for c in first if c.spec.user_id == A]
    await finish(worker, a_first[0])
    third = await claim(JobQueue(db, "w-2"), 10, cap=2)
    assert users(third) == Counter({A: 1})
    assert await claim(worker, 10, cap=2) == []
    # Without a cap the rest goes at once.
    assert users(await claim(worker, 10)) == Counter({A: 2})


async def test_the_cap_counts_a_users_jobs_across_priorities(
    db: Database, database_url: str
) -> None:
    insert_jobs(database_url, [{"user_id": A, "priority": 1}, {"user_id": A, "priority": 3}])
    insert_jobs(database_url, [{"user_id": A, "priority": 5}] * 3 + [{"user_id": B}])
    claimed = await claim(JobQueue(db, "w-1"), 10, cap=2)
    assert sorted((c.spec.user_id == A, c.priority) for c in claimed) == [
        (False, 5),
        (True, 1),
        (True, 3),
    ]


async def test_running_jobs_count_and_paused_ones_do_not(db: Database, database_url: str) -> None:
    # Jobs already held elsewhere: one running, one queued, one waiting for a person.
    insert_jobs(
        database_url,
        [
            {"user_id": A, "status": "running", "worker_id": "w-x"},
            {"user_id": A, "status": "queued", "worker_id": "w-x"},
            {"user_id": A, "status": "paused", "worker_id": "w-x"},
        ],
    )
    insert_jobs(database_url, [{"user_id": A}] * 3)
    assert users(await claim(JobQueue(db, "w-1"), 10, cap=3)) == Counter({A: 1})


# -- the one definition of a held slot, and the setting -----------------------------------


def test_the_claim_counts_the_active_statuses() -> None:
    """Migration 0009 spells jobs.states.ACTIVE out (its partial index needs literals), in
    the index and in gh_pick_jobs's count: both must say what ACTIVE says."""
    literal = "status IN (" + ", ".join(f"'{s}'" for s in sorted(ACTIVE)) + ")"
    migration = (
        resources.files("ghosthands.db.migrations").joinpath("0009_fair_claim.sql").read_text()
    )
    assert migration.count(literal) == 2
    assert migration.count("status IN (") == 2


def test_the_running_cap_setting() -> None:
    assert load_settings({}).max_running_jobs_per_user == 10
    assert load_settings({"GH_MAX_RUNNING_JOBS_PER_USER": "0"}).max_running_jobs_per_user == 0
