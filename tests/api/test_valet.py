"""``/api/v1/gh/valet/*`` against ``ghosthands serve``: apply, task, resume, status,
worker deregistration and saved sessions."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from ghosthands.config import decode_key
from ghosthands.crypto import KeyRing
from tests.api.conftest import ENCRYPTION_KEY, PREFIX, Api, Client

VALET = f"{PREFIX}/valet"


def profile(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0000",
        "linkedin_url": "https://www.linkedin.com/in/ada",
        "portfolio_url": "https://ada.example.com",
        "location": {"city": "London", "state": "LDN", "country": "UK", "zip": "N1 9GU"},
        "work_authorization": "citizen",
        "salary_expectation": "120000 GBP",
        "years_of_experience": 12,
        "education": [
            {
                "institution": "University of London",
                "degree": "BSc",
                "field": "Mathematics",
                "graduation_year": 1998,
            }
        ],
        "work_history": [
            {
                "company": "Analytical Engines Ltd",
                "title": "Programmer",
                "start_date": "1842-01",
                "description": "Notes on the engine",
            }
        ],
        "skills": ["mathematics", "programming"],
    }
    body.update(overrides)
    return body


def apply_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "user_id": str(uuid.uuid4()),
        "target_url": "https://jobs.example.com/postings/42",
        "profile": profile(),
        "resume": {"storage_path": "resumes/ada.pdf"},
        "qa_answers": {"Why us?": "Because engines."},
        "callback_url": "https://valet.example.com/callbacks/gh",
        "quality": "quality",
        "valet_task_id": f"task-{uuid.uuid4()}",
    }
    body.update(overrides)
    return body


def details(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {d["field"]: d["message"] for d in response.json()["details"]}


def job_row(api: Api, job_id: str) -> dict[str, Any]:
    return api.sql("SELECT * FROM gh_automation_jobs WHERE id = %s", (job_id,))[0]


# -- apply and task -----------------------------------------------------------------------


def test_apply_creates_an_apply_job_with_profile_budget_and_tier(api: Api, service: Client) -> None:
    body = apply_body(idempotency_key=f"apply-{uuid.uuid4()}", priority=2, timeout_seconds=900)
    response = service.post(f"{VALET}/apply", body)
    assert response.status_code == 201, response.text
    accepted = response.json()
    assert accepted["status"] == "pending"
    assert accepted["valet_task_id"] == body["valet_task_id"]
    row = job_row(api, accepted["job_id"])
    assert row["job_type"] == "apply"
    assert row["created_by"] == "valet"
    assert str(row["user_id"]) == body["user_id"]
    assert (row["priority"], row["timeout_seconds"]) == (2, 900)
    assert row["callback_url"] == body["callback_url"]
    data = row["input_data"]
    assert data["user_data"]["first_name"] == "Ada"
    assert data["user_data"]["location"]["city"] == "London"
    assert data["user_data"]["education"][0]["field"] == "Mathematics"
    assert data["qa_overrides"] == {"Why us?": "Because engines."}
    assert data["resume"] == {"storage_path": "resumes/ada.pdf"}
    assert (data["quality"], data["tier"], data["budget_cents"]) == ("quality", "pro", 100)
    again = service.post(f"{VALET}/apply", body)
    assert again.status_code == 409
    assert again.json()["existing_job_id"] == accepted["job_id"]


@pytest.mark.parametrize(
    ("quality", "tier", "budget"), [("speed", "free", 5), ("balanced", "starter", 50)]
)
def test_quality_maps_to_tier_and_budget(
    api: Api, service: Client, quality: str, tier: str, budget: int
) -> None:
    response = service.post(f"{VALET}/apply", apply_body(quality=quality))
    data = job_row(api, response.json()["job_id"])["input_data"]
    assert (data["tier"], data["budget_cents"]) == (tier, budget)


def test_explicit_tier_wins_over_the_quality_default(api: Api, service: Client) -> None:
    response = service.post(f"{VALET}/apply", apply_body(quality="speed", tier="premium"))
    assert job_row(api, response.json()["job_id"])["input_data"]["tier"] == "premium"


def test_apply_validates_the_whole_profile(api: Api, service: Client) -> None:
    before = api.rows()
    bad = profile(
        email="not-an-email",
        linkedin_url="linkedin",
        years_of_experience=-1,
        location={"zip": "z" * 21},
        education=[{"degree": "BSc", "graduation_year": 1800}],
        skills=["s" * 101],
    )
    del bad["first_name"]
    response = service.post(
        f"{VALET}/apply",
        apply_body(profile=bad, resume={"storage_path": "a", "s3_key": "b"}, quality="max"),
    )
    found = details(response)
    assert {
        "profile.first_name",
        "profile.email",
        "profile.linkedin_url",
        "profile.years_of_experience",
        "profile.location.zip",
        "profile.education[0].institution",
        "profile.education[0].graduation_year",
        "profile.skills[0]",
        "quality",
    } <= set(found), found
    assert api.rows() == before


def test_apply_needs_exactly_one_resume_location(service: Client) -> None:
    for resume in ({}, {"storage_path": "a", "download_url": "https://files.example.com/r.pdf"}):
        assert "resume" in details(service.post(f"{VALET}/apply", apply_body(resume=resume)))
    for resume in ({"s3_key": "bucket/key.pdf"}, {"download_url": "https://f.example.com/r.pdf"}):
        assert service.post(f"{VALET}/apply", apply_body(resume=resume)).status_code == 201
    no_resume = apply_body()
    del no_resume["resume"]
    assert service.post(f"{VALET}/apply", no_resume).status_code == 201


def test_apply_requires_user_and_profile(service: Client) -> None:
    found = details(service.post(f"{VALET}/apply", {"target_url": "https://example.com/"}))
    assert found == {"user_id": "required field is missing", "profile": "required field is missing"}


def test_task_runs_any_known_type(api: Api, service: Client) -> None:
    response = service.post(
        f"{VALET}/task",
        {
            "user_id": str(uuid.uuid4()),
            "job_type": "scrape",
            "target_url": "https://example.com/list",
            "task_description": "collect titles",
            "input_data": {"selector": "h2"},
            "quality": "speed",
        },
    )
    assert response.status_code == 201, response.text
    row = job_row(api, response.json()["job_id"])
    assert (row["job_type"], row["created_by"]) == ("scrape", "valet")
    assert row["input_data"] == {
        "selector": "h2",
        "quality": "speed",
        "tier": "free",
        "budget_cents": 5,
    }
    unknown = service.post(
        f"{VALET}/task",
        {
            "user_id": str(uuid.uuid4()),
            "job_type": "mine_bitcoin",
            "target_url": "https://example.com/",
        },
    )
    assert "known types: http_check" in details(unknown)["job_type"]


# -- resume -------------------------------------------------------------------------------


def paused_job(api: Api, service: Client) -> str:
    job_id: str = service.post(f"{VALET}/apply", apply_body()).json()["job_id"]
    api.sql(
        "UPDATE gh_automation_jobs SET status = 'paused', interaction_type = '2fa', "
        'interaction_data = \'{"prompt": "Enter the code"}\', paused_at = now() '
        "WHERE id = %s",
        (job_id,),
    )
    return job_id


def test_resume_with_a_code_stores_it_and_announces_it(api: Api, service: Client) -> None:
    job_id = paused_job(api, service)
    response = service.post(f"{VALET}/resume/{job_id}", {"action": "code", "code": "123456"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["job_id"], body["status"], body["action"]) == (job_id, "paused", "code")
    assert job_row(api, job_id)["resume_ref"] == {"action": "code", "code": "123456"}
    event = api.sql(
        "SELECT id, event_type, metadata FROM gh_job_events WHERE job_id = %s "
        "AND event_type = 'resume_requested'",
        (job_id,),
    )
    assert event == [
        {"id": body["event_id"], "event_type": "resume_requested", "metadata": {"action": "code"}}
    ]  # the code itself is not logged


def test_resume_with_credentials_encrypts_the_password(api: Api, service: Client) -> None:
    job_id = paused_job(api, service)
    response = service.post(
        f"{VALET}/resume/{job_id}",
        {"action": "credentials", "username": "ada", "password": "correct horse"},
    )
    assert response.status_code == 202, response.text
    ref = job_row(api, job_id)["resume_ref"]
    assert ref["username"] == "ada"
    assert "password" not in ref
    assert "correct horse" not in str(ref)
    ring = KeyRing([decode_key(ENCRYPTION_KEY)])
    sealed = base64.b64decode(ref["password_enc"])
    assert ring.decrypt_text(sealed, f"resume:{job_id}:password") == "correct horse"
    assert ref["key_id"] == ring.primary_id
    assert "correct horse" not in api.proc.output  # never logged


def test_resume_refuses_credentials_without_an_encryption_key(start_api: Any) -> None:
    api = start_api(GH_ENCRYPTION_KEY="")
    service = api.service()
    job_id = paused_job(api, service)
    response = service.post(
        f"{VALET}/resume/{job_id}", {"action": "credentials", "password": "secret"}
    )
    assert response.status_code == 503
    assert response.json()["error"] == "encryption_unavailable"
    assert job_row(api, job_id)["resume_ref"] is None
    # Other actions still work.
    assert service.post(f"{VALET}/resume/{job_id}", {"action": "skip"}).status_code == 202


def test_resume_only_a_paused_job_once(api: Api, service: Client) -> None:
    running = service.post(f"{VALET}/apply", apply_body()).json()["job_id"]
    api.set_status(running, "queued")
    response = service.post(f"{VALET}/resume/{running}", {"action": "continue"})
    assert response.status_code == 409
    assert response.json()["error"] == "invalid_state"
    assert "queued" in response.json()["message"]

    job_id = paused_job(api, service)
    assert service.post(f"{VALET}/resume/{job_id}", {"action": "skip"}).status_code == 202
    second = service.post(f"{VALET}/resume/{job_id}", {"action": "continue"})
    assert second.status_code == 409
    assert "already pending" in second.json()["message"]
    assert service.post(f"{VALET}/resume/{uuid.uuid4()}", {"action": "skip"}).status_code == 404


def test_resume_body_rules(api: Api, service: Client) -> None:
    job_id = paused_job(api, service)
    assert "code" in details(service.post(f"{VALET}/resume/{job_id}", {"action": "code"}))
    assert "password" in details(
        service.post(f"{VALET}/resume/{job_id}", {"action": "credentials", "username": "a"})
    )
    assert "password" in details(
        service.post(f"{VALET}/resume/{job_id}", {"action": "skip", "password": "x"})
    )
    assert "action" in details(service.post(f"{VALET}/resume/{job_id}", {"action": "dance"}))
    assert job_row(api, job_id)["resume_ref"] is None


# -- status -------------------------------------------------------------------------------


def test_status_of_a_completed_job_has_result_and_costs(api: Api, service: Client) -> None:
    job_id = service.post(f"{VALET}/apply", apply_body(quality="balanced")).json()["job_id"]
    api.sql(
        "INSERT INTO gh_job_events (job_id, event_type, message, metadata) VALUES "
        "(%s, 'progress', 'submitted', '{\"step\": \"confirm\", \"percent\": 100}')",
        (job_id,),
    )
    api.set_status(
        job_id,
        "completed",
        result_data=Jsonb({"confirmation": "ABC-1"}),
        result_summary="Applied",
        screenshot_urls=Jsonb(["/api/v1/gh/jobs/x/artifacts/y"]),
        llm_cost_cents=12.5,
        total_tokens=3456,
        action_count=17,
    )
    status = service.get(f"{VALET}/status/{job_id}").json()
    assert status["status"] == "completed"
    assert status["result"]["data"] == {"confirmation": "ABC-1"}
    assert status["result"]["summary"] == "Applied"
    assert status["result"]["screenshot_urls"] == ["/api/v1/gh/jobs/x/artifacts/y"]
    assert status["error"] is None and status["interaction"] is None
    assert status["progress"]["step"] == "confirm"
    assert status["cost_breakdown"] == {
        "llm_cost_cents": 12.5,
        "total_cost_usd": 0.125,
        "total_tokens": 3456,
        "action_count": 17,
        "quality": "balanced",
        "tier": "starter",
        "job_budget_cents": 50,
    }


def test_status_of_failed_and_paused_jobs(api: Api, service: Client) -> None:
    failed = service.post(f"{VALET}/apply", apply_body()).json()["job_id"]
    api.set_status(
        failed,
        "failed",
        error_code="captcha_blocked",
        status_message="captcha on login",
        error_details=Jsonb({"page": 2}),
    )
    status = service.get(f"{VALET}/status/{failed}").json()
    assert status["error"] == {
        "code": "captcha_blocked",
        "message": "captcha on login",
        "details": {"page": 2},
    }
    paused = paused_job(api, service)
    interaction = service.get(f"{VALET}/status/{paused}").json()["interaction"]
    assert interaction["type"] == "2fa"
    assert interaction["data"] == {"prompt": "Enter the code"}
    assert interaction["paused_at"]
    assert service.get(f"{VALET}/status/{uuid.uuid4()}").status_code == 404


# -- workers ------------------------------------------------------------------------------


def register_worker(api: Api, worker_id: str) -> None:
    api.sql(
        "INSERT INTO gh_worker_registry (worker_id, host, current_jobs, max_jobs) "
        "VALUES (%s, 'host-a', 3, 4)",
        (worker_id,),
    )


def held_job(api: Api, service: Client, worker_id: str, status: str) -> str:
    job_id: str = service.post(f"{VALET}/apply", apply_body()).json()["job_id"]
    api.sql(
        "UPDATE gh_automation_jobs SET status = %s, worker_id = %s, "
        "execution_attempt_id = gen_random_uuid(), last_heartbeat = now() WHERE id = %s",
        (status, worker_id, job_id),
    )
    return job_id


def test_deregister_offline_releases_the_workers_jobs(api: Api, service: Client) -> None:
    worker_id = f"worker-{uuid.uuid4().hex[:8]}"
    register_worker(api, worker_id)
    held = {s: held_job(api, service, worker_id, s) for s in ("queued", "running", "paused")}
    done = held_job(api, service, worker_id, "completed")
    response = service.post(
        f"{VALET}/workers/deregister", {"worker_id": worker_id, "reason": "host replaced"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["worker_id"], body["status"]) == (worker_id, "offline")
    assert sorted(body["released_job_ids"]) == sorted(held.values())
    for job_id in held.values():
        row = job_row(api, job_id)
        assert (row["status"], row["worker_id"], row["execution_attempt_id"]) == (
            "pending",
            None,
            None,
        )
    assert job_row(api, done)["status"] == "completed"
    registry = api.sql(
        "SELECT status, current_jobs, metadata FROM gh_worker_registry WHERE worker_id = %s",
        (worker_id,),
    )[0]
    assert (registry["status"], registry["current_jobs"]) == ("offline", 0)
    assert registry["metadata"]["deregister_reason"] == "host replaced"


def submitted_in_this_attempt(api: Api, job_id: str) -> None:
    """What the form engine records before its final click (the worker's evidence)."""
    api.sql(
        "INSERT INTO gh_job_events (job_id, event_type, metadata) "
        "SELECT id, 'progress', jsonb_build_object('step', 'submitted', "
        "'execution_attempt_id', execution_attempt_id::text) FROM gh_automation_jobs "
        "WHERE id = %s",
        (job_id,),
    )


def test_no_hand_back_path_reruns_a_job_that_may_have_submitted(api: Api, service: Client) -> None:
    worker_id = f"worker-{uuid.uuid4().hex[:8]}"
    register_worker(api, worker_id)
    submitted = held_job(api, service, worker_id, "running")
    submitted_in_this_attempt(api, submitted)
    plain = held_job(api, service, worker_id, "running")
    response = service.post(f"{VALET}/workers/deregister", {"worker_id": worker_id})
    assert response.status_code == 200, response.text
    assert job_row(api, submitted)["status"] == "awaiting_review"  # a person checks it
    assert (job_row(api, plain)["status"], job_row(api, plain)["retry_count"]) == ("pending", 1)

    # Cancel-then-retry: a cancelled attempt that may have submitted is not run again...
    cancelled = held_job(api, service, worker_id, "running")
    submitted_in_this_attempt(api, cancelled)
    assert service.post(f"{PREFIX}/jobs/{cancelled}/cancel").status_code == 200
    refused = service.post(f"{PREFIX}/jobs/{cancelled}/retry")
    assert refused.status_code == 409, refused.text
    assert "may already have submitted" in refused.json()["message"]
    assert job_row(api, cancelled)["status"] == "cancelled"
    # ... unless asked explicitly.
    forced = service.post(f"{PREFIX}/jobs/{cancelled}/retry?force=true")
    assert forced.status_code == 200 and forced.json()["status"] == "pending"


def test_deregister_draining_keeps_the_jobs(api: Api, service: Client) -> None:
    worker_id = f"worker-{uuid.uuid4().hex[:8]}"
    register_worker(api, worker_id)
    job_id = held_job(api, service, worker_id, "running")
    response = service.post(
        f"{VALET}/workers/deregister", {"worker_id": worker_id, "status": "draining"}
    )
    assert response.json() == {
        "worker_id": worker_id,
        "status": "draining",
        "released_job_ids": [],
        # The original contract's names (tests/api/test_valet_contract.py).
        "deregistered_workers": [worker_id],
        "cancelled_job_ids": [],
        "reason": None,
    }
    assert job_row(api, job_id)["status"] == "running"


def test_deregister_unknown_worker_and_bad_bodies(service: Client) -> None:
    response = service.post(f"{VALET}/workers/deregister", {"worker_id": "ghost"})
    assert response.status_code == 404
    assert "worker_id" in details(service.post(f"{VALET}/workers/deregister", {}))
    assert "status" in details(
        service.post(f"{VALET}/workers/deregister", {"worker_id": "w", "status": "gone"})
    )


# -- sessions -----------------------------------------------------------------------------


def test_sessions_are_listed_without_their_blob_and_deleted(api: Api, service: Client) -> None:
    user_id = str(uuid.uuid4())
    other_user = str(uuid.uuid4())
    for uid, domain in (
        (user_id, "greenhouse.io"),
        (user_id, "lever.co"),
        (other_user, "greenhouse.io"),
    ):
        api.sql(
            "INSERT INTO gh_browser_sessions (user_id, domain, storage_state_enc, key_id) "
            "VALUES (%s, %s, %s, 'k1')",
            (uid, domain, b"sealed-bytes"),
        )
    listing = service.get(f"{VALET}/sessions/{user_id}")
    assert listing.status_code == 200
    sessions = listing.json()["sessions"]
    assert [s["domain"] for s in sessions] == ["greenhouse.io", "lever.co"]
    assert all("storage_state_enc" not in s for s in sessions)
    assert "sealed" not in listing.text
    deleted = service.delete(f"{VALET}/sessions/{user_id}/lever.co")
    assert deleted.status_code == 200  # with the original contract's body
    assert deleted.json() == {"user_id": user_id, "domain": "lever.co", "deleted": True}
    assert service.delete(f"{VALET}/sessions/{user_id}/lever.co").status_code == 404
    cleared = service.delete(f"{VALET}/sessions/{user_id}")
    assert cleared.json() == {"user_id": user_id, "deleted": 1, "deleted_count": 1}
    assert service.get(f"{VALET}/sessions/{user_id}").json()["sessions"] == []
    assert len(service.get(f"{VALET}/sessions/{other_user}").json()["sessions"]) == 1
    assert service.get(f"{VALET}/sessions/not-a-uuid").status_code == 422


def test_task_idempotency(service: Client) -> None:
    body = {
        "user_id": str(uuid.uuid4()),
        "job_type": "custom",
        "target_url": "https://example.com/",
        "idempotency_key": f"task-{uuid.uuid4()}",
    }
    first = service.post(f"{VALET}/task", body)
    assert first.status_code == 201
    again = service.post(f"{VALET}/task", body)
    assert again.status_code == 409
    assert again.json()["existing_job_id"] == first.json()["job_id"]
