"""This worker's own Prometheus metrics (``GET /metrics`` on its status server).

One registry per worker (no process globals). The contract — names, types, labels and
where each is exposed — is ``docs/metrics.md``; the fleet-wide figures (queue depth,
every worker's heartbeat staleness, cost today) come from the API's
``/monitoring/metrics`` instead, computed from the database.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: Job run time: from seconds (http_check) to the half hour of a long application;
#: 300 s (the seed's p95 alert threshold) is a bucket boundary.
JOB_DURATION_BUCKETS = (0.05, 0.25, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800)
#: created (or due) -> claimed: milliseconds when a worker is idle, minutes in a backlog.
PICKUP_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5, 30, 120, 600)


class WorkerMetrics:
    """Counters, gauges and histograms of one worker process."""

    def __init__(self, job_types: Iterable[str] = ()) -> None:
        #: Label values stay bounded: a job type no handler knows is counted as "unknown".
        self._job_types = frozenset(job_types)
        self.registry = CollectorRegistry()
        r = self.registry
        self.jobs_claimed = Counter(
            "gh_jobs_claimed", "Jobs claimed by this worker.", ["job_type"], registry=r
        )
        self.jobs_completed = Counter(
            "gh_jobs_completed",
            "Jobs this worker finished successfully (completed or awaiting_review).",
            ["job_type"],
            registry=r,
        )
        self.jobs_failed = Counter(
            "gh_jobs_failed",
            "Jobs that failed for good on this worker, by error code.",
            ["job_type", "error_code"],
            registry=r,
        )
        self.jobs_retried = Counter(
            "gh_jobs_retried",
            "Failed attempts sent back to pending for a retry, by error code.",
            ["job_type", "error_code"],
            registry=r,
        )
        self.job_errors = Counter(
            "gh_job_errors",
            "Every failed attempt (final, retried or sent to review), by error code.",
            ["error_code"],
            registry=r,
        )
        self.jobs_released = Counter(
            "gh_jobs_released", "Jobs given back unfinished (drain).", registry=r
        )
        self.jobs_recovered = Counter(
            "gh_jobs_recovered", "Stale jobs of lost workers recovered by this one.", registry=r
        )
        self.active_jobs = Gauge("gh_active_jobs", "Jobs this worker runs now.", registry=r)
        self.job_duration = Histogram(
            "gh_job_duration_seconds",
            "Run time of one attempt, claim to final write.",
            ["job_type"],
            buckets=JOB_DURATION_BUCKETS,
            registry=r,
        )
        self.pickup_latency = Histogram(
            "gh_job_pickup_latency_seconds",
            "From a job being due (created, or its scheduled time) to its claim (database clock).",
            ["job_type"],
            buckets=PICKUP_BUCKETS,
            registry=r,
        )
        self.callback_deliveries = Counter(
            "gh_callback_deliveries", "Callbacks acknowledged by receivers.", registry=r
        )
        self.callback_failures = Counter(
            "gh_callback_failures", "Callback delivery attempts that failed.", registry=r
        )
        self.llm_calls = Counter("gh_llm_calls", "Model calls made.", ["model"], registry=r)
        self.llm_tokens = Counter(
            "gh_llm_tokens", "Model tokens used, input or output.", ["model", "kind"], registry=r
        )
        self.llm_cost = Counter(
            "gh_llm_cost_cents", "Model spend in US cents.", ["model"], registry=r
        )
        self.heartbeat_age = Gauge(
            "gh_worker_heartbeat_age_seconds",
            "Seconds since this worker's last successful heartbeat.",
            registry=r,
        )
        self._last_heartbeat = time.monotonic()
        self.heartbeat_age.set_function(lambda: time.monotonic() - self._last_heartbeat)

    # -- recording (one method per event, so callers never pick label values twice) ----

    def claimed(self, job_type: str, waited_seconds: float) -> None:
        self.jobs_claimed.labels(self._label(job_type)).inc()
        self.pickup_latency.labels(self._label(job_type)).observe(max(0.0, waited_seconds))

    def _label(self, job_type: str) -> str:
        return job_type if job_type in self._job_types else "unknown"

    def completed(self, job_type: str) -> None:
        self.jobs_completed.labels(self._label(job_type)).inc()

    def failed(self, job_type: str, error_code: str) -> None:
        self.jobs_failed.labels(self._label(job_type), error_code).inc()
        self.job_errors.labels(error_code).inc()

    def retried(self, job_type: str, error_code: str) -> None:
        self.jobs_retried.labels(self._label(job_type), error_code).inc()
        self.job_errors.labels(error_code).inc()

    def sent_to_review(self, error_code: str) -> None:
        self.job_errors.labels(error_code).inc()

    def finished_attempt(self, job_type: str, seconds: float) -> None:
        self.job_duration.labels(self._label(job_type)).observe(seconds)

    def llm_call(
        self, model: str, input_tokens: int, output_tokens: int, cost_cents: float
    ) -> None:
        self.llm_calls.labels(model).inc()
        self.llm_tokens.labels(model, "input").inc(input_tokens)
        self.llm_tokens.labels(model, "output").inc(output_tokens)
        self.llm_cost.labels(model).inc(cost_cents)

    def heartbeat_ok(self) -> None:
        self._last_heartbeat = time.monotonic()

    def heartbeat_age_seconds(self) -> float:
        return time.monotonic() - self._last_heartbeat

    def callback_result(self, ok: bool) -> None:
        (self.callback_deliveries if ok else self.callback_failures).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
