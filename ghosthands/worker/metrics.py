"""This worker's own Prometheus metrics (``GET /metrics`` on its status server)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class WorkerMetrics:
    """Counters of one worker process, in a registry of their own (no globals)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.jobs_claimed = Counter("gh_worker_jobs_claimed", "Jobs claimed.", registry=r)
        self.jobs_completed = Counter(
            "gh_worker_jobs_completed", "Jobs finished successfully.", registry=r
        )
        self.jobs_failed = Counter(
            "gh_worker_jobs_failed", "Jobs failed for good, by error code.", ["code"], registry=r
        )
        self.jobs_retried = Counter(
            "gh_worker_jobs_retried", "Failed runs sent back to pending for a retry.", registry=r
        )
        self.jobs_released = Counter(
            "gh_worker_jobs_released", "Jobs given back unfinished (drain).", registry=r
        )
        self.jobs_recovered = Counter(
            "gh_worker_jobs_recovered", "Stale jobs of lost workers recovered.", registry=r
        )
        self.active_jobs = Gauge("gh_worker_active_jobs", "Jobs running now.", registry=r)
        self.callback_deliveries = Counter(
            "gh_worker_callback_deliveries", "Callbacks acknowledged by receivers.", registry=r
        )
        self.callback_failures = Counter(
            "gh_worker_callback_failures", "Callback attempts that failed.", registry=r
        )
        self.job_duration = Histogram(
            "gh_worker_job_duration_seconds",
            "Run time of one attempt.",
            buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800),
            registry=r,
        )
        self.heartbeat_age = Gauge(
            "gh_worker_heartbeat_age_seconds",
            "Seconds since this worker's last successful heartbeat.",
            registry=r,
        )
        self._last_heartbeat = time.monotonic()
        self.heartbeat_age.set_function(lambda: time.monotonic() - self._last_heartbeat)

    def heartbeat_ok(self) -> None:
        self._last_heartbeat = time.monotonic()

    def heartbeat_age_seconds(self) -> float:
        return time.monotonic() - self._last_heartbeat

    def callback_result(self, ok: bool) -> None:
        (self.callback_deliveries if ok else self.callback_failures).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
