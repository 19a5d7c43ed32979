"""``ghosthands deploy`` end to end with the ``local`` runtime: real wheels, real venvs,
real ``serve``/``work`` processes, a real PostgreSQL.

v1 is released, v2 replaces it while a job runs and a request is in flight (both
complete, the job exactly once; /health is down no longer than the restart), a broken
v3 is rolled back to v2, and two deploys at once are refused with the lock holder named.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx

from tests.deploy.hosts import HealthWatch, Host
from tests.support import wait_until
from tests.worker.helpers import LocalServer, execute, insert_job, job, status_of


def _restart_seconds(host: Host, tag: str) -> float:
    """The switch step plus the wait for the new release's first healthy answer."""
    switch = waited = None
    for record in host.audit():
        if record.get("tag") != tag:
            continue
        if record["event"] == "step_finished" and record["step"] == "switch":
            switch = int(record["duration_ms"])
        if record["event"] == "health_first_ok":
            waited = int(record["waited_ms"])
    assert switch is not None and waited is not None, host.audit()
    return (switch + waited) / 1000


def test_release_upgrade_and_automatic_rollback(make_host: Callable[..., Host]) -> None:
    host = make_host()

    first = host.deploy("release", "1.0.0")
    assert first.code == 0, first
    assert first.fields["DEPLOY_STATUS"] == "success"
    assert first.fields["DEPLOY_TAG"] == "1.0.0"
    assert first.fields["DEPLOY_IMAGE"] == "ghosthands==1.0.0"
    assert first.fields["DEPLOY_PREVIOUS_TAG"] == ""
    assert (host.health() or {}).get("version") == "1.0.0"
    assert (host.root / "current").resolve() == (host.root / "releases" / "1.0.0")

    # v2 while a job runs, a request is in flight and /health is watched throughout.
    def slow_page(req: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, str], bytes]:
        time.sleep(4)  # the page itself is slow: the job is still running when v2 comes
        return 200, {"content-type": "text/html"}, b"<title>Slow careers page</title>"

    site = LocalServer(slow_page)
    job_id = insert_job(host.database_url, target_url=f"{site.url}/careers")
    wait_until(lambda: status_of(host.database_url, job_id) == "running", 30, "job running")
    watch = HealthWatch(f"{host.base_url}/health")
    deploy = host.start("release", "2.0.0")
    wait_until(
        lambda: any(r.get("step") == "drain" for r in host.audit()[-3:]),
        60,
        "the v2 deploy to reach its drain step",
    )
    slow = httpx.get  # keep a reference for the thread below
    in_flight: dict[str, object] = {}

    def hold_request() -> None:
        try:
            in_flight["response"] = slow(f"{host.base_url}/__test__/slow?seconds=3", timeout=20)
        except httpx.HTTPError as exc:
            in_flight["error"] = exc

    request = threading.Thread(target=hold_request)
    request.start()
    stdout, stderr = deploy.communicate(timeout=180)
    request.join(20)
    watch.stop()
    assert deploy.returncode == 0, f"{stdout}\n{stderr}"
    assert "DEPLOY_STATUS=success" in stdout.splitlines()
    assert "DEPLOY_PREVIOUS_TAG=1.0.0" in stdout.splitlines()
    response = in_flight.get("response")
    assert isinstance(response, httpx.Response) and response.status_code == 200, in_flight
    assert (host.health() or {}).get("version") == "2.0.0"
    # The job finished on v1's worker during the drain: once, never released or re-run.
    finished = job(host.database_url, job_id)
    site.close()
    assert finished["status"] == "completed", finished
    assert finished["result_data"]["title"] == "Slow careers page"
    claims = execute(
        host.database_url,
        "SELECT count(*) AS n FROM gh_job_events WHERE job_id = %s AND to_status = 'queued'",
        (job_id,),
    )
    assert claims == [{"n": 1}]
    restart_seconds = _restart_seconds(host, "2.0.0")
    assert watch.longest_outage() <= restart_seconds + 0.5, (
        watch.longest_outage(),
        restart_seconds,
    )

    # A broken v3: its API exits at start, the gate fails, v2 comes back.
    third = host.deploy("release", "3.0.0")
    assert third.code == 2, third
    assert third.fields["DEPLOY_STATUS"] == "rolled_back"
    assert third.fields["DEPLOY_TAG"] == "3.0.0"
    assert third.fields["DEPLOY_PREVIOUS_TAG"] == "2.0.0"
    assert (host.health() or {}).get("version") == "2.0.0"
    events = [(r["event"], r.get("step")) for r in host.audit()]
    assert ("step_failed", "health_gate") in events
    assert ("step_finished", "rollback_health_gate") in events

    status = host.deploy("status")
    assert status.code == 0, status
    assert status.fields["DEPLOY_TAG"] == "2.0.0"
    assert status.fields["DEPLOY_PREVIOUS_TAG"] == "1.0.0"
    assert status.fields["DEPLOY_HEALTH"] == "healthy"
    assert host.deploy("health").code == 0

    # Manual rollback to v1, then the worker drained for maintenance and resumed.
    back = host.deploy("rollback")
    assert back.code == 0, back
    assert back.fields["DEPLOY_TAG"] == "1.0.0"
    assert (host.health() or {}).get("version") == "1.0.0"
    drained = host.deploy("drain")
    assert drained.code == 0, drained
    assert [r.role for r in host.runtime().roles() if r.running] == ["api"]
    unhealthy = host.deploy("health")
    assert unhealthy.code == 1 and "worker" in unhealthy.stdout, unhealthy
    assert host.deploy("resume").code == 0
    assert host.deploy("health").code == 0


def test_two_deploys_at_once_one_is_refused_naming_the_holder(
    make_host: Callable[..., Host],
) -> None:
    host = make_host()
    first = host.start("release", "1.0.0")
    lock = host.root / "deploy.lock"
    wait_until(lock.exists, 60, "the first deploy to take the host lock")

    second = host.deploy("release", "2.0.0")
    stdout, stderr = first.communicate(timeout=180)

    assert second.code == 75, second
    assert second.fields["DEPLOY_STATUS"] == "failed"
    assert f"pid {first.pid}" in second.stderr
    assert f"pid {first.pid}" in second.fields["DEPLOY_LOCKED_BY"]
    assert "ghosthands deploy release 1.0.0" in second.stderr
    assert first.returncode == 0, f"{stdout}\n{stderr}"
    assert not lock.exists()
    refused = [r for r in host.audit() if r["event"] == "refused"]
    assert len(refused) == 1 and refused[0]["tag"] == "2.0.0"


def test_a_release_applies_its_migration_before_restarting_and_a_failed_one_touches_nothing(
    make_host: Callable[..., Host], migrating_wheelhouse: Path
) -> None:
    host = make_host(wheels=migrating_wheelhouse)
    assert host.deploy("release", "1.0.0").code == 0

    def has_table(name: str) -> bool:
        rows = execute(host.database_url, "SELECT to_regclass(%s) AS t", (name,))
        return rows[0]["t"] is not None

    assert not has_table("gh_release_test")
    second = host.deploy("release", "4.0.0")
    assert second.code == 0, second
    assert has_table("gh_release_test")
    audit = [(r["event"], r.get("step"), r.get("tag")) for r in host.audit()]
    migrated = audit.index(("step_finished", "migrate", "4.0.0"))
    # Applied before anything stopped: migrate finished, then the drain and the switch.
    assert ("step_started", "drain", None) in audit[migrated:]
    assert audit.index(("step_started", "switch", "4.0.0")) > migrated
    assert (host.health() or {}).get("version") == "4.0.0"
    api_pid = host.runtime().roles()[0].pid

    third = host.deploy("release", "5.0.0")
    assert third.code != 0, third
    assert third.fields["DEPLOY_STATUS"] == "failed"
    assert "migrate" in third.fields["DEPLOY_MESSAGE"], third.fields
    assert not has_table("gh_broken")
    # Nothing was touched: the same API process still serves 4.0.0.
    assert (host.health() or {}).get("version") == "4.0.0"
    assert host.runtime().roles()[0].pid == api_pid
    audit = [(r["event"], r.get("step"), r.get("tag")) for r in host.audit()]
    failed = audit.index(("step_failed", "migrate", "5.0.0"))
    assert not any(step in ("drain", "switch") for _, step, _ in audit[failed:])
