"""The API's Prometheus metrics, in a registry owned by one app (no process globals).

- ``gh_api_request_duration_seconds{method, route, status}``: a histogram labelled by the
  route *template* (``/api/v1/gh/jobs/{job_id}``), never the raw path, so job ids do not
  explode the label set.
- ``gh_jobs{status}``: jobs per status, computed from the database at scrape time.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest

from ghosthands.jobs.states import JobStatus

#: Buckets reach past the seed's p99 alert threshold (2 s).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


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
        self.jobs = Gauge(
            "gh_jobs",
            "Jobs per status (from the database, at scrape time).",
            ["status"],
            registry=self.registry,
        )
        self.database_up = Gauge(
            "gh_api_database_up",
            "1 when the last scrape could read job counts from the database.",
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.request_duration.labels(method, route, str(status)).observe(seconds)

    def set_job_counts(self, counts: dict[str, int] | None) -> None:
        """Every status gets a sample (0 when absent) so series do not vanish."""
        if counts is None:
            self.database_up.set(0)
            return
        self.database_up.set(1)
        for status in JobStatus:
            self.jobs.labels(status.value).set(counts.get(status.value, 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)
