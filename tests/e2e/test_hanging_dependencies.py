"""Dependencies that hang: a callback receiver and an LLM endpoint that accept the
connection and never answer. Jobs still end within their timeouts, with the right code,
and nothing piles up behind them."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from tests.support import GhProcess, sample, scrape, wait_until
from tests.worker.conftest import status_port
from tests.worker.helpers import Site, execute, insert_job, insert_jobs, job, status_counts


class HangingServer:
    """Accepts connections, reads what is sent, never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)  # held open, never answered

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self.connections:
            conn.close()
        self.sock.close()


@pytest.fixture
def hanging() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.close()


def test_a_hanging_callback_receiver_holds_up_no_job(
    start_worker: Callable[..., GhProcess], database_url: str, site: Site, hanging: HangingServer
) -> None:
    worker = start_worker(GH_CALLBACK_TIMEOUT_SECONDS="1", MAX_CONCURRENT_JOBS="4")
    metrics_url = f"http://127.0.0.1:{status_port(worker)}/metrics"
    insert_jobs(
        database_url,
        [
            {"target_url": f"{site.url}/cb/{i}", "callback_url": hanging.url + "/cb"}
            for i in range(10)
        ]
        + [{"target_url": f"{site.url}/plain/{i}"} for i in range(10)],
    )
    wait_until(lambda: status_counts(database_url) == {"completed": 20}, 20, "all jobs done")
    # Deliveries time out after 1 s and are retried later; they never block the worker.
    wait_until(
        lambda: sample(scrape(metrics_url), "gh_callback_failures_total") >= 10,
        20,
        "callback attempts timed out and counted",
    )
    later = insert_job(database_url, target_url=f"{site.url}/later")
    wait_until(lambda: job(database_url, later)["status"] == "completed", 10, "still claiming")
    outbox = execute(
        database_url, "SELECT attempts, delivered_at, given_up_at FROM gh_callback_outbox"
    )
    assert len(outbox) == 10
    assert all(r["delivered_at"] is None and r["attempts"] >= 1 for r in outbox)
    m = scrape(metrics_url)
    assert sample(m, "gh_callback_deliveries_total") == 0
    assert sample(m, "gh_active_jobs") == 0


def test_a_hanging_llm_endpoint_fails_the_job_in_time(
    start_worker: Callable[..., GhProcess], database_url: str, site: Site, hanging: HangingServer
) -> None:
    start_worker(
        OPENAI_API_KEY="sk-test-hanging",
        OPENAI_BASE_URL=hanging.url + "/v1",
        GH_LLM_TIMEOUT_SECONDS="1",
    )
    job_id = insert_job(
        database_url,
        job_type="custom",
        target_url=f"{site.url}/page/form",
        task_description="Find the page title",
        input_data={"model": "gpt-4o-mini", "use_manual": False},
        timeout_seconds=60,
        max_retries=0,
    )
    wait_until(lambda: job(database_url, job_id)["status"] == "failed", 45, "job failed")
    row = job(database_url, job_id)
    # The provider client's choice: a read timeout is an unreachable provider, which is
    # retryable (max_retries=0 here, so the job fails at once).
    assert row["error_code"] == "network_error", row["status_message"]
    assert "openai" in row["status_message"] and "Timeout" in row["status_message"]
    elapsed = (row["completed_at"] - row["started_at"]).total_seconds()
    assert elapsed < 30, elapsed
    assert len(hanging.connections) >= 1  # the endpoint was called and hung


def test_a_read_only_artifact_store_fails_the_job_not_the_worker(
    start_worker: Callable[..., GhProcess], database_url: str
) -> None:
    """Artifacts live in the database: a store that refuses writes is a role that may
    not insert into gh_artifacts. The job fails (once, with a code), the worker carries
    on with the next one."""
    import signal
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    role = f"gh_noart_{uuid.uuid4().hex[:8]}"
    execute(database_url, f"CREATE ROLE {role} LOGIN")
    execute(database_url, f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
    execute(database_url, f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}")
    execute(database_url, f"REVOKE INSERT ON gh_artifacts FROM {role}")
    parts = urlsplit(database_url)
    dsn = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))
    try:
        worker = start_worker(dsn=dsn)
        failing = insert_job(
            database_url, job_type="test_usage", input_data={"calls": 0}, max_retries=0
        )
        wait_until(lambda: job(database_url, failing)["status"] == "failed", 20, "job failed")
        row = job(database_url, failing)
        assert row["error_code"] == "internal_error", row
        assert (row["completed_at"] - row["started_at"]).total_seconds() < 10
        after = insert_job(database_url, job_type="test_slow", input_data={"seconds": 0})
        wait_until(lambda: job(database_url, after)["status"] == "completed", 10, "next job")
        assert status_counts(database_url) == {"failed": 1, "completed": 1}
        worker.send(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
    finally:
        execute(database_url, f"DROP OWNED BY {role}")
        execute(database_url, f"DROP ROLE {role}")
