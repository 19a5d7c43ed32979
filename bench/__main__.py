"""``python -m bench`` (or ``bench/run``): run the benchmarks, print one table.

Every figure is set against a baseline measured in the same run, on the same machine and
the same PostgreSQL cluster (a throwaway embedded one), and the table's last columns are
the ratio and the issue's target. The load generators share the machine's cores with
what they measure, so absolute numbers mean little; the ratios are the result.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row

from bench import wrk as wrk_load
from bench.applications import bench_applications
from bench.noop_handler import JOB_TYPE, write_plugin
from ghosthands.db.embedded import EmbeddedPostgres, free_port
from ghosthands.db.migrate import migrate
from ghosthands.jobs.queue import Q

REPO = Path(__file__).resolve().parents[1]
SERVICE_KEY = "bench-service-key-" + uuid.uuid4().hex
USER = str(uuid.uuid4())


@dataclass
class Row:
    bench: str
    measure: str
    ours: float
    baseline_name: str
    baseline: float
    unit: str
    #: True when bigger is better (throughput); the ratio is then ours / baseline.
    higher_is_better: bool
    target: str = ""

    @property
    def ratio(self) -> float:
        """GhostHands / baseline; read it against ``higher_is_better``."""
        return self.ours / self.baseline if self.baseline else float("nan")


def fmt(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "MB":
        return f"{value:.1f} MB"
    return f"{value:,.0f} {unit}"


def render(rows: list[Row]) -> str:
    head = "| Benchmark | Measure | GhostHands | Baseline | Baseline value | Ratio | Target |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r.bench} | {r.measure} | {fmt(r.ours, r.unit)} | {r.baseline_name} | "
            f"{fmt(r.baseline, r.unit)} | {r.ratio:.2f}× | {r.target} |"
        )
    return "\n".join(lines)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- databases and processes --------------------------------------------------------------


class Cluster:
    def __init__(self) -> None:
        self.pg = EmbeddedPostgres(name="ghosthands-bench")
        self.pg.start()
        with psycopg.connect(self.pg.dsn, autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench_template")
        migrate(self.pg.dsn_for("bench_template"))

    def database(self, migrated: bool = True) -> str:
        name = f"b_{uuid.uuid4().hex[:12]}"
        template = "bench_template" if migrated else "template0"
        with psycopg.connect(self.pg.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return self.pg.dsn_for(name)

    def stop(self) -> None:
        self.pg.stop()


def wait_for(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def scalar(dsn: str, sql: str, params: Any = None) -> Any:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        row = cur.fetchone() if cur.description is not None else None
        return None if row is None else row[0]


@contextlib.contextmanager
def processes(
    commands: list[tuple[list[str], dict[str, str]]],
) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for cmd, env in commands
    ]
    try:
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def gh_env(dsn: str, plugin_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "DATABASE_"))}
    env.update(
        DATABASE_URL=dsn,
        PYTHONPATH=os.pathsep.join([str(plugin_dir), str(REPO)]),
        GH_SERVICE_SECRET=SERVICE_KEY,
        GH_WORKER_PORT="0",
        GH_LOG_LEVEL="info",
        **extra,
    )
    return env


def insert_noops(dsn: str, n: int) -> None:
    scalar(
        dsn,
        "INSERT INTO gh_automation_jobs (user_id, job_type, target_url, created_by) "
        "SELECT %s, %s, 'https://example.com/', 'api' FROM generate_series(1, %s)",
        (USER, JOB_TYPE, n),
    )


def wait_for_count(dsn: str, sql: str, n: int, timeout: float, what: str) -> None:
    """Poll ``sql`` (a count) until it reaches ``n``: over one connection, five times a
    second. A drain's duration is then read from the database's own timestamps
    (:data:`DRAIN_SECONDS`), so the polling neither decides the figure nor takes much
    CPU from what it measures (a count over 20,000 rows costs a few milliseconds)."""
    with psycopg.connect(dsn, autocommit=True) as conn:

        def reached() -> bool:
            row = conn.execute(sql).fetchone()
            return row is not None and row[0] >= n

        wait_for(reached, timeout, what, interval=0.2)


COMPLETED = "SELECT count(*) FROM gh_automation_jobs WHERE status = 'completed'"
SUCCEEDED = "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'"
#: From the first job's insert to the last one's completion, on the database clock. The
#: same for GhostHands and the raw loop (both write completed_at = now()); Procrastinate
#: records the same two moments in its events table.
DRAIN_SECONDS = (
    "SELECT extract(epoch FROM max(completed_at) - min(created_at))::float8 FROM gh_automation_jobs"
)
PROCRASTINATE_DRAIN_SECONDS = (
    "SELECT extract(epoch FROM max(at) FILTER (WHERE type = 'succeeded') "
    "- min(at) FILTER (WHERE type = 'deferred'))::float8 FROM procrastinate_events"
)


def count_status(dsn: str, status: str) -> int:
    return int(scalar(dsn, "SELECT count(*) FROM gh_automation_jobs WHERE status = %s", (status,)))


# -- queue drain --------------------------------------------------------------------------


def drain_ghosthands(cluster: Cluster, plugin: Path, n: int, workers: int, conc: int) -> float:
    dsn = cluster.database()
    # Every job is one user's: a cap below the fleet's slots would measure the cap, not
    # the queue. At the slots, each claim still counts the user's running jobs.
    env = gh_env(
        dsn,
        plugin,
        MAX_CONCURRENT_JOBS=str(conc),
        GH_MAX_RUNNING_JOBS_PER_USER=str(workers * conc),
    )
    cmd = [sys.executable, "-m", "ghosthands", "work"]
    with processes([(cmd, env)] * workers):
        wait_for(
            lambda: (
                scalar(dsn, "SELECT count(*) FROM gh_worker_registry WHERE status = 'active'")
                == workers
            ),
            60,
            "workers registered",
        )
        insert_noops(dsn, n)
        wait_for_count(dsn, COMPLETED, n, 3600, "ghosthands drain")
        return n / float(scalar(dsn, DRAIN_SECONDS))


#: The index the raw loop's claim reads (GhostHands' own claim index is ordered by user
#: within a priority since migration 0009, which this ORDER BY could not use).
RAW_INDEX = (
    "CREATE INDEX raw_claim_idx ON gh_automation_jobs (priority, created_at, id) "
    "WHERE status = 'pending'"
)
CLAIM = (
    "UPDATE gh_automation_jobs SET status = 'running', worker_id = 'raw', started_at = now() "
    "WHERE id = (SELECT id FROM gh_automation_jobs WHERE status = 'pending' "
    "ORDER BY priority, created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id"
)
COMPLETE = "UPDATE gh_automation_jobs SET status = 'completed', completed_at = now() WHERE id = %s"


def drain_raw(cluster: Cluster, n: int, conc: int) -> float:
    dsn = cluster.database()

    async def loop() -> None:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            while True:
                row = await (await conn.execute(CLAIM)).fetchone()
                if row is None:
                    return
                await conn.execute(COMPLETE, (row[0],))

    async def run() -> None:
        scalar(dsn, RAW_INDEX)
        insert_noops(dsn, n)
        await asyncio.gather(*(loop() for _ in range(conc)))

    asyncio.run(run())
    assert count_status(dsn, "completed") == n
    return n / float(scalar(dsn, DRAIN_SECONDS))


def procrastinate_cmd(mode: str, dsn: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "bench.procrastinate_bench", mode, dsn, *args]


def procrastinate_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def procrastinate_count(dsn: str, status: str = "succeeded") -> int:
    return int(scalar(dsn, "SELECT count(*) FROM procrastinate_jobs WHERE status = %s", (status,)))


def procrastinate_db(cluster: Cluster) -> str:
    dsn = cluster.database(migrated=False)
    subprocess.run(procrastinate_cmd("schema", dsn), env=procrastinate_env(), check=True)
    return dsn


def procrastinate_workers_ready(dsn: str, workers: int) -> None:
    # Procrastinate 3 registers live workers (heartbeats) in procrastinate_workers.
    wait_for(
        lambda: scalar(dsn, "SELECT count(*) FROM procrastinate_workers") >= workers,
        60,
        "procrastinate workers",
    )
    time.sleep(0.5)  # let them LISTEN


def drain_procrastinate(cluster: Cluster, n: int, workers: int, conc: int) -> float:
    dsn = procrastinate_db(cluster)
    cmd = procrastinate_cmd("worker", dsn, str(conc))
    with processes([(cmd, procrastinate_env())] * workers):
        procrastinate_workers_ready(dsn, workers)
        subprocess.run(procrastinate_cmd("defer", dsn, str(n)), env=procrastinate_env(), check=True)
        wait_for_count(dsn, SUCCEEDED, n, 3600, "procrastinate drain")
        return n / float(scalar(dsn, PROCRASTINATE_DRAIN_SECONDS))


def bench_queue(
    cluster: Cluster, plugin: Path, n: int, workers: int, conc: int, repeat: int
) -> list[Row]:
    """Each contender drains ``repeat`` times, interleaved (so a noisy minute on a shared
    machine falls on all three); the median of each is reported."""
    ours, raw, peer = [], [], []
    for _ in range(repeat):
        ours.append(drain_ghosthands(cluster, plugin, n, workers, conc))
        raw.append(drain_raw(cluster, n, workers * conc))
        peer.append(drain_procrastinate(cluster, n, workers, conc))
    for name, rates in (("ghosthands", ours), ("raw", raw), ("procrastinate", peer)):
        print(f"queue {name}: " + ", ".join(f"{r:,.0f}" for r in rates) + " jobs/s", flush=True)
    ours_rate, raw_rate, peer_rate = (statistics.median(r) for r in (ours, raw, peer))
    what = f"drain {n:,} no-op jobs, {workers} workers × {conc}"
    if repeat > 1:
        what += f", median of {repeat}"
    return [
        Row("queue", what, ours_rate, "raw SQL ceiling", raw_rate, "jobs/s", True, "≥ 0.50×"),
        Row("queue", what, ours_rate, "Procrastinate", peer_rate, "jobs/s", True, "≥ 3×"),
    ]


# -- pickup latency -----------------------------------------------------------------------


def pickup_ghosthands(cluster: Cluster, plugin: Path, n: int, pace: float) -> list[float]:
    dsn = cluster.database()
    cmd = [sys.executable, "-m", "ghosthands", "work"]
    with processes([(cmd, gh_env(dsn, plugin))]):
        wait_for(
            lambda: scalar(dsn, "SELECT count(*) FROM gh_worker_registry WHERE status = 'active'"),
            60,
            "worker registered",
        )
        time.sleep(0.5)
        with psycopg.connect(dsn, autocommit=True) as conn:
            for _ in range(n):
                conn.execute(
                    "INSERT INTO gh_automation_jobs (user_id, job_type, target_url, created_by) "
                    "VALUES (%s, %s, 'https://example.com/', 'api')",
                    (USER, JOB_TYPE),
                )
                time.sleep(pace)
        wait_for(lambda: count_status(dsn, "completed") == n, 120, "paced jobs done")
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM started_at - created_at) FROM gh_automation_jobs"
        ).fetchall()
    return [float(r[0]) * 1000 for r in rows]


def pickup_procrastinate(cluster: Cluster, n: int, pace: float) -> list[float]:
    import procrastinate

    dsn = procrastinate_db(cluster)
    with processes([(procrastinate_cmd("worker", dsn, "8"), procrastinate_env())]):
        procrastinate_workers_ready(dsn, 1)
        app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))

        @app.task(name="noop")
        async def noop() -> None:
            return None

        async def defer_paced() -> None:
            async with app.open_async():
                for _ in range(n):
                    await noop.defer_async()
                    await asyncio.sleep(pace)

        asyncio.run(defer_paced())
        wait_for(lambda: procrastinate_count(dsn) == n, 120, "procrastinate paced jobs")
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM s.at - d.at) FROM procrastinate_events d "
            "JOIN procrastinate_events s ON s.job_id = d.job_id AND s.type = 'started' "
            "WHERE d.type = 'deferred'"
        ).fetchall()
    return [float(r[0]) * 1000 for r in rows]


def notify_round_trip(cluster: Cluster, n: int, pace: float) -> list[float]:
    dsn = cluster.database(migrated=False)

    async def run() -> list[float]:
        listener = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
        sender = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
        await listener.execute("LISTEN bench")
        out: list[float] = []
        gen = listener.notifies()
        for i in range(n):
            started = time.perf_counter()
            await sender.execute("SELECT pg_notify('bench', %s)", (str(i),))
            await gen.__anext__()
            out.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(pace)
        await listener.close()
        await sender.close()
        return out

    return asyncio.run(run())


def bench_pickup(cluster: Cluster, plugin: Path, n: int, pace: float) -> list[Row]:
    ours = pickup_ghosthands(cluster, plugin, n, pace)
    peer = pickup_procrastinate(cluster, n, pace)
    notify = notify_round_trip(cluster, n, pace)
    rows = []
    for q, name in ((0.5, "p50"), (0.99, "p99")):
        target = "≤ 5 ms" if name == "p50" else "≤ 20 ms"
        what = f"pickup {name}, {n} paced jobs, idle worker"
        rows.append(
            Row("pickup", what, pct(ours, q), "Procrastinate", pct(peer, q), "ms", False, target)
        )
        rows.append(
            Row(
                "pickup",
                what,
                pct(ours, q),
                "bare NOTIFY round trip",
                pct(notify, q),
                "ms",
                False,
                "",
            )
        )
    return rows


# -- fair claim ---------------------------------------------------------------------------

#: The claim before migration 0009, kept as the baseline: priority, then age, whoever's
#: job it is (one scan of the (priority, created_at, id) index).
OLD_CLAIM = """
WITH picked AS (
    SELECT id
    FROM gh_automation_jobs
    WHERE status = 'pending'
      AND (scheduled_at IS NULL OR scheduled_at <= now())
      AND (
          target_worker_id IS NULL
          OR worker_affinity = 'any'
          OR target_worker_id IN (%(worker_id)s, %(worker_prefix)s)
          OR (worker_affinity = 'preferred'
              AND greatest(created_at, coalesce(scheduled_at, created_at))
                  <= now() - make_interval(secs => %(preferred_grace)s))
      )
    ORDER BY priority, created_at, id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE gh_automation_jobs j
SET status = 'queued',
    worker_id = %(worker_id)s,
    execution_attempt_id = gen_random_uuid(),
    last_heartbeat = now(),
    status_message = NULL
FROM picked
WHERE j.id = picked.id
RETURNING j.id, j.job_type, j.user_id, j.target_url, j.task_description, j.input_data,
          j.timeout_seconds, j.retry_count, j.max_retries, j.execution_attempt_id,
          j.created_by, j.valet_task_id, j.metadata, j.priority, j.created_at,
          j.llm_cost_cents,
          extract(epoch FROM clock_timestamp()
                  - greatest(j.created_at, coalesce(j.scheduled_at, j.created_at)))::float8
              AS waited_seconds
"""
#: The schema the old claim ran on: 0006's claim index, and no index of active jobs.
OLD_CLAIM_SCHEMA = (
    "DROP INDEX gh_jobs_claim_idx",
    "DROP INDEX gh_jobs_user_active_idx",
    "CREATE INDEX gh_jobs_claim_idx ON gh_automation_jobs (priority, created_at, id) "
    "WHERE status = 'pending'",
)


def claim_database(cluster: Cluster, old: bool, backlog: int, others: int) -> str:
    """One user's ``backlog`` pending jobs in one statement, then ``others`` users' three
    jobs each, inserted after (unseen by ANALYZE, as after a burst)."""
    dsn = cluster.database()
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in OLD_CLAIM_SCHEMA if old else ():
            conn.execute(statement)
        conn.execute(
            "INSERT INTO gh_automation_jobs (user_id, job_type, target_url) "
            "SELECT %s, 'http_check', 'https://example.com/' FROM generate_series(1, %s)",
            (USER, backlog),
        )
        for _ in range(others):
            conn.execute(
                "INSERT INTO gh_automation_jobs (user_id, job_type, target_url) "
                "SELECT %s, 'http_check', 'https://example.com/' FROM generate_series(1, 3)",
                (uuid.uuid4(),),
            )
    return dsn


class Claimer:
    """Claims as ``JobQueue.claim`` does (claim_setup, then the claim statement, in one
    transaction), timing the claim statement; the new one rotates users as a worker does."""

    def __init__(self, dsn: str, old: bool, limit: int) -> None:
        self.conn = psycopg.connect(dsn, row_factory=dict_row)
        self.old = old
        self.params: dict[str, Any] = {
            "limit": limit,
            "worker_id": "bench-1",
            "worker_prefix": "bench",
            "preferred_grace": 30.0,
            "max_running": 10,
            "after_user": uuid.UUID(int=0),
        }

    def claim(self, commit: bool) -> tuple[float, list[dict[str, Any]]]:
        self.conn.execute(Q.claim_setup, {"actor": "bench-1"})
        started = time.perf_counter()
        rows = self.conn.execute(OLD_CLAIM if self.old else Q.claim_jobs, self.params).fetchall()
        elapsed = (time.perf_counter() - started) * 1000
        if rows and not self.old:
            self.params["after_user"] = max(rows, key=lambda r: r["turn"])["user_id"]
        if commit:
            self.conn.commit()
        else:
            self.conn.rollback()
        return elapsed, rows

    def close(self) -> None:
        self.conn.close()


def claim_latencies(
    cluster: Cluster, backlog: int, others: int, limit: int, n: int
) -> tuple[list[float], list[float]]:
    """Old and new claim, ``n`` claims each, interleaved; each rolled back, so every claim
    meets the same backlog (and the dead row versions the rollbacks leave, alike)."""
    old = Claimer(claim_database(cluster, True, backlog, others), True, limit)
    new = Claimer(claim_database(cluster, False, backlog, others), False, limit)
    times: tuple[list[float], list[float]] = ([], [])
    try:
        for i in range(n + 20):
            for claimer, out in ((old, times[0]), (new, times[1])):
                elapsed, rows = claimer.claim(commit=False)
                assert len(rows) == limit
                if i >= 20:  # warm-up: caches, and psycopg preparing the statement
                    out.append(elapsed)
    finally:
        old.close()
        new.close()
    return times


def claims_until_served(cluster: Cluster, old: bool, backlog: int, limit: int) -> int:
    """Claims (committed, batch ``limit``) until the first job of a user who submitted
    after the backlog is taken."""
    dsn = claim_database(cluster, old, backlog, 1)
    claimer = Claimer(dsn, old, limit)
    try:
        for rounds in range(1, backlog // limit + 3):
            _, rows = claimer.claim(commit=True)
            if any(str(r["user_id"]) != USER for r in rows):
                return rounds
    finally:
        claimer.close()
    raise AssertionError("the other user's job was never claimed")


def bench_claim(cluster: Cluster, backlog: int, n: int, limit: int = 8) -> list[Row]:
    old_mixed, new_mixed = claim_latencies(cluster, backlog, 5, limit, n)
    old_one, new_one = claim_latencies(cluster, backlog, 0, limit, n)
    rows = []
    for what, old, new in (
        (f"{backlog:,} pending of one user + 5 users × 3", old_mixed, new_mixed),
        (f"{backlog:,} pending of one user only", old_one, new_one),
    ):
        for q, name in ((0.5, "p50"), (0.95, "p95")):
            rows.append(
                Row(
                    "claim",
                    f"claim {limit}: {what}, {name} of {n}",
                    pct(new, q),
                    "old claim SQL (priority, age)",
                    pct(old, q),
                    "ms",
                    False,
                    "",
                )
            )
    rows.append(
        Row(
            "claim",
            f"claims of {limit} before another user's job (after {backlog:,} of one user)",
            claims_until_served(cluster, False, backlog, limit),
            "old claim SQL (priority, age)",
            claims_until_served(cluster, True, backlog, limit),
            "claims",
            False,
            "1",
        )
    )
    return rows


# -- API ----------------------------------------------------------------------------------


async def load(
    n: int,
    clients: int,
    request: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    base: str,
    headers: dict[str, str],
) -> tuple[float, list[float], list[httpx.Response]]:
    latencies: list[float] = []
    responses: list[httpx.Response] = []
    counter = iter(range(n))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(http: httpx.AsyncClient) -> None:
        for i in counter:
            started = time.perf_counter()
            response = await request(http, i)
            latencies.append((time.perf_counter() - started) * 1000)
            responses.append(response)

    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(http) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return n / elapsed, latencies, responses


def api_round(
    base: str, headers: dict[str, str], post_path: str, get_path: str, n: int, clients: int
) -> dict[str, tuple[float, float, float]]:
    """The fallback load (no wrk): httpx from this process, which may be the limit."""
    body = {"job_type": "http_check", "target_url": "https://example.com/x", "user_id": USER}

    async def post(http: httpx.AsyncClient, i: int) -> httpx.Response:
        return await http.post(post_path, json=body)

    post_rate, post_lat, created = asyncio.run(load(n, clients, post, base, headers))
    assert all(r.status_code == 201 for r in created), {r.status_code for r in created}
    ids = [r.json().get("id") or r.json().get("job_id") for r in created]

    async def get(http: httpx.AsyncClient, i: int) -> httpx.Response:
        return await http.get(get_path.format(job_id=ids[i % len(ids)]))

    get_rate, get_lat, read = asyncio.run(load(n, clients, get, base, headers))
    assert all(r.status_code == 200 for r in read), {r.status_code for r in read}
    return {
        "post": (post_rate, pct(post_lat, 0.5), pct(post_lat, 0.99)),
        "get": (get_rate, pct(get_lat, 0.5), pct(get_lat, 0.99)),
    }


def wrk_round(
    wrk: str,
    base: str,
    headers: dict[str, str],
    post_path: str,
    get_path: str,
    seconds: float,
    clients: int,
    dsn: str,
) -> dict[str, tuple[float, float, float]]:
    """POST for ``seconds``, then GET the jobs it created for ``seconds``."""
    body = {"job_type": "http_check", "target_url": "https://example.com/x", "user_id": USER}
    posted = wrk_load.run(
        wrk, base, path=post_path, seconds=seconds, clients=clients, headers=headers, body=body
    )
    with psycopg.connect(dsn) as conn:
        ids = [str(r[0]) for r in conn.execute("SELECT id FROM gh_automation_jobs LIMIT 20000")]
    got = wrk_load.run(
        wrk, base, path=get_path, seconds=seconds, clients=clients, headers=headers, ids=ids
    )
    return {
        "post": (posted.rate, posted.p50_ms, posted.p99_ms),
        "get": (got.rate, got.p50_ms, got.p99_ms),
    }


def bench_api(cluster: Cluster, plugin: Path, n: int, clients: int, seconds: float) -> list[Row]:
    wrk = wrk_load.available()
    if wrk is None:
        print("bench: wrk not found; the API load comes from httpx (may be client-bound)")

    def measure(base: str, headers: dict[str, str], post: str, get: str, dsn: str) -> Any:
        if wrk is None:
            api_round(base, headers, post, get, min(200, n), clients)  # warm-up
            return api_round(base, headers, post, get, n, clients)
        wrk_round(wrk, base, headers, post, get, 2, clients, dsn)  # warm-up
        return wrk_round(wrk, base, headers, post, get, seconds, clients, dsn)

    dsn = cluster.database()
    port = free_port()
    cmd = [sys.executable, "-m", "ghosthands", "serve"]
    with processes([(cmd, gh_env(dsn, plugin, GH_API_PORT=str(port)))]):
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _up(f"{base}/health"), 60, "ghosthands serve")
        headers = {"X-GH-Service-Key": SERVICE_KEY}
        ours = measure(base, headers, "/api/v1/gh/jobs", "/api/v1/gh/jobs/{job_id}", dsn)
    dsn = cluster.database()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with processes([([sys.executable, "-m", "bench.bare_api", str(port), dsn], env)]):
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _up(f"{base}/jobs/{uuid.uuid4()}", 404), 60, "bare API")
        bare = measure(base, {}, "/jobs", "/jobs/{job_id}", dsn)
    size = f"{seconds:g} s each (wrk)" if wrk else f"{n:,} requests (httpx client)"
    baseline = "bare Starlette+Hypercorn"
    rows = []
    for verb, label in (("post", "POST /jobs"), ("get", "GET /jobs/{id}")):
        (rate, p50, p99), (brate, bp50, bp99) = ours[verb], bare[verb]
        what = f"{label}, {clients} clients, {size}"
        rows += [
            Row("api", f"{what}: throughput", rate, baseline, brate, "req/s", True, "≥ 0.60×"),
            Row("api", f"{what}: p50", p50, baseline, bp50, "ms", False, ""),
            Row("api", f"{what}: p99", p99, baseline, bp99, "ms", False, "≤ 1.5×"),
        ]
    return rows


def _up(url: str, status: int = 200) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == status
    except httpx.HTTPError:
        return False


# -- browser ------------------------------------------------------------------------------

FORM = (
    "<html><body><form><label>Name <input name=name></label>"
    "<label>Email <input name=email type=email></label><button>Apply</button></form></body></html>"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            out.append(child)
            todo.append(child)
    return out


def chromium_pss_mb() -> float:
    total = 0
    for pid in _descendants(os.getpid()):
        try:
            if "chrom" not in Path(f"/proc/{pid}/comm").read_text():
                continue
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def bench_browser(jobs: int, concurrent: int) -> list[Row]:
    from playwright.async_api import async_playwright

    async def one_job(browser: Any) -> None:
        context = await browser.new_context()
        page = await context.new_page()
        await page.set_content(FORM)
        await page.fill("input[name=name]", "Ada Lovelace")
        await page.fill("input[name=email]", "ada@example.com")
        await context.close()

    async def run() -> dict[str, float]:
        async with async_playwright() as p:

            async def launch() -> Any:
                return await p.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )

            browser = await launch()
            await one_job(browser)  # warm
            started = time.perf_counter()
            for _ in range(jobs):
                await one_job(browser)
            warm = (time.perf_counter() - started) * 1000 / jobs
            base_pss = chromium_pss_mb()
            contexts = []
            for _ in range(concurrent):
                context = await browser.new_context()
                page = await context.new_page()
                await page.set_content(FORM)
                contexts.append(context)
            await asyncio.sleep(1)
            per_context = (chromium_pss_mb() - base_pss) / concurrent
            for c in contexts:
                await c.close()
            await browser.close()
            started = time.perf_counter()
            for _ in range(jobs):
                cold = await launch()
                await one_job(cold)
                await cold.close()
            cold_ms = (time.perf_counter() - started) * 1000 / jobs
            solo = await launch()
            context = await solo.new_context()
            page = await context.new_page()
            await page.set_content(FORM)
            await asyncio.sleep(1)
            per_browser = chromium_pss_mb()
            await solo.close()
            return {
                "warm": warm,
                "cold": cold_ms,
                "ctx_pss": per_context,
                "browser_pss": per_browser,
            }

    r = asyncio.run(run())
    return [
        Row(
            "browser",
            f"per-job overhead, {jobs} jobs (context + page + fill)",
            r["warm"],
            "browser launch per job",
            r["cold"],
            "ms",
            False,
            "",
        ),
        Row(
            "browser",
            f"PSS per concurrent job ({concurrent} contexts on one browser)",
            r["ctx_pss"],
            "a browser per job (PSS of one browser)",
            r["browser_pss"],
            "MB",
            False,
            "",
        ),
    ]


# -- main -----------------------------------------------------------------------------------

BENCHES = ("queue", "claim", "pickup", "api", "browser", "apply")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N: a few minutes in all")
    parser.add_argument("--only", action="append", choices=BENCHES, help="run only these")
    parser.add_argument("--jobs", type=int, help="queue drain size (default 20000; quick 2000)")
    parser.add_argument("--pickup", type=int, help="paced pickup jobs (default 500; quick 100)")
    parser.add_argument(
        "--requests", type=int, help="API requests per phase (default 5000; quick 1000)"
    )
    parser.add_argument(
        "--repeat", type=int, help="drains per queue contender; median shown (default 3; quick 1)"
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=8, help="jobs per worker (default 8)")
    args = parser.parse_args(argv)
    quick = args.quick
    jobs = args.jobs or (2000 if quick else 20000)
    pickup = args.pickup or (100 if quick else 500)
    requests = args.requests or (1000 if quick else 5000)
    repeat = args.repeat or (1 if quick else 3)
    only = args.only or list(BENCHES)

    rows: list[Row] = []
    cluster = Cluster() if set(only) & {"queue", "claim", "pickup", "api", "apply"} else None
    try:
        with tempfile.TemporaryDirectory(prefix="gh-bench-") as tmp:
            plugin = write_plugin(Path(tmp))
            if "queue" in only and cluster:
                rows += bench_queue(cluster, plugin, jobs, args.workers, args.concurrency, repeat)
            if "claim" in only and cluster:
                rows += bench_claim(cluster, 3000, 100 if quick else 500)
            if "pickup" in only and cluster:
                rows += bench_pickup(cluster, plugin, pickup, 0.02)
            if "api" in only and cluster:
                rows += bench_api(cluster, plugin, requests, 32, 5 if quick else 15)
            if "browser" in only:
                rows += bench_browser(5 if quick else 20, 4 if quick else 8)
            if "apply" in only and cluster:
                dsn = cluster.database()
                rows += bench_applications(dsn, gh_env(dsn, plugin), 2 if quick else 5)
    finally:
        if cluster is not None:
            cluster.stop()
    print(f"# GhostHands benchmarks ({'quick' if quick else 'full'})")
    print(
        f"machine: {platform.node()}, {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}; "
        f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print()
    print(render(rows))
    print()
    print(
        "Ratio = GhostHands / baseline. For throughput higher is better; for latency, "
        "time and memory lower is better."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
