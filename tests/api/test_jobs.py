"""``/api/v1/gh/jobs`` over real HTTP against ``ghosthands serve``: every route, its 4xx,
cross-user isolation and idempotency under a race."""

from __future__ import annotations

import concurrent.futures
import threading
import uuid
from typing import Any

import pytest

from tests.api.conftest import PREFIX, Api, Client, create_job, job_body


def details(response: Any) -> dict[str, str]:
    body = response.json()
    assert body["error"] == "validation_error", body
    return {d["field"]: d["message"] for d in body["details"]}


# -- create -------------------------------------------------------------------------------


def test_create_applies_the_original_defaults(api: Api, service: Client) -> None:
    user_id = str(uuid.uuid4())
    created = create_job(service, user_id=user_id)
    assert created["status"] == "pending"
    row = api.sql("SELECT * FROM gh_automation_jobs WHERE id = %s", (created["id"],))[0]
    assert (row["priority"], row["max_retries"], row["timeout_seconds"]) == (5, 3, 300)
    assert str(row["user_id"]) == user_id
    assert row["created_by"] == "api"
    job = service.get(f"{PREFIX}/jobs/{created['id']}").json()
    assert job["priority"] == 5 and job["tags"] == [] and job["input_data"] == {}
    assert "resume_ref" not in job


def test_create_stores_every_field(api: Api, service: Client) -> None:
    body = job_body(
        user_id=str(uuid.uuid4()),
        job_type="apply",
        task_description="Apply please",
        input_data={"user_data": {"first_name": "Ada"}, "tier": "pro", "model": "gpt-4o"},
        priority=1,
        max_retries=0,
        timeout_seconds=1800,
        tags=["a", "b" * 50],
        metadata={"source": "test"},
        callback_url="https://valet.example.com/hook",
        valet_task_id="vt-1",
        scheduled_at="2030-01-01T00:00:00Z",
        worker_affinity="preferred",
        target_worker_id="worker-7",
    )
    response = service.post(f"{PREFIX}/jobs", body)
    assert response.status_code == 201, response.text
    job = service.get(f"{PREFIX}/jobs/{response.json()['id']}").json()
    for key in (
        "job_type",
        "task_description",
        "input_data",
        "priority",
        "max_retries",
        "timeout_seconds",
        "tags",
        "metadata",
        "callback_url",
        "valet_task_id",
        "worker_affinity",
        "target_worker_id",
    ):
        assert job[key] == body[key], key
    assert job["scheduled_at"].startswith("2030-01-01T00:00:00")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("priority", 0),
        ("priority", 11),
        ("priority", "5"),
        ("max_retries", -1),
        ("max_retries", 11),
        ("timeout_seconds", 29),
        ("timeout_seconds", 1801),
        ("tags", ["x"] * 21),
        ("tags", ["y" * 51]),
        ("tags", [""]),
        ("target_url", "ftp://example.com/file"),
        ("target_url", "not a url"),
        ("target_url", "https://"),
        ("target_url", "https://example.com/" + "a" * 2048),
        ("callback_url", "javascript:alert(1)"),
        ("job_type", "teleport"),
        ("input_data", "not an object"),
        ("scheduled_at", "2030-01-01T00:00:00"),  # no time zone
        ("worker_affinity", "sometimes"),
        ("idempotency_key", ""),
    ],
)
def test_create_rejects_each_bound(api: Api, service: Client, field: str, value: Any) -> None:
    before = api.rows()
    response = service.post(f"{PREFIX}/jobs", job_body(user_id=str(uuid.uuid4()), **{field: value}))
    assert response.status_code == 422, response.text
    assert [k.split("[")[0] for k in details(response)] == [field]
    assert api.rows() == before


def test_create_reports_every_bad_field_at_once(service: Client) -> None:
    response = service.post(
        f"{PREFIX}/jobs",
        {
            "job_type": "nope",
            "target_url": "x",
            "priority": 99,
            "timeout_seconds": 1,
            "prority": 3,
            "user_id": "not-a-uuid",
        },
    )
    assert response.status_code == 422
    found = details(response)
    assert set(found) == {
        "job_type",
        "target_url",
        "priority",
        "timeout_seconds",
        "prority",
        "user_id",
    }
    assert "http_check, apply, fill_form, scrape, custom" in found["job_type"]
    assert found["prority"] == "unknown field"


def test_create_requires_the_mandatory_fields(service: Client) -> None:
    response = service.post(f"{PREFIX}/jobs", {"user_id": str(uuid.uuid4())})
    assert response.status_code == 422
    assert details(response) == {
        "job_type": "required field is missing",
        "target_url": "required field is missing",
    }


def test_input_data_keys_the_platform_reads_are_checked(service: Client) -> None:
    response = service.post(
        f"{PREFIX}/jobs",
        job_body(user_id=str(uuid.uuid4()), input_data={"tier": "platinum", "quality": "max"}),
    )
    assert response.status_code == 422
    assert set(details(response)) == {"input_data.tier", "input_data.quality"}


def test_private_network_urls_are_refused_in_production(api: Api, service: Client) -> None:
    for url in (
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://10.1.2.3/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data",
        "http://2130706433/",
    ):
        response = service.post(
            f"{PREFIX}/jobs", job_body(user_id=str(uuid.uuid4()), target_url=url)
        )
        assert response.status_code == 422, url
        assert "private network" in details(response)["target_url"]
    response = service.post(
        f"{PREFIX}/jobs",
        job_body(user_id=str(uuid.uuid4()), callback_url="http://192.168.1.1/hook"),
    )
    assert "callback_url" in details(response)


def test_service_must_name_the_user_and_a_user_only_themselves(api: Api, service: Client) -> None:
    response = service.post(f"{PREFIX}/jobs", job_body())
    assert response.status_code == 422
    assert "user_id" in details(response)

    user = api.user()
    created = create_job(user)  # no user_id: the job is theirs
    row = api.sql("SELECT user_id FROM gh_automation_jobs WHERE id = %s", (created["id"],))[0]
    assert row["user_id"] == user.user_id  # type: ignore[attr-defined]
    response = user.post(f"{PREFIX}/jobs", job_body(user_id=str(uuid.uuid4())))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_a_user_cannot_choose_their_tier_or_name_a_valet_task(api: Api, service: Client) -> None:
    free = api.user(tier="free")
    created = create_job(free, input_data={"tier": "enterprise", "url": "x"})
    row = api.sql("SELECT input_data FROM gh_automation_jobs WHERE id = %s", (created["id"],))[0]
    assert row["input_data"]["tier"] == "free"  # the token's tier, not the input's
    pro = api.user(tier="pro")
    created = create_job(pro)
    row = api.sql("SELECT input_data FROM gh_automation_jobs WHERE id = %s", (created["id"],))[0]
    assert row["input_data"]["tier"] == "pro"  # a tierless job runs under the token's tier

    response = free.post(f"{PREFIX}/jobs", job_body(valet_task_id="valet-task-of-someone"))
    assert response.status_code == 422
    assert "valet_task_id" in details(response)
    # The service caller states its user's tier and names VALET's tasks.
    created = create_job(
        service,
        user_id=str(uuid.uuid4()),
        valet_task_id="valet-task-1",
        input_data={"tier": "enterprise"},
    )
    row = api.sql("SELECT input_data FROM gh_automation_jobs WHERE id = %s", (created["id"],))[0]
    assert row["input_data"]["tier"] == "enterprise"


# -- idempotency --------------------------------------------------------------------------


def test_repeated_idempotency_key_is_409_with_the_existing_job(api: Api, service: Client) -> None:
    key = f"idem-{uuid.uuid4()}"
    user_id = str(uuid.uuid4())
    first = create_job(service, user_id=user_id, idempotency_key=key)
    again = service.post(f"{PREFIX}/jobs", job_body(user_id=user_id, idempotency_key=key))
    assert again.status_code == 409
    body = again.json()
    assert body["error"] == "duplicate_idempotency_key"
    assert body["existing_job_id"] == first["id"]
    assert body["details"][0]["job_id"] == first["id"]
    assert (
        api.sql("SELECT count(*) AS n FROM gh_automation_jobs WHERE idempotency_key = %s", (key,))[
            0
        ]["n"]
        == 1
    )


def test_twenty_concurrent_identical_creates_make_exactly_one_job(api: Api) -> None:
    key = f"race-{uuid.uuid4()}"
    body = job_body(user_id=str(uuid.uuid4()), idempotency_key=key)
    start = threading.Barrier(20)

    def submit(_: int) -> tuple[int, dict[str, Any]]:
        client = api.service()
        try:
            start.wait(timeout=10)
            response = client.post(f"{PREFIX}/jobs", body)
            return response.status_code, response.json()
        finally:
            client.close()

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(submit, range(20)))

    codes = sorted(code for code, _ in results)
    assert codes == [201] + [409] * 19, codes
    created_id = next(b["id"] for code, b in results if code == 201)
    assert all(b["existing_job_id"] == created_id for code, b in results if code == 409)
    rows = api.sql("SELECT id FROM gh_automation_jobs WHERE idempotency_key = %s", (key,))
    assert [str(r["id"]) for r in rows] == [created_id]


def test_idempotency_keys_are_per_caller(api: Api, service: Client) -> None:
    key = f"shared-{uuid.uuid4()}"
    alice, bob = api.user(), api.user()
    first = create_job(alice, idempotency_key=key)
    # Another user, and VALET, may use the same key: neither is blocked nor sees her job.
    created = bob.post(f"{PREFIX}/jobs", job_body(idempotency_key=key))
    assert created.status_code == 201, created.text
    assert create_job(service, idempotency_key=key)["id"] not in (first["id"], created.json()["id"])
    # Her own repeat is the duplicate, and her job shows the key as she gave it.
    again = alice.post(f"{PREFIX}/jobs", job_body(idempotency_key=key))
    assert again.status_code == 409 and again.json()["existing_job_id"] == first["id"]
    assert alice.get(f"{PREFIX}/jobs/{first['id']}").json()["idempotency_key"] == key
    listed = alice.get(f"{PREFIX}/jobs").json()["jobs"]
    assert [j["idempotency_key"] for j in listed if j["id"] == first["id"]] == [key]


# -- batch --------------------------------------------------------------------------------


def test_batch_creates_all_in_one_transaction(api: Api, service: Client) -> None:
    user_id = str(uuid.uuid4())
    response = service.post(
        f"{PREFIX}/jobs/batch",
        {"jobs": [job_body(user_id=user_id, priority=i + 1) for i in range(10)]},
    )
    assert response.status_code == 201, response.text
    jobs = response.json()["jobs"]
    assert len(jobs) == 10 and all(j["status"] == "pending" for j in jobs)
    assert (
        api.sql("SELECT count(*) AS n FROM gh_automation_jobs WHERE user_id = %s", (user_id,))[0][
            "n"
        ]
        == 10
    )


def test_batch_bounds_and_item_errors(api: Api, service: Client) -> None:
    user_id = str(uuid.uuid4())
    before = api.rows()
    assert service.post(f"{PREFIX}/jobs/batch", {"jobs": []}).status_code == 422
    too_many = {"jobs": [job_body(user_id=user_id)] * 51}
    assert "jobs" in details(service.post(f"{PREFIX}/jobs/batch", too_many))
    bad_item = {"jobs": [job_body(user_id=user_id), job_body(user_id=user_id, priority=0)]}
    assert "jobs[1].priority" in details(service.post(f"{PREFIX}/jobs/batch", bad_item))
    repeated = {
        "jobs": [
            job_body(user_id=user_id, idempotency_key="k"),
            job_body(user_id=user_id, idempotency_key="k"),
        ]
    }
    assert "jobs[1].idempotency_key" in details(service.post(f"{PREFIX}/jobs/batch", repeated))
    private = {
        "jobs": [
            job_body(user_id=user_id),
            job_body(user_id=user_id, target_url="http://127.0.0.1/"),
        ]
    }
    assert "jobs[1].target_url" in details(service.post(f"{PREFIX}/jobs/batch", private))
    assert api.rows() == before


def test_batch_with_a_taken_key_writes_nothing(api: Api, service: Client) -> None:
    user_id = str(uuid.uuid4())
    key = f"batch-{uuid.uuid4()}"
    existing = create_job(service, user_id=user_id, idempotency_key=key)
    before = api.rows()
    response = service.post(
        f"{PREFIX}/jobs/batch",
        {"jobs": [job_body(user_id=user_id), job_body(user_id=user_id, idempotency_key=key)]},
    )
    assert response.status_code == 409
    assert response.json()["existing_job_id"] == existing["id"]
    assert response.json()["details"][0]["field"] == "jobs[1].idempotency_key"
    assert api.rows() == before


# -- list ---------------------------------------------------------------------------------


def test_list_filters_pages_and_sorts(api: Api, service: Client) -> None:
    user_id = str(uuid.uuid4())
    ids = [
        create_job(service, user_id=user_id, priority=p, tags=[f"p{p}"])["id"] for p in (3, 1, 2)
    ]
    api.set_status(ids[0], "queued")
    api.set_status(ids[0], "running")
    api.set_status(ids[1], "cancelled")

    def listing(**params: Any) -> dict[str, Any]:
        response = service.get(f"{PREFIX}/jobs", params={"user_id": user_id, **params})
        assert response.status_code == 200, response.text
        return response.json()

    assert listing()["total"] == 3
    newest_first = [j["id"] for j in listing()["jobs"]]
    assert newest_first == ids[::-1]
    assert [j["priority"] for j in listing(sort="priority")["jobs"]] == [1, 2, 3]
    assert [j["priority"] for j in listing(sort="-priority")["jobs"]] == [3, 2, 1]
    page = listing(sort="priority", limit=2, offset=2)
    assert (page["total"], [j["priority"] for j in page["jobs"]]) == (3, [3])
    assert listing(offset=10) == {"jobs": [], "total": 3, "limit": 20, "offset": 10}
    by_status = listing(status="running,cancelled")
    assert sorted(j["id"] for j in by_status["jobs"]) == sorted(ids[:2])
    assert [j["id"] for j in listing(tag="p2")["jobs"]] == [ids[2]]
    assert listing(job_type="scrape")["total"] == 0


def test_list_rejects_bad_parameters(service: Client) -> None:
    for params in (
        {"limit": "0"},
        {"limit": "101"},
        {"offset": "-1"},
        {"sort": "colour"},
        {"status": "pending,sleeping"},
        {"limit": "ten"},
        {"user_id": "x"},
        {"unknown": "1"},
    ):
        response = service.get(f"{PREFIX}/jobs", params=params)
        assert response.status_code == 422, params
        assert set(details(response)) == set(params), params


def test_a_user_lists_only_their_own_jobs(api: Api) -> None:
    alice, bob = api.user(), api.user()
    mine = create_job(alice)["id"]
    create_job(bob)
    listing = alice.get(f"{PREFIX}/jobs").json()
    assert [j["id"] for j in listing["jobs"]] == [mine]
    response = alice.get(f"{PREFIX}/jobs", params={"user_id": str(bob.user_id)})  # type: ignore[attr-defined]
    assert response.status_code == 403


# -- read, status, cancel, retry ----------------------------------------------------------


def test_get_and_status_of_a_job(api: Api, service: Client) -> None:
    job_id = create_job(service)["id"]
    api.set_status(job_id, "queued")
    api.set_status(job_id, "running")
    api.sql(
        "INSERT INTO gh_job_events (job_id, event_type, message, metadata) VALUES "
        '(%s, \'progress\', \'filling page 2\', \'{"step": "fill_form", "percent": 40, '
        '"page": 2}\')',
        (job_id,),
    )
    status = service.get(f"{PREFIX}/jobs/{job_id}/status").json()
    assert status["status"] == "running"
    assert status["progress"]["step"] == "fill_form"
    assert status["progress"]["percent"] == 40
    assert status["progress"]["message"] == "filling page 2"
    assert status["progress"]["details"] == {"page": 2}
    assert service.get(f"{PREFIX}/jobs/{job_id}").json()["status"] == "running"


def test_unknown_and_malformed_ids(service: Client) -> None:
    missing = uuid.uuid4()
    for path in (f"/jobs/{missing}", f"/jobs/{missing}/status", f"/jobs/{missing}/events"):
        response = service.get(PREFIX + path)
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    for path in (f"/jobs/{missing}/cancel", f"/jobs/{missing}/retry"):
        assert service.post(PREFIX + path).status_code == 404
    response = service.get(f"{PREFIX}/jobs/not-a-uuid")
    assert response.status_code == 422
    assert "job_id" in details(response)


@pytest.mark.parametrize("status", ["pending", "queued", "running", "paused"])
def test_cancel_from_each_cancellable_status(api: Api, service: Client, status: str) -> None:
    job_id = create_job(service, callback_url="https://valet.example.com/hook")["id"]
    if status != "pending":
        api.sql("UPDATE gh_automation_jobs SET status = %s WHERE id = %s", (status, job_id))
    response = service.post(f"{PREFIX}/jobs/{job_id}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    event = api.sql(
        "SELECT actor, from_status FROM gh_job_events WHERE job_id = %s "
        "AND to_status = 'cancelled'",
        (job_id,),
    )
    assert event == [{"actor": "api", "from_status": status}]
    outbox = api.sql(
        "SELECT event, url, payload, include_service_key FROM gh_callback_outbox"
        " WHERE job_id = %s AND event = 'cancelled'",
        (job_id,),
    )
    assert len(outbox) == 1
    assert outbox[0]["event"] == "cancelled"
    assert outbox[0]["url"] == "https://valet.example.com/hook"
    assert outbox[0]["payload"]["status"] == "cancelled"
    assert outbox[0]["include_service_key"] is False  # created through /jobs, not /valet


@pytest.mark.parametrize(
    "status", ["completed", "failed", "cancelled", "expired", "awaiting_review"]
)
def test_cancel_from_a_final_status_is_409(api: Api, service: Client, status: str) -> None:
    job_id = create_job(service)["id"]
    api.sql("UPDATE gh_automation_jobs SET status = %s WHERE id = %s", (status, job_id))
    response = service.post(f"{PREFIX}/jobs/{job_id}/cancel")
    assert response.status_code == 409
    assert response.json()["error"] == "job_not_cancellable"
    assert status in response.json()["message"]


def test_racing_cancels_have_one_winner(api: Api) -> None:
    client = api.service()
    job_id = create_job(client)["id"]
    start = threading.Barrier(8)

    def cancel(_: int) -> int:
        c = api.service()
        try:
            start.wait(timeout=10)
            return c.post(f"{PREFIX}/jobs/{job_id}/cancel").status_code
        finally:
            c.close()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(cancel, range(8)))
    assert codes == [200] + [409] * 7
    assert (
        api.sql(
            "SELECT count(*) AS n FROM gh_job_events WHERE job_id = %s AND to_status = 'cancelled'",
            (job_id,),
        )[0]["n"]
        == 1
    )


@pytest.mark.parametrize("status", ["failed", "cancelled"])
def test_retry_from_failed_or_cancelled(api: Api, service: Client, status: str) -> None:
    job_id = create_job(service)["id"]
    api.sql(
        "UPDATE gh_automation_jobs SET status = %s, error_code = 'timeout', "
        "completed_at = now(), worker_id = 'w1' WHERE id = %s",
        (status, job_id),
    )
    response = service.post(f"{PREFIX}/jobs/{job_id}/retry")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    assert response.json()["retry_count"] == 1
    job = service.get(f"{PREFIX}/jobs/{job_id}").json()
    assert (job["status"], job["error_code"], job["completed_at"], job["worker_id"]) == (
        "pending",
        None,
        None,
        None,
    )


@pytest.mark.parametrize("status", ["pending", "running", "completed", "paused"])
def test_retry_from_other_statuses_is_409(api: Api, service: Client, status: str) -> None:
    job_id = create_job(service)["id"]
    api.sql("UPDATE gh_automation_jobs SET status = %s WHERE id = %s", (status, job_id))
    response = service.post(f"{PREFIX}/jobs/{job_id}/retry")
    assert response.status_code == 409
    assert response.json()["error"] == "job_not_retryable"


# -- events and artifacts -----------------------------------------------------------------


def test_events_are_paged_in_order(api: Api, service: Client) -> None:
    job_id = create_job(service)["id"]
    for i in range(5):
        api.sql(
            "INSERT INTO gh_job_events (job_id, event_type, message) VALUES (%s, 'progress', %s)",
            (job_id, f"step {i}"),
        )
    first = service.get(f"{PREFIX}/jobs/{job_id}/events", params={"limit": 4}).json()
    assert [e["event_type"] for e in first["events"]] == ["job_created"] + ["progress"] * 3
    assert first["next_after_id"] == first["events"][-1]["id"]
    rest = service.get(
        f"{PREFIX}/jobs/{job_id}/events", params={"limit": 4, "after_id": first["next_after_id"]}
    ).json()
    assert [e["message"] for e in rest["events"]] == ["step 3", "step 4"]
    assert rest["next_after_id"] is None
    bad = service.get(f"{PREFIX}/jobs/{job_id}/events", params={"limit": 501})
    assert bad.status_code == 422


def test_artifacts_are_served_from_the_database(api: Api, service: Client) -> None:
    job_id = create_job(service)["id"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    artifact_id = api.sql(
        "INSERT INTO gh_artifacts (job_id, kind, name, content_type, size_bytes, content) "
        "VALUES (%s, 'screenshot', 'final.png', 'image/png', %s, %s) RETURNING id",
        (job_id, len(png), png),
    )[0]["id"]
    remote_id = api.sql(
        "INSERT INTO gh_artifacts (job_id, kind, name, content_type, size_bytes, storage_url) "
        "VALUES (%s, 'screenshot', 'big.png', 'image/png', 10, "
        "'https://files.example.com/big.png') RETURNING id",
        (job_id,),
    )[0]["id"]
    response = service.get(f"{PREFIX}/jobs/{job_id}/artifacts/{artifact_id}")
    assert response.status_code == 200
    assert response.content == png
    assert response.headers["content-type"] == "image/png"
    redirect = service.get(f"{PREFIX}/jobs/{job_id}/artifacts/{remote_id}")
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "https://files.example.com/big.png"
    other_job = create_job(service)["id"]
    assert service.get(f"{PREFIX}/jobs/{other_job}/artifacts/{artifact_id}").status_code == 404
    assert service.get(f"{PREFIX}/jobs/{job_id}/artifacts/{uuid.uuid4()}").status_code == 404


# -- isolation ----------------------------------------------------------------------------


def test_user_a_cannot_touch_user_bs_job(api: Api) -> None:
    alice, bob = api.user(), api.user()
    job_id = create_job(bob)["id"]
    api.sql("UPDATE gh_automation_jobs SET status = 'failed' WHERE id = %s", (job_id,))
    artifact_id = api.sql(
        "INSERT INTO gh_artifacts (job_id, kind, name, content_type, size_bytes, content) "
        "VALUES (%s, 'log', 'a.txt', 'text/plain', 1, 'x') RETURNING id",
        (job_id,),
    )[0]["id"]
    for method, path in [
        ("GET", f"/jobs/{job_id}"),
        ("GET", f"/jobs/{job_id}/status"),
        ("GET", f"/jobs/{job_id}/events"),
        ("GET", f"/jobs/{job_id}/events/stream"),
        ("GET", f"/jobs/{job_id}/artifacts/{artifact_id}"),
        ("POST", f"/jobs/{job_id}/cancel"),
        ("POST", f"/jobs/{job_id}/retry"),
    ]:
        response = alice.http.request(method, PREFIX + path)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json() == {"error": "not_found", "message": response.json()["message"]}
    # Nothing changed, and Bob still can.
    assert (
        api.sql("SELECT status FROM gh_automation_jobs WHERE id = %s", (job_id,))[0]["status"]
        == "failed"
    )
    assert bob.post(f"{PREFIX}/jobs/{job_id}/retry").status_code == 200
    assert bob.post(f"{PREFIX}/jobs/{job_id}/cancel").status_code == 200


def test_a_user_batch_may_only_hold_their_own_jobs(api: Api) -> None:
    user = api.user()
    before = api.rows()
    response = user.post(
        f"{PREFIX}/jobs/batch", {"jobs": [job_body(), job_body(user_id=str(uuid.uuid4()))]}
    )
    assert response.status_code == 403
    assert api.rows() == before
    assert user.post(f"{PREFIX}/jobs/batch", {"jobs": [job_body()]}).status_code == 201


def test_malformed_artifact_id_is_422(service: Client) -> None:
    job_id = create_job(service)["id"]
    response = service.get(f"{PREFIX}/jobs/{job_id}/artifacts/latest")
    assert response.status_code == 422
    assert "artifact_id" in details(response)


def test_one_user_cannot_crowd_out_the_queue(start_api: Any) -> None:
    """A batch counts as its size against the rate limit, a user's jobs wait in the
    default band or below, and at most GH_MAX_WAITING_JOBS_PER_USER of them wait."""
    api = start_api(GH_MAX_WAITING_JOBS_PER_USER="60")
    free = api.user(tier="free")  # 60 requests a minute
    batch = {"jobs": [job_body(priority=1) for _ in range(50)]}
    response = free.post(f"{PREFIX}/jobs/batch", batch)
    assert response.status_code == 201, response.text
    assert int(response.headers["x-ratelimit-remaining"]) <= 60 - 50
    rows = api.sql("SELECT DISTINCT priority FROM gh_automation_jobs")
    assert rows == [{"priority": 5}]  # asked for 1: a user's job gets the default band
    # Another batch of 50 would pass the limit: refused, nothing written.
    again = free.post(f"{PREFIX}/jobs/batch", batch)
    assert again.status_code == 429 and again.json()["error"] == "rate_limit_exceeded"
    assert api.sql("SELECT count(*) AS n FROM gh_automation_jobs") == [{"n": 50}]

    pro = api.user(tier="pro")  # 300 a minute: the waiting cap (60) decides here
    assert pro.post(f"{PREFIX}/jobs/batch", batch).status_code == 201
    capped = pro.post(f"{PREFIX}/jobs/batch", {"jobs": [job_body() for _ in range(11)]})
    assert capped.status_code == 429
    assert capped.json()["error"] == "too_many_waiting_jobs"
    ten = pro.post(f"{PREFIX}/jobs/batch", {"jobs": [job_body() for _ in range(10)]})
    assert ten.status_code == 201  # 60 waiting: exactly the cap
    single = pro.post(f"{PREFIX}/jobs", job_body())
    assert single.status_code == 429 and single.json()["error"] == "too_many_waiting_jobs"
    # The service caller (VALET) is neither capped nor moved out of the first band.
    service = api.service()
    created = create_job(service, user_id=str(pro.user_id), priority=1)  # type: ignore[attr-defined]
    row = api.sql("SELECT priority FROM gh_automation_jobs WHERE id = %s", (created["id"],))
    assert row == [{"priority": 1}]
