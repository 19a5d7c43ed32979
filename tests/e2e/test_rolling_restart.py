"""A rolling restart of two ``ghosthands serve`` processes under a steady client load:
no request fails except by being refused while its server is down, and each server
exits within 5 s of SIGTERM.

One thing a client must do (and VALET's should): when a server drains it closes its
idle keep-alive connections, and a request sent on one at that instant gets "server
disconnected without sending a response" — the request was never answered. HTTP/1.1
clients retry that once on a fresh connection (RFC 9112 §9.3.1); for POST /jobs the
idempotency key makes the retry safe, which this test checks: no job is created twice.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable

import httpx

from tests.support import GhProcess, free_port, wait_until
from tests.worker.helpers import execute

SERVICE_KEY = "svc-rolling-restart-key"
CLIENTS = 4


def test_rolling_restart_under_load_fails_no_request(
    gh_process: Callable[..., GhProcess], database_url: str
) -> None:
    ports = [free_port(), free_port()]

    def start(port: int) -> GhProcess:
        proc = gh_process(
            "serve",
            DATABASE_URL=database_url,
            GH_API_PORT=str(port),
            GH_SERVICE_SECRET=SERVICE_KEY,
            GH_API_DRAIN_SECONDS="4",
        )
        proc.wait_event("role_ready")
        return proc

    servers = {port: start(port) for port in ports}
    stop = threading.Event()
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()

    keys: set[str] = set()
    retried: list[str] = []

    def send(http: httpx.Client, method: str, url: str, body: object = None) -> httpx.Response:
        try:
            return http.request(method, url, json=body)
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            # An idle keep-alive connection closed by the drain just as the client reused
            # it: the server closes it with a FIN (RemoteProtocolError) or, when the request
            # bytes were already in its buffer, an RST (ReadError). HTTP/1.1 clients retry
            # such a request (RFC 9112 §9.3.1); POSTs here carry an idempotency key.
            with lock:
                retried.append(f"{type(exc).__name__}: {exc}")
            response = http.request(method, url, json=body)
            if method == "POST" and response.status_code == 409:
                # The first attempt had been processed: its answer was lost, which a
                # drain must never do to a request it accepted.
                with lock:
                    failures.append(f"a processed request lost its response: {url}")
            return response

    def client(n: int) -> None:
        user = str(uuid.uuid4())
        with httpx.Client(headers={"X-GH-Service-Key": SERVICE_KEY}, timeout=10) as http:
            i = n
            while not stop.is_set():
                base = f"http://127.0.0.1:{ports[i % 2]}/api/v1/gh"
                i += 1
                body = {
                    "job_type": "http_check",
                    "target_url": "https://example.com/",
                    "user_id": user,
                    "idempotency_key": f"rolling-{uuid.uuid4()}",
                }
                try:
                    created = send(http, "POST", f"{base}/jobs", body)
                    job_id = created.json().get("id") or created.json().get("existing_job_id")
                    ok = created.status_code in (201, 409) and job_id is not None
                    if ok:
                        ok = send(http, "GET", f"{base}/jobs/{job_id}").status_code == 200
                    result = "ok" if ok else f"status {created.status_code}"
                    if ok:
                        with lock:
                            keys.add(body["idempotency_key"])
                except httpx.ConnectError:
                    result = "refused"
                except httpx.HTTPError as exc:
                    result = f"{type(exc).__name__}: {exc}"
                with lock:
                    outcomes["ok" if result == "ok" else result.split(":")[0]] += 1
                    if result not in ("ok", "refused"):
                        failures.append(result)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: outcomes["ok"] >= 20, 20, "steady load")
        exit_seconds = []
        for port in ports:
            before = outcomes["ok"]
            servers[port].send(signal.SIGTERM)
            sent = time.monotonic()
            assert servers[port].wait(10) == 0
            exit_seconds.append(time.monotonic() - sent)
            servers[port] = start(port)
            wait_until(lambda b=before: outcomes["ok"] >= b + 20, 20, "load after restart")
    finally:
        stop.set()
        for t in threads:
            t.join(15)

    assert failures == [], failures[:5]
    assert max(exit_seconds) <= 5, exit_seconds
    assert outcomes["ok"] >= 60
    assert set(outcomes) <= {"ok", "refused"}, outcomes
    # Retries never created a job twice: one job per idempotency key that succeeded.
    rows = execute(
        database_url,
        "SELECT idempotency_key, count(*) AS n FROM gh_automation_jobs GROUP BY 1",
    )
    assert {r["idempotency_key"] for r in rows} >= keys
    assert all(r["n"] == 1 for r in rows)
    assert len(retried) <= 2 * CLIENTS, retried  # a few, at the instants of the drains
