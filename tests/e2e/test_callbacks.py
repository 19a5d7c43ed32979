"""Callbacks from real workers to a local receiver: durable, signed, once per status."""

from __future__ import annotations

import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from ghosthands.signatures import user_secret
from tests.support import GhProcess, wait_until
from tests.worker.helpers import (
    SERVICE_SECRET,
    WEBHOOK_SECRET,
    Receiver,
    Site,
    execute,
    insert_job,
    job,
    status_of,
)


def _outbox(dsn: str) -> list[dict[str, object]]:
    return execute(dsn, "SELECT * FROM gh_callback_outbox ORDER BY created_at")


def test_callbacks_arrive_once_per_status_after_the_receiver_recovers(
    start_worker: Callable[..., GhProcess], database_url: str, receiver: Receiver
) -> None:
    receiver.fail_first = 4  # down for the first attempts
    start_worker()
    completed = insert_job(
        database_url,
        job_type="test_slow",
        input_data={"seconds": 0},
        created_by="valet",
        valet_task_id="valet-task-1",
        callback_url=receiver.url,
    )
    failed = insert_job(
        database_url,
        job_type="test_fail",
        input_data={"code": "captcha_blocked"},
        created_by="api",  # a user created this one
        callback_url=receiver.url,
    )
    cancelled = insert_job(
        database_url,
        job_type="test_slow",
        input_data={"seconds": 60},
        created_by="valet",
        callback_url=receiver.url,
    )
    wait_until(lambda: status_of(database_url, cancelled) == "running", 15, "running")
    execute(
        database_url,
        "UPDATE gh_automation_jobs SET status = 'cancelled' WHERE id = %s",
        [cancelled],
    )
    wait_until(lambda: len(receiver.accepted) >= 3, 20, "three callbacks accepted")
    wait_until(
        lambda: all(r["delivered_at"] is not None for r in _outbox(database_url)), 5, "recorded"
    )
    time.sleep(1.0)  # room for a duplicate to show up, if there were one

    assert len(receiver.attempts) == 4 + 3
    by_job = {uuid.UUID(r["json"]["job_id"]): r for r in receiver.accepted}
    assert len(receiver.accepted) == 3 and set(by_job) == {completed, failed, cancelled}
    assert [by_job[j]["json"]["event"] for j in (completed, failed, cancelled)] == [
        "completed",
        "failed",
        "cancelled",
    ]
    # The id is the outbox row's, the same on every retry: the receiver can deduplicate.
    accepted_ids = Counter(r["headers"]["webhook-id"] for r in receiver.accepted)
    assert set(accepted_ids.values()) == {1}
    assert {r["headers"]["webhook-id"] for r in receiver.attempts} == set(accepted_ids)
    assert accepted_ids.keys() == {str(r["id"]) for r in _outbox(database_url)}

    verifier = Webhook(WEBHOOK_SECRET)
    for record in (by_job[completed], by_job[cancelled]):
        verified = verifier.verify(record["body"], record["headers"])
        assert verified == record["json"]
    # A user's own job is signed with that user's derived key, never VALET's: a user
    # cannot obtain a callback VALET would trust.
    user_record = by_job[failed]
    with pytest.raises(WebhookVerificationError):
        verifier.verify(user_record["body"], user_record["headers"])
    owner = job(database_url, failed)["user_id"]
    own = Webhook(user_secret(WEBHOOK_SECRET, owner))
    assert own.verify(user_record["body"], user_record["headers"]) == user_record["json"]

    # The legacy header goes only with jobs the service created.
    assert by_job[completed]["headers"]["x-gh-service-key"] == SERVICE_SECRET
    assert by_job[cancelled]["headers"]["x-gh-service-key"] == SERVICE_SECRET
    assert "x-gh-service-key" not in by_job[failed]["headers"]

    body = by_job[completed]["json"]
    assert body["valet_task_id"] == "valet-task-1" and body["status"] == "completed"
    assert body["result_data"] == {"slept": 0.0}
    assert body["cost"] == {"total_cost_usd": 0.0, "action_count": 0, "total_tokens": 0}
    assert body["completed_at"] is not None
    fail_body = by_job[failed]["json"]
    assert fail_body["error_code"] == "captcha_blocked"
    assert fail_body["error_message"] == "failing with captcha_blocked"
    assert by_job[cancelled]["json"]["status"] == "cancelled"
    assert max(r["attempts"] for r in _outbox(database_url)) >= 2


def test_undelivered_callbacks_survive_a_worker_restart(
    start_worker: Callable[..., GhProcess], database_url: str, receiver: Receiver
) -> None:
    receiver.fail_first = 10**6
    first = start_worker()
    job_id = insert_job(
        database_url,
        job_type="test_slow",
        input_data={"seconds": 0},
        created_by="valet",
        callback_url=receiver.url,
    )
    wait_until(lambda: len(receiver.attempts) >= 2, 15, "failed attempts")
    first.send(signal.SIGTERM)
    assert first.wait(timeout=10) == 0
    tried = len(receiver.attempts)
    receiver.fail_first = 0  # the receiver is back; the first worker is gone
    start_worker()
    wait_until(lambda: len(receiver.accepted) == 1, 15, "delivered by the next worker")
    time.sleep(0.5)
    assert len(receiver.accepted) == 1
    assert (
        receiver.accepted[0]["headers"]["webhook-id"]
        == receiver.attempts[0]["headers"]["webhook-id"]
    )
    row = _outbox(database_url)[0]
    assert row["attempts"] == tried + 1 and row["delivered_at"] is not None
    assert job(database_url, job_id)["status"] == "completed"


def test_private_and_metadata_addresses_are_refused_when_not_allowed(
    start_worker: Callable[..., GhProcess], database_url: str, receiver: Receiver, site: Site
) -> None:
    start_worker(GH_ALLOW_PRIVATE_NETWORKS="false")
    loopback = insert_job(
        database_url,
        job_type="test_slow",
        input_data={"seconds": 0},
        created_by="valet",
        callback_url=receiver.url,
    )
    metadata = insert_job(
        database_url,
        job_type="test_slow",
        input_data={"seconds": 0},
        created_by="valet",
        callback_url="http://169.254.169.254/latest/meta-data/",
    )
    check = insert_job(database_url, job_type="http_check", target_url=f"{site.url}/page/x")

    def both_refused() -> bool:
        rows = _outbox(database_url)  # one read: both rows seen in the same state
        return len(rows) == 2 and all(r["given_up_at"] is not None for r in rows)

    wait_until(both_refused, 15, "callbacks refused")
    for row in _outbox(database_url):
        assert str(row["last_error"]).startswith("blocked_address"), row["last_error"]
        assert row["delivered_at"] is None
    assert {r["job_id"] for r in _outbox(database_url)} == {loopback, metadata}
    assert receiver.attempts == []
    # The jobs themselves are not failed by their callbacks.
    assert status_of(database_url, loopback) == "completed"
    assert status_of(database_url, metadata) == "completed"
    # And a job may not fetch a private address either.
    wait_until(lambda: status_of(database_url, check) == "failed", 15, "check refused")
    assert job(database_url, check)["error_code"] == "blocked_address"
    assert job(database_url, check)["retry_count"] == 0
    assert site.hits == {}


def test_an_allow_listed_private_callback_is_delivered_while_jobs_stay_guarded(
    start_worker: Callable[..., GhProcess], database_url: str, receiver: Receiver, site: Site
) -> None:
    """VALET inside the VPC: its private address is allow-listed for callbacks only."""
    start_worker(GH_ALLOW_PRIVATE_NETWORKS="false", GH_CALLBACK_ALLOWED_NETWORKS="127.0.0.1/32")
    delivered = insert_job(
        database_url,
        job_type="test_slow",
        input_data={"seconds": 0},
        created_by="valet",
        callback_url=receiver.url,
    )
    metadata = insert_job(
        database_url,
        job_type="test_slow",
        input_data={"seconds": 0},
        created_by="valet",
        callback_url="http://169.254.169.254/latest/meta-data/",
    )
    # The same address as the callback receiver's host, as a job's target: refused.
    check = insert_job(database_url, job_type="http_check", target_url=f"{site.url}/page/x")
    wait_until(lambda: len(receiver.accepted) == 1, 15, "the allow-listed callback")
    assert receiver.accepted[0]["json"]["job_id"] == str(delivered)
    wait_until(lambda: status_of(database_url, check) == "failed", 15, "check refused")
    assert job(database_url, check)["error_code"] == "blocked_address"
    assert site.hits == {}

    def metadata_refused() -> bool:
        rows = [r for r in _outbox(database_url) if r["job_id"] == metadata]
        return bool(rows) and rows[0]["given_up_at"] is not None

    wait_until(metadata_refused, 15, "metadata stays blocked even when allow-listed ranges exist")
