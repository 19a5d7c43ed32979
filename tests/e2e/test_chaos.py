"""Fault injection: three workers, 300 jobs, workers killed with SIGKILL at random and
restarted, and PostgreSQL restarted in the middle. At the end every job is terminal
exactly once, each ran under one holder at a time, each status's callback was delivered
(one message id per job and status), and nothing is left queued or running."""

from __future__ import annotations

import random
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable

from ghosthands.db.embedded import EmbeddedPostgres
from ghosthands.jobs.states import TERMINAL
from tests.e2e.test_postgres_restart import own_cluster  # noqa: F401
from tests.e2e.test_worker_fleet import check_no_overlapping_runs
from tests.support import GhProcess, wait_until
from tests.worker.helpers import Receiver, events, execute, status_counts

JOBS = 300
KILLS = 5
FAST = {"GH_STALE_SECONDS": "2", "GH_HEARTBEAT_SECONDS": "0.3", "MAX_CONCURRENT_JOBS": "4"}


def test_kill_9_and_a_postgres_restart_lose_nothing_and_run_nothing_twice(
    own_cluster: EmbeddedPostgres,  # noqa: F811 -- first: torn down after the workers
    start_worker: Callable[..., GhProcess],
    receiver: Receiver,
) -> None:
    dsn = own_cluster.dsn
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    note = f"(random seed {seed})"
    workers = [start_worker(dsn=dsn, **FAST) for _ in range(3)]
    execute(
        dsn,
        """
        INSERT INTO gh_automation_jobs (user_id, job_type, target_url, input_data,
                                        created_by, callback_url, max_retries)
        SELECT %s, 'test_slow', 'https://example.com/', jsonb_build_object('seconds', 0.3),
               'valet', %s, 10
        FROM generate_series(1, %s)
        """,
        [uuid.uuid4(), receiver.url, JOBS],
    )

    def unfinished() -> int:
        counts = status_counts(dsn)
        return sum(n for status, n in counts.items() if status not in TERMINAL)

    kills = 0
    restarted_database = False
    while unfinished() and kills < KILLS:
        time.sleep(rng.uniform(0.5, 1.5))
        victim = rng.choice([w for w in workers if w.proc.poll() is None])
        victim.send(signal.SIGKILL)
        victim.wait(timeout=5)
        workers.remove(victim)
        kills += 1
        if kills == 2 and not restarted_database:
            own_cluster.restart()
            restarted_database = True
        workers.append(start_worker(dsn=dsn, wait=False, **FAST))
    assert kills >= 3 and restarted_database, f"the jobs finished before the faults {note}"

    wait_until(lambda: unfinished() == 0, 120, f"every job terminal {note}", interval=0.5)
    assert status_counts(dsn) == {"completed": JOBS}, note

    all_events = events(dsn)
    terminal = Counter(e["job_id"] for e in all_events if e["to_status"] in TERMINAL)
    assert len(terminal) == JOBS and set(terminal.values()) == {1}, note
    runs = check_no_overlapping_runs(all_events)
    assert runs >= JOBS, note  # killed attempts were run again, never alongside another

    # Callbacks: one outbox message per job and status, each delivered.
    wait_until(
        lambda: (
            execute(dsn, "SELECT count(*) AS n FROM gh_callback_outbox WHERE delivered_at IS NULL")[
                0
            ]["n"]
            == 0
        ),
        60,
        f"every callback delivered {note}",
    )
    outbox = execute(dsn, "SELECT id, job_id, event FROM gh_callback_outbox")
    assert Counter((r["job_id"], r["event"]) for r in outbox).most_common(1)[0][1] == 1, note
    assert {(r["job_id"], r["event"]) for r in outbox} == {
        (job_id, "completed") for job_id in terminal
    }
    # The receiver saw every message; a re-delivery (a worker killed between the reply
    # and recording it) carries the same webhook-id, so the receiver counts it once.
    accepted = {r["headers"]["webhook-id"] for r in receiver.accepted}
    assert accepted == {str(r["id"]) for r in outbox}, note
    per_job_status = Counter(
        (r["json"]["job_id"], r["json"]["event"])
        for r in {r["headers"]["webhook-id"]: r for r in receiver.accepted}.values()
    )
    assert set(per_job_status.values()) == {1}, note
    duplicates = len(receiver.accepted) - len(accepted)
    assert duplicates <= KILLS * int(FAST["MAX_CONCURRENT_JOBS"]), note
