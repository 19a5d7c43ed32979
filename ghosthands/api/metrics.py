"""The API's Prometheus metrics, in a registry owned by one app (no process globals).

Two kinds (the whole contract is ``docs/metrics.md``):

- this API process's own: ``gh_api_request_duration_seconds{method, route, status}`` (a
  histogram labelled by the route *template*, ``/api/v1/gh/jobs/{job_id}``, never the raw
  path, so job ids do not explode the label set) and ``gh_jobs_created_total{job_type}``;
- fleet-wide figures read from the database at scrape time (:class:`FleetSnapshot`):
  queue depth by status, every live worker's heartbeat staleness, cost today, recent
  failures by code. They are exposed by a custom collector so a worker that went offline
  drops out of the output instead of leaving a frozen series behind.

The same snapshot feeds the operator page (``/monitoring/dashboard``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import msgspec
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ghosthands.db.pool import Database
from ghosthands.db.queries import load_queries
from ghosthands.jobs.states import TERMINAL, JobStatus

Q = load_queries("ghosthands.api.sql", "monitoring.sql")

#: Buckets reach past the seed's p99 alert threshold (2 s).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)

#: Statuses counted as queue depth: everything not terminal.
QUEUE_STATUSES = tuple(s for s in JobStatus if s not in TERMINAL)


class WorkerBeat(msgspec.Struct, frozen=True):
    worker_id: str
    status: str
    host: str | None
    current_jobs: int
    max_jobs: int
    heartbeat_age_seconds: float


class FleetSnapshot(msgspec.Struct, frozen=True):
    """What the database says about the whole fleet, at one moment."""

    taken_at: dt.datetime
    jobs_by_status: dict[str, int]
    oldest_due_pending_seconds: float
    workers: list[WorkerBeat]
    cost_cents_today: float
    completed_today: int
    failed_today: int
    failures_24h_by_code: dict[str, int]

    @property
    def queue_depth(self) -> dict[str, int]:
        return {s.value: self.jobs_by_status.get(s.value, 0) for s in QUEUE_STATUSES}


async def read_fleet(db: Database) -> FleetSnapshot:
    """One consistent read (a REPEATABLE READ snapshot) of the fleet's figures."""
    async with db.connection() as conn, conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        counts = await (await conn.execute(Q.job_status_counts)).fetchall()
        beats = await (await conn.execute(Q.worker_heartbeats)).fetchall()
        today = await (await conn.execute(Q.today_totals)).fetchone()
        failures = await (await conn.execute(Q.recent_failures_by_code)).fetchall()
    assert today is not None
    return FleetSnapshot(
        taken_at=dt.datetime.now(dt.UTC),
        jobs_by_status={str(r["status"]): int(r["jobs"]) for r in counts},
        oldest_due_pending_seconds=max(
            (float(r["oldest_due_seconds"]) for r in counts), default=0.0
        ),
        workers=[
            WorkerBeat(
                worker_id=r["worker_id"],
                status=r["status"],
                host=r["host"],
                current_jobs=int(r["current_jobs"] or 0),
                max_jobs=int(r["max_jobs"] or 0),
                heartbeat_age_seconds=round(max(0.0, float(r["heartbeat_age_seconds"])), 3),
            )
            for r in beats
        ],
        cost_cents_today=round(float(today["cost_cents"]), 4),
        completed_today=int(today["completed"]),
        failed_today=int(today["failed"]),
        failures_24h_by_code={str(r["error_code"]): int(r["jobs"]) for r in failures},
    )


class _FleetCollector(Collector):
    """Yields the last snapshot's gauges (nothing for a scrape whose read failed)."""

    def __init__(self) -> None:
        self.snapshot: FleetSnapshot | None = None

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "gh_api_database_up", "1 when this scrape could read the fleet from the database."
        )
        up.add_metric([], 0 if self.snapshot is None else 1)
        yield up
        snap = self.snapshot
        if snap is None:
            return
        by_status = GaugeMetricFamily(
            "gh_jobs_by_status", "Jobs per status, every status (database).", labels=["status"]
        )
        for status in JobStatus:
            by_status.add_metric([status.value], snap.jobs_by_status.get(status.value, 0))
        yield by_status
        depth = GaugeMetricFamily(
            "gh_queue_depth", "Jobs not yet terminal, per status (database).", labels=["status"]
        )
        for name, n in snap.queue_depth.items():
            depth.add_metric([name], n)
        yield depth
        oldest = GaugeMetricFamily(
            "gh_queue_oldest_due_seconds", "Age of the oldest due pending job (0 when none)."
        )
        oldest.add_metric([], snap.oldest_due_pending_seconds)
        yield oldest
        stale = GaugeMetricFamily(
            "gh_worker_heartbeat_staleness_seconds",
            "Seconds since each registered (not offline) worker's last heartbeat (database).",
            labels=["worker_id"],
        )
        workers = GaugeMetricFamily(
            "gh_workers", "Registered workers per registry status (database).", labels=["status"]
        )
        per_status: dict[str, int] = {}
        for w in snap.workers:
            stale.add_metric([w.worker_id], w.heartbeat_age_seconds)
            per_status[w.status] = per_status.get(w.status, 0) + 1
        for name, n in sorted(per_status.items()):
            workers.add_metric([name], n)
        yield stale
        yield workers
        cost = GaugeMetricFamily(
            "gh_llm_cost_cents_today", "Model spend of jobs created today, UTC (database)."
        )
        cost.add_metric([], snap.cost_cents_today)
        yield cost
        failures = GaugeMetricFamily(
            "gh_job_failures_24h",
            "Jobs failed for good in the last 24 hours, per error code (database).",
            labels=["error_code"],
        )
        for code, n in snap.failures_24h_by_code.items():
            failures.add_metric([code], n)
        yield failures


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_duration = Histogram(
            "gh_api_request_duration_seconds",
            "API request duration by route template and status code.",
            ["method", "route", "status"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.jobs_created = Counter(
            "gh_jobs_created",
            "Jobs created through this API process, by job type.",
            ["job_type"],
            registry=self.registry,
        )
        self._fleet = _FleetCollector()
        self.registry.register(self._fleet)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.request_duration.labels(method, route, str(status)).observe(seconds)

    def job_created(self, job_type: str, n: int = 1) -> None:
        self.jobs_created.labels(job_type).inc(n)

    def set_fleet(self, snapshot: FleetSnapshot | None) -> None:
        """The snapshot the next render shows (None: the database could not be read)."""
        self._fleet.snapshot = snapshot

    def render(self) -> bytes:
        return generate_latest(self.registry)
