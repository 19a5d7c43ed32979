"""``deploy/prometheus/alerts.yml``: valid, exercised by its promtool tests, and written
against exactly the metric names the API and workers expose."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ghosthands.api.metrics import ApiMetrics, FleetSnapshot, WorkerBeat
from ghosthands.worker.metrics import WorkerMetrics

RULES_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(
            "promtool is not installed: run bin/setup (it installs Debian's prometheus "
            "package, which ships promtool)"
        )
    return found


def run_promtool(*args: str, cwd: Path = RULES_DIR) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_rules_are_valid() -> None:
    result = run_promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rules_fire_past_each_threshold_and_not_before() -> None:
    result = run_promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    ("original", "loosened"),
    [
        (
            'max(gh_queue_depth{status="pending"}) > 20',
            'max(gh_queue_depth{status="pending"}) > 30',
        ),
        ("gh:jobs_finished:increase1h) < 0.7", "gh:jobs_finished:increase1h) < 0.4"),
        ("> 300\n", "> 900\n"),
        (
            "(gh_worker_heartbeat_staleness_seconds) > 120",
            "(gh_worker_heartbeat_staleness_seconds) > 600",
        ),
        ("[5m]))\n          ) > 2", "[5m]))\n          ) > 10"),
        ("gh:jobs_finished:increase1h) > 50", "gh:jobs_finished:increase1h) > 500"),
        ("gh:jobs_finished:increase1h) > 0.3", "gh:jobs_finished:increase1h) > 0.5"),
    ],
)
def test_the_promtool_suite_notices_a_changed_threshold(
    tmp_path: Path, original: str, loosened: str
) -> None:
    rules = (RULES_DIR / "alerts.yml").read_text()
    assert rules.count(original) == 1, original
    (tmp_path / "alerts.yml").write_text(rules.replace(original, loosened))
    shutil.copy(RULES_DIR / "alerts_test.yml", tmp_path / "alerts_test.yml")
    result = run_promtool("test", "rules", "alerts_test.yml", cwd=tmp_path)
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def exposed_names() -> set[str]:
    """Every sample name the API and a worker render (with a fleet snapshot and one
    observation of each labelled metric, so labelled families show their samples)."""
    api = ApiMetrics()
    api.observe_request("GET", "/health", 200, 0.01)
    api.job_created("http_check")
    api.set_fleet(
        FleetSnapshot(
            taken_at=dt.datetime.now(dt.UTC),
            jobs_by_status={"pending": 1},
            oldest_due_pending_seconds=1.0,
            workers=[WorkerBeat("w", "active", "h", 0, 1, 1.0)],
            cost_cents_today=1.0,
            completed_today=1,
            failed_today=1,
            failures_24h_by_code={"timeout": 1},
        )
    )
    worker = WorkerMetrics(job_types=["http_check"])
    worker.claimed("http_check", 0.01)
    worker.completed("http_check")
    worker.failed("http_check", "timeout")
    worker.retried("http_check", "timeout")
    worker.finished_attempt("http_check", 1.0)
    worker.llm_call("m", 1, 1, 0.1)
    names: set[str] = set()
    for text in (api.render(), worker.render()):
        for family in text_string_to_metric_families(text.decode()):
            names.update(s.name for s in family.samples)
    return names


def test_alerts_use_only_exposed_metric_names() -> None:
    rules = (RULES_DIR / "alerts.yml").read_text()
    expressions = "\n".join(re.findall(r"expr: (.*(?:\n {10,}.*)*)", rules))
    used = set(re.findall(r"\bgh_[a-z0-9_]+", expressions))
    assert used >= {
        "gh_queue_depth",
        "gh_jobs_completed_total",
        "gh_jobs_failed_total",
        "gh_job_duration_seconds_bucket",
        "gh_worker_heartbeat_staleness_seconds",
        "gh_api_request_duration_seconds_bucket",
        "gh_llm_cost_cents_total",
    }
    assert used <= exposed_names(), used - exposed_names()


def test_the_metrics_contract_lists_every_exposed_metric() -> None:
    doc = (RULES_DIR.parents[1] / "docs" / "metrics.md").read_text()
    documented = set(re.findall(r"^\| `(gh_[a-z0-9_]+)`", doc, re.M))
    # prometheus-client adds a `<name>_created` timestamp beside counters and histograms.
    names = {n for n in exposed_names() if not n.endswith("_created")}
    bases = {re.sub(r"_(bucket|sum|count)$", "", n) for n in names}
    assert bases == documented
