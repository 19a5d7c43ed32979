"""VALET's client works unchanged: the original service's contract, replayed.

VALET was written against the original TypeScript service (WeKruit/GHOST-HANDS). Its
request bodies are built here field for field as that service's schemas define them
(``packages/ghosthands/src/api/schemas/valet.ts``, every version's enums), with every
optional field present and with every one absent, and sent to every ``/valet`` route of
a real ``ghosthands serve``. The answers are checked against the shapes the original
routes returned (``src/api/routes/valet.ts``) and the callbacks against the body its
sender posted (``src/workers/callbackNotifier.ts``), delivered by a real worker.

Where this service deliberately differs, a test says so by name (``*_differs``), so the
list of differences is this file, not a memory.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from ghosthands.api.decoding import ValidationFailed, validate
from ghosthands.api.schemas import (
    ValetApplyRequest,
    ValetResumeRequest,
    ValetReviewRequest,
    ValetTaskRequest,
    WorkerDeregisterRequest,
)
from tests.api.conftest import PREFIX, Api, Client
from tests.support import GhProcess, wait_until
from tests.worker.conftest import plugin_path, receiver, start_worker  # noqa: F401
from tests.worker.helpers import Receiver

VALET = f"{PREFIX}/valet"

# -- the original contract (facts of valet.ts, all versions) -------------------------------

ORIGINAL_PLATFORMS = (
    "greenhouse",
    "workday",
    "linkedin",
    "lever",
    "icims",
    "taleo",
    "smartrecruiters",
    "amazon",
    "other",
)
ORIGINAL_EXECUTION_MODES = (
    "auto",
    "ai_only",
    "cookbook_only",
    "hybrid",
    "smart_apply",
    "agent_apply",
    "mastra",
    "mastra_decision",
)
ORIGINAL_QUALITIES = ("speed", "balanced", "quality")
ORIGINAL_AFFINITIES = ("strict", "preferred", "any")
ORIGINAL_RESOLUTION_TYPES = ("manual", "code_entry", "credentials", "skip")
#: A worker nobody runs: jobs aimed at it strictly are never claimed during a test.
NOBODY = "nobody-runs-this"


def original_profile(full: bool) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "first_name": "Alice",
        "last_name": "Smith",
        "email": "alice@example.com",
    }
    if full:
        profile |= {
            "phone": "+1-555-0100",
            "linkedin_url": "https://linkedin.com/in/alicesmith",
            "portfolio_url": "https://alicesmith.dev",
            "location": {"city": "San Francisco", "state": "CA", "country": "US", "zip": "94102"},
            "work_authorization": "US Citizen",
            "salary_expectation": "$150,000-$180,000",
            "years_of_experience": 8,
            "education": [
                {
                    "institution": "MIT",
                    "degree": "BS",
                    "field": "Computer Science",
                    "graduation_year": 2018,
                }
            ],
            "work_history": [
                {
                    "company": "Google",
                    "title": "Senior Engineer",
                    "start_date": "2020-01",
                    "end_date": "2025-12",
                    "description": "Led frontend team for Search",
                }
            ],
            "skills": ["TypeScript", "React", "Node.js"],
        }
    return profile


def _common(full: bool) -> dict[str, Any]:
    """What ValetApplySchema and ValetTaskSchema share, beyond their required fields."""
    if not full:
        return {}
    return {
        "callback_url": "https://valet.example.com/webhook/gh",
        "quality": "balanced",
        "priority": 5,
        "timeout_seconds": 300,
        "idempotency_key": f"valet-{uuid.uuid4()}",
        "metadata": {"source_page": "dashboard"},
        "target_worker_id": None,
        "worker_affinity": "preferred",
        "model": "qwen-72b",
        "image_model": "qwen-7b",
        "execution_mode": "auto",
        "credit_budget_usd": 0.25,
    }


def original_apply(full: bool, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "valet_task_id": f"valet-{uuid.uuid4()}",
        "valet_user_id": str(uuid.uuid4()),
        "target_url": "https://boards.greenhouse.io/acme/jobs/123",
        "profile": original_profile(full),
        **_common(full),
    }
    if full:
        body |= {
            "platform": "greenhouse",
            "resume": {"storage_path": "resumes/alice-smith-2026.pdf"},
            "qa_answers": {"Are you authorized to work in the US?": "Yes"},
        }
    return body | overrides


def original_task(full: bool, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "valet_task_id": f"valet-{uuid.uuid4()}",
        "valet_user_id": str(uuid.uuid4()),
        "job_type": "scrape",
        "target_url": "https://example.com/jobs",
        "task_description": "Scrape all job listings from this page",
        **_common(full),
    }
    if full:
        body["input_data"] = {"selector": "h2"}
    return body | overrides


# -- checking shapes ---------------------------------------------------------------------


def is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def is_time(value: Any) -> bool:
    try:
        dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def has_shape(body: dict[str, Any], shape: dict[str, Callable[[Any], bool]]) -> None:
    """Every field the original answered is there, with a value of its kind."""
    missing = set(shape) - set(body)
    assert not missing, f"missing original fields {sorted(missing)} in {body}"
    wrong = {k: body[k] for k, ok in shape.items() if not ok(body[k])}
    assert not wrong, f"fields of the wrong kind: {wrong}"


def text(v: Any) -> bool:
    return isinstance(v, str)


def text_or_null(v: Any) -> bool:
    return v is None or isinstance(v, str)


def obj_or_null(v: Any) -> bool:
    return v is None or isinstance(v, dict)


def is_list(v: Any) -> bool:
    return isinstance(v, list)


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


ACCEPTED = {"job_id": is_uuid, "valet_task_id": text, "status": text, "created_at": is_time}


def job_row(api: Api, job_id: str) -> dict[str, Any]:
    return api.sql("SELECT * FROM gh_automation_jobs WHERE id = %s", (job_id,))[0]


def details(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    return {d["field"]: d["message"] for d in body["details"]}


# -- POST /valet/apply and /valet/task ---------------------------------------------------


@pytest.mark.parametrize("full", [True, False], ids=["every-optional-field", "required-only"])
def test_apply_takes_the_original_body_as_sent(api: Api, service: Client, full: bool) -> None:
    body = original_apply(full)
    response = service.post(f"{VALET}/apply", body)
    assert response.status_code == 201, response.text
    answer = response.json()
    has_shape(answer, ACCEPTED)
    assert (answer["valet_task_id"], answer["status"]) == (body["valet_task_id"], "pending")
    row = job_row(api, answer["job_id"])
    assert str(row["user_id"]) == body["valet_user_id"]
    assert (row["job_type"], row["created_by"]) == ("apply", "valet")
    assert row["worker_affinity"] == "preferred"  # the original default
    assert row["execution_mode"] == "auto"
    data = row["input_data"]
    assert data["user_data"]["first_name"] == "Alice"
    if full:
        assert data["user_data"]["location"]["zip"] == "94102"
        assert data["user_data"]["work_history"][0]["end_date"] == "2025-12"
        assert (data["platform"], data["model"], data["image_model"]) == (
            "greenhouse",
            "qwen-72b",
            "qwen-7b",
        )
        assert data["credit_budget_usd"] == 0.25
        assert data["resume"] == {"storage_path": "resumes/alice-smith-2026.pdf"}
        assert row["callback_url"] == body["callback_url"]
        assert row["metadata"] == {"source_page": "dashboard"}
        assert row["target_worker_id"] is None


@pytest.mark.parametrize("full", [True, False], ids=["every-optional-field", "required-only"])
def test_task_takes_the_original_body_as_sent(api: Api, service: Client, full: bool) -> None:
    body = original_task(full)
    response = service.post(f"{VALET}/task", body)
    assert response.status_code == 201, response.text
    answer = response.json()
    has_shape(answer, ACCEPTED)
    row = job_row(api, answer["job_id"])
    assert str(row["user_id"]) == body["valet_user_id"]
    assert (row["job_type"], row["task_description"]) == ("scrape", body["task_description"])
    if full:
        assert row["input_data"]["selector"] == "h2"
        assert row["input_data"]["image_model"] == "qwen-7b"


@pytest.mark.parametrize("platform", ORIGINAL_PLATFORMS)
def test_every_original_platform(api: Api, service: Client, platform: str) -> None:
    response = service.post(f"{VALET}/apply", original_apply(False, platform=platform))
    assert response.status_code == 201, response.text
    assert job_row(api, response.json()["job_id"])["input_data"]["platform"] == platform


@pytest.mark.parametrize("mode", ORIGINAL_EXECUTION_MODES)
def test_every_original_execution_mode(api: Api, service: Client, mode: str) -> None:
    for route, body in (("apply", original_apply(False)), ("task", original_task(False))):
        response = service.post(f"{VALET}/{route}", {**body, "execution_mode": mode})
        assert response.status_code == 201, response.text
        assert job_row(api, response.json()["job_id"])["execution_mode"] == mode


@pytest.mark.parametrize("quality", ORIGINAL_QUALITIES)
@pytest.mark.parametrize("affinity", ORIGINAL_AFFINITIES)
def test_every_original_quality_and_worker_routing(
    api: Api, service: Client, quality: str, affinity: str
) -> None:
    body = original_apply(False, quality=quality, target_worker_id=NOBODY, worker_affinity=affinity)
    response = service.post(f"{VALET}/apply", body)
    assert response.status_code == 201, response.text
    row = job_row(api, response.json()["job_id"])
    assert (row["target_worker_id"], row["worker_affinity"]) == (NOBODY, affinity)
    assert row["input_data"]["quality"] == quality


def test_both_user_id_spellings_and_the_longest_original_timeout(api: Api, service: Client) -> None:
    user = str(uuid.uuid4())
    both = original_apply(False, valet_user_id=user, user_id=user.upper(), timeout_seconds=3600)
    response = service.post(f"{VALET}/apply", both)
    assert response.status_code == 201, response.text
    row = job_row(api, response.json()["job_id"])
    assert str(row["user_id"]) == user
    # The original allowed an hour; a job runs at most 1800 s here (the column's bound).
    assert row["timeout_seconds"] == 1800
    ours = original_apply(False)
    ours["user_id"] = ours.pop("valet_user_id")
    assert service.post(f"{VALET}/apply", ours).status_code == 201


def test_a_used_idempotency_key_answers_the_original_409(api: Api, service: Client) -> None:
    for route, make in (("apply", original_apply), ("task", original_task)):
        body = make(True)
        first = service.post(f"{VALET}/{route}", body).json()
        again = service.post(f"{VALET}/{route}", body)
        assert again.status_code == 409
        answer = again.json()
        # The original's answer, which VALET's client reads to carry on with the job...
        assert answer["job_id"] == first["job_id"]
        assert answer["valet_task_id"] == body["valet_task_id"]
        assert (answer["status"], answer["duplicate"]) == ("pending", True)
        # ...inside this API's error format.
        assert answer["error"] == "duplicate_idempotency_key"
        assert answer["existing_job_id"] == first["job_id"]


def test_original_bodies_that_the_original_refused_are_422(service: Client) -> None:
    found = details(
        service.post(
            f"{VALET}/apply",
            original_apply(
                False,
                platform="monster",
                execution_mode="turbo",
                worker_affinity="sometimes",
                quality="max",
                timeout_seconds=3601,
                credit_budget_usd=0,
            ),
        )
    )
    assert {
        "platform",
        "execution_mode",
        "worker_affinity",
        "quality",
        "timeout_seconds",
        "credit_budget_usd",
    } <= set(found), found
    conflict = original_apply(False, user_id=str(uuid.uuid4()))
    assert (
        "conflicts with user_id"
        in details(service.post(f"{VALET}/apply", conflict))["valet_user_id"]
    )
    neither = original_task(False)
    del neither["valet_user_id"]
    assert details(service.post(f"{VALET}/task", neither)) == {
        "user_id": "required field is missing"
    }


def test_a_resume_with_several_locations_is_refused_by_name(service: Client) -> None:
    """A known difference: the original took any of several locations silently; here
    two locations are ambiguous (which file is the applicant's?) and refused clearly."""
    resume = {"storage_path": "r.pdf", "s3_key": "bucket/r.pdf"}
    answer = service.post(f"{VALET}/apply", original_apply(True, resume=resume))
    assert answer.status_code == 422
    assert "exactly one of storage_path, s3_key, download_url" in answer.text


# -- POST /valet/resume/{job_id} ---------------------------------------------------------


def paused_job(api: Api, service: Client) -> str:
    job_id: str = service.post(
        f"{VALET}/apply", original_apply(False, target_worker_id=NOBODY, worker_affinity="strict")
    ).json()["job_id"]
    api.sql(
        "UPDATE gh_automation_jobs SET status = 'paused', interaction_type = 'captcha', "
        'interaction_data = \'{"url": "https://company.workday.com/apply"}\', '
        "screenshot_urls = '[\"/api/v1/gh/jobs/x/artifacts/blocker\"]', paused_at = now() "
        "WHERE id = %s",
        (job_id,),
    )
    return job_id


RESUMED = {"job_id": is_uuid, "status": text, "resolved_by": text, "resolution_type": text}


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        ({}, {"action": "continue"}),  # every optional field absent
        (
            {"resolved_by": "human", "resolution_type": "manual", "resolution_notes": "Solved"},
            {"action": "continue", "note": "Solved"},
        ),
        (
            {
                "resolved_by": "human",
                "resolution_type": "code_entry",
                "resolution_data": {"code": "123456"},
                "resolution_notes": "Entered the code",
            },
            {"action": "code", "code": "123456", "note": "Entered the code"},
        ),
        (
            {"resolved_by": "system", "resolution_type": "skip", "resolution_data": {}},
            {"action": "skip"},
        ),
        # What VALET's client sends: its own ``notes`` (the original ignored it).
        ({"resolved_by": "human", "notes": "done"}, {"action": "continue", "note": "done"}),
    ],
    ids=["absent", "manual", "code_entry", "skip", "valet-notes"],
)
def test_resume_takes_the_original_body_as_sent(
    api: Api, service: Client, body: dict[str, Any], stored: dict[str, Any]
) -> None:
    job_id = paused_job(api, service)
    response = service.post(f"{VALET}/resume/{job_id}", body)
    assert response.status_code == 202, response.text
    answer = response.json()
    has_shape(answer, RESUMED)
    assert answer["resolved_by"] == body.get("resolved_by", "human")
    assert answer["resolution_type"] == body.get("resolution_type", "manual")
    assert job_row(api, job_id)["resume_ref"] == stored
    event = api.sql(
        "SELECT metadata FROM gh_job_events WHERE job_id = %s AND event_type = 'resume_requested'",
        (job_id,),
    )[0]["metadata"]
    assert event["action"] == stored["action"]
    if "resolved_by" in body:
        assert event["resolved_by"] == body["resolved_by"]


def test_resume_with_original_credentials_seals_the_password(api: Api, service: Client) -> None:
    job_id = paused_job(api, service)
    body = {
        "resolved_by": "human",
        "resolution_type": "credentials",
        "resolution_data": {"email": "alice@example.com", "password": "hunter2!"},
    }
    response = service.post(f"{VALET}/resume/{job_id}", body)
    assert response.status_code == 202, response.text
    ref = job_row(api, job_id)["resume_ref"]
    assert (ref["action"], ref["username"]) == ("credentials", "alice@example.com")
    assert "hunter2!" not in str(ref) and ref["password_enc"]


def test_resume_answers_the_original_errors(api: Api, service: Client) -> None:
    missing = service.post(f"{VALET}/resume/{uuid.uuid4()}", {"resolved_by": "human"})
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    running = service.post(f"{VALET}/apply", original_apply(False)).json()["job_id"]
    api.set_status(running, "running")
    refused = service.post(f"{VALET}/resume/{running}", {"resolved_by": "human"})
    assert (refused.status_code, refused.json()["error"]) == (409, "invalid_state")
    job_id = paused_job(api, service)
    bad = {"resolved_by": "robot", "resolution_type": "telepathy"}
    assert {"resolved_by", "resolution_type"} <= set(
        details(service.post(f"{VALET}/resume/{job_id}", bad))
    )
    no_code = {"resolution_type": "code_entry", "resolution_data": {}}
    assert "resolution_data.code" in details(service.post(f"{VALET}/resume/{job_id}", no_code))


def test_the_resume_answer_status_differs(api: Api, service: Client) -> None:
    """The original answered "running" at once; here the job stays paused until its
    worker takes the answer (then it runs on, and the status says so)."""
    job_id = paused_job(api, service)
    answer = service.post(f"{VALET}/resume/{job_id}", {"resolved_by": "human"}).json()
    assert answer["status"] == "paused"


# -- GET /valet/status/{job_id} ----------------------------------------------------------

STATUS = {
    "job_id": is_uuid,
    "valet_task_id": text_or_null,
    "status": text,
    "status_message": text_or_null,
    "worker_id": text_or_null,
    "progress": obj_or_null,
    "result": obj_or_null,
    "error": obj_or_null,
    "interaction": obj_or_null,
    "execution_mode": text,
    "browser_mode": text,
    "final_mode": text_or_null,
    "manual": obj_or_null,
    "cost_breakdown": obj_or_null,
    "timestamps": lambda v: (
        isinstance(v, dict)
        and is_time(v["created_at"])
        and set(v) == {"created_at", "started_at", "completed_at"}
    ),
}


def test_status_has_the_original_fields_in_every_state(api: Api, service: Client) -> None:
    completed = service.post(f"{VALET}/apply", original_apply(True)).json()["job_id"]
    api.sql(
        "INSERT INTO gh_job_events (job_id, event_type, message, metadata) VALUES "
        "(%s, 'progress', 'Application complete', '{\"step\": \"submitted\", \"percent\": 100}')",
        (completed,),
    )
    api.set_status(
        completed,
        "completed",
        worker_id="worker-1",
        final_mode="form_engine",
        result_summary="Application submitted",
        started_at=dt.datetime.now(dt.UTC),
        completed_at=dt.datetime.now(dt.UTC),
    )
    api.sql(
        "UPDATE gh_automation_jobs SET result_data = '{\"submitted\": true}', "
        "screenshot_urls = '[\"/shot.png\"]' WHERE id = %s",
        (completed,),
    )
    status = service.get(f"{VALET}/status/{completed}").json()
    has_shape(status, STATUS)
    assert (status["worker_id"], status["final_mode"], status["browser_mode"]) == (
        "worker-1",
        "form_engine",
        "server",
    )
    has_shape(
        status["result"], {"data": obj_or_null, "summary": text_or_null, "screenshots": is_list}
    )
    assert status["result"]["screenshots"] == ["/shot.png"]
    assert (status["progress"]["progress_pct"], status["progress"]["description"]) == (
        100,
        "Application complete",
    )
    has_shape(
        status["cost_breakdown"],
        {"total_cost_usd": lambda v: v == 0, "action_count": is_int, "total_tokens": is_int},
    )
    assert status["timestamps"]["completed_at"] is not None

    failed = service.post(f"{VALET}/apply", original_apply(False)).json()["job_id"]
    api.set_status(failed, "failed", error_code="timeout", status_message="Job timed out")
    error = service.get(f"{VALET}/status/{failed}").json()["error"]
    has_shape(error, {"code": lambda v: v == "timeout", "details": obj_or_null})

    paused = paused_job(api, service)
    status = service.get(f"{VALET}/status/{paused}").json()
    has_shape(status, STATUS)
    has_shape(
        status["interaction"],
        {
            "type": lambda v: v == "captcha",
            "screenshot_url": lambda v: v == "/api/v1/gh/jobs/x/artifacts/blocker",
            "page_url": lambda v: v == "https://company.workday.com/apply",
            "paused_at": is_time,
            "timeout_seconds": lambda v: isinstance(v, int) and v > 0,
        },
    )
    missing = service.get(f"{VALET}/status/{uuid.uuid4()}")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")


# -- POST /valet/workers/deregister ------------------------------------------------------

DEREGISTERED = {
    "deregistered_workers": is_list,
    "cancelled_job_ids": is_list,
    "reason": text_or_null,
}


def register(api: Api, worker_id: str) -> None:
    api.sql(
        "INSERT INTO gh_worker_registry (worker_id, host, current_jobs, max_jobs) "
        "VALUES (%s, 'sandbox-host', 1, 1)",
        (worker_id,),
    )


def held_job(api: Api, service: Client, worker_id: str, callback_url: str | None = None) -> str:
    body = original_apply(False, target_worker_id=NOBODY, worker_affinity="strict")
    if callback_url:
        body["callback_url"] = callback_url
    job_id: str = service.post(f"{VALET}/apply", body).json()["job_id"]
    api.sql(
        "UPDATE gh_automation_jobs SET status = 'running', worker_id = %s, "
        "execution_attempt_id = gen_random_uuid(), last_heartbeat = now() WHERE id = %s",
        (worker_id, job_id),
    )
    return job_id


@pytest.mark.parametrize("full", [True, False], ids=["every-optional-field", "required-only"])
def test_deregister_takes_the_original_body_as_sent(api: Api, service: Client, full: bool) -> None:
    name = f"sandbox-{uuid.uuid4().hex[:8]}"
    runs = [name, f"{name}-0123456789ab"]  # the worker by its name, and a run named after it
    for worker_id in [*runs, f"{name}0-0123456789ab"]:  # the last one merely looks alike
        register(api, worker_id)
    job_id = held_job(api, service, runs[1])
    body: dict[str, Any] = {"target_worker_id": name}
    if full:
        body |= {"reason": "sandbox_terminated", "cancel_active_jobs": True}
        body["drain_timeout_seconds"] = 30
    response = service.post(f"{VALET}/workers/deregister", body)
    assert response.status_code == 200, response.text
    answer = response.json()
    has_shape(answer, DEREGISTERED)
    assert sorted(answer["deregistered_workers"]) == sorted(runs)
    assert answer["reason"] == body.get("reason")
    row = job_row(api, job_id)
    if full:  # cancelled: failed with the original's code
        assert answer["cancelled_job_ids"] == [job_id]
        assert (row["status"], row["error_code"]) == ("failed", "worker_deregistered")
        assert row["error_details"]["message"] == "sandbox_terminated"
    else:  # handed back by the one rule
        assert answer["cancelled_job_ids"] == []
        assert row["status"] == "pending"
    statuses = api.sql(
        "SELECT worker_id, status FROM gh_worker_registry WHERE worker_id LIKE %s",
        (f"{name}%",),
    )
    assert {r["worker_id"]: r["status"] for r in statuses} == {
        runs[0]: "offline",
        runs[1]: "offline",
        f"{name}0-0123456789ab": "active",
    }


def test_deregister_answers_the_original_errors(service: Client) -> None:
    response = service.post(f"{VALET}/workers/deregister", {"target_worker_id": "gone"})
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    conflict = {"target_worker_id": "a", "worker_id": "b"}
    assert "target_worker_id" in details(service.post(f"{VALET}/workers/deregister", conflict))
    too_long = {"target_worker_id": "a", "drain_timeout_seconds": 301}
    assert "drain_timeout_seconds" in details(service.post(f"{VALET}/workers/deregister", too_long))


def test_a_job_that_may_have_submitted_is_never_cancelled_blindly(
    api: Api, service: Client
) -> None:
    name = f"sandbox-{uuid.uuid4().hex[:8]}"
    register(api, name)
    job_id = held_job(api, service, name)
    api.sql(
        "INSERT INTO gh_job_events (job_id, event_type, metadata) SELECT id, 'progress', "
        "jsonb_build_object('step', 'submitted', 'execution_attempt_id', "
        "execution_attempt_id::text) FROM gh_automation_jobs WHERE id = %s",
        (job_id,),
    )
    body = {"target_worker_id": name, "cancel_active_jobs": True}
    answer = service.post(f"{VALET}/workers/deregister", body).json()
    assert answer["cancelled_job_ids"] == [] and answer["released_job_ids"] == [job_id]
    assert job_row(api, job_id)["status"] == "awaiting_review"


# -- sessions ----------------------------------------------------------------------------

SESSION = {
    "domain": text,
    "last_used_at": text_or_null,
    "created_at": is_time,
    "updated_at": is_time,
    "expires_at": text_or_null,
}


def test_sessions_answer_the_original_shapes(api: Api, service: Client) -> None:
    user_id = str(uuid.uuid4())
    for domain in ("greenhouse.io", "lever.co", "workday.com"):
        api.sql(
            "INSERT INTO gh_browser_sessions (user_id, domain, storage_state_enc, key_id) "
            "VALUES (%s, %s, %s, 'k1')",
            (user_id, domain, b"sealed"),
        )
    listing = service.get(f"{VALET}/sessions/{user_id}").json()
    has_shape(listing, {"user_id": lambda v: v == user_id, "sessions": is_list, "count": is_int})
    assert listing["count"] == 3
    for session in listing["sessions"]:
        has_shape(session, SESSION)

    one = service.delete(f"{VALET}/sessions/{user_id}/lever.co")
    assert one.status_code == 200
    assert one.json() == {"user_id": user_id, "domain": "lever.co", "deleted": True}
    gone = service.delete(f"{VALET}/sessions/{user_id}/lever.co")
    assert (gone.status_code, gone.json()["error"]) == (404, "not_found")

    # ValetSessionDeleteSchema: a body naming a domain forgets only that one.
    narrowed = service.http.request(
        "DELETE", f"{VALET}/sessions/{user_id}", json={"domain": "workday.com"}
    )
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["deleted_count"] == 1
    rest = service.delete(f"{VALET}/sessions/{user_id}")  # every optional field absent
    has_shape(rest.json(), {"user_id": lambda v: v == user_id, "deleted_count": is_int})
    assert rest.json()["deleted_count"] == 1
    assert "domain" in details(
        service.http.request("DELETE", f"{VALET}/sessions/{user_id}", json={"domain": 7})
    )


# -- the 422s, without a server ----------------------------------------------------------


def errors_of(body: dict[str, Any], model: type[Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        validate(body, model)
    return {e.field: e.message for e in caught.value.errors}


def test_conflicting_user_ids_are_a_422_naming_the_alias() -> None:
    for model, make in ((ValetApplyRequest, original_apply), (ValetTaskRequest, original_task)):
        body = make(False, user_id=str(uuid.uuid4()))
        assert errors_of(body, model) == {
            "valet_user_id": "conflicts with user_id: send one of them, or the same value"
        }
        same = make(False)
        same["user_id"] = same["valet_user_id"]
        assert validate(same, model).owner == uuid.UUID(same["valet_user_id"])


def test_bad_original_enums_are_422s() -> None:
    cases: list[tuple[type[Any], dict[str, Any], str]] = [
        (ValetApplyRequest, original_apply(False, platform="Greenhouse"), "platform"),
        (ValetApplyRequest, original_apply(False, execution_mode="fast"), "execution_mode"),
        (ValetTaskRequest, original_task(False, worker_affinity="none"), "worker_affinity"),
        (ValetTaskRequest, original_task(False, quality="thorough"), "quality"),
        (ValetResumeRequest, {"resolution_type": "email"}, "resolution_type"),
        (ValetResumeRequest, {"resolved_by": "bot"}, "resolved_by"),
        (ValetReviewRequest, {"outcome": "maybe"}, "outcome"),
    ]
    for model, body, field in cases:
        assert field in errors_of(body, model), (model, body)


def test_two_spellings_that_disagree_are_422s() -> None:
    said_twice = {"action": "skip", "resolution_type": "code_entry", "resolution_data": {}}
    assert "resolution_type" in errors_of(said_twice, ValetResumeRequest)
    notes = {"note": "a", "resolution_notes": "b"}
    assert "resolution_notes" in errors_of(notes, ValetResumeRequest)
    bad_code = {"resolution_type": "code_entry", "resolution_data": {"code": ["1"]}}
    assert "resolution_data.code" in errors_of(bad_code, ValetResumeRequest)
    workers = {"worker_id": "a", "target_worker_id": "b"}
    assert "target_worker_id" in errors_of(workers, WorkerDeregisterRequest)
    assert errors_of({}, WorkerDeregisterRequest) == {"worker_id": "required field is missing"}
    draining = {"target_worker_id": "a", "status": "draining", "cancel_active_jobs": True}
    assert "cancel_active_jobs" in errors_of(draining, WorkerDeregisterRequest)
    assert "force" in errors_of({"outcome": "submitted", "force": True}, ValetReviewRequest)


def test_both_resume_spellings_mean_the_same_answer() -> None:
    theirs = validate(
        {"resolution_type": "code_entry", "resolution_data": {"code": 123456}},
        ValetResumeRequest,
    ).resolution()
    ours = validate({"action": "code", "code": "123456"}, ValetResumeRequest).resolution()
    assert theirs == ours


# -- POST /valet/review/{job_id}, with callbacks from a real worker --------------------------


@pytest.fixture
def valet_and_worker(
    start_api: Callable[..., Api],
    start_worker: Callable[..., GhProcess],  # noqa: F811
) -> Api:
    """An API that accepts a loopback callback URL, and a worker delivering callbacks."""
    api = start_api(GH_ALLOW_PRIVATE_NETWORKS="true")
    start_worker()
    return api


def awaiting_review(api: Api, service: Client, callback_url: str, evidence: bool) -> str:
    """A job the worker left for a person (and whose needs_human callback went out)."""
    body = original_apply(False, target_worker_id=NOBODY, worker_affinity="strict")
    body["callback_url"] = callback_url
    job_id: str = service.post(f"{VALET}/apply", body).json()["job_id"]
    api.sql(
        "UPDATE gh_automation_jobs SET status = 'awaiting_review', worker_id = NULL, "
        "execution_attempt_id = gen_random_uuid(), error_code = 'timeout', "
        "status_message = 'timed out after the submit click' WHERE id = %s",
        (job_id,),
    )
    if evidence:
        api.sql(
            "INSERT INTO gh_job_events (job_id, event_type, metadata) SELECT id, 'progress', "
            "jsonb_build_object('step', 'submitting', 'execution_attempt_id', "
            "execution_attempt_id::text) FROM gh_automation_jobs WHERE id = %s",
            (job_id,),
        )
    return job_id


#: The body the original sender posted (callbackNotifier's CallbackPayload).
CALLBACK = {
    "job_id": is_uuid,
    "valet_task_id": text_or_null,
    "status": text,
    "cost": lambda v: (
        isinstance(v, dict) and set(v) >= {"total_cost_usd", "action_count", "total_tokens"}
    ),
    "completed_at": text_or_null,
}


def callbacks_of(receiver: Receiver, job_id: str, event: str) -> list[dict[str, Any]]:  # noqa: F811
    return [
        r
        for r in receiver.accepted
        if r["json"]["job_id"] == job_id and r["json"].get("event") == event
    ]


def test_review_exits_write_events_and_send_original_callbacks(
    valet_and_worker: Api,
    receiver: Receiver,  # noqa: F811
) -> None:
    api = valet_and_worker
    service = api.service()
    submitted = awaiting_review(api, service, receiver.url, evidence=True)
    failed = awaiting_review(api, service, receiver.url, evidence=False)
    retried = awaiting_review(api, service, receiver.url, evidence=True)

    done = service.post(
        f"{VALET}/review/{submitted}", {"outcome": "submitted", "note": "confirmation email"}
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome"]) == ("completed", "submitted")
    not_sent = service.post(f"{VALET}/review/{failed}", {"outcome": "failed", "note": "no email"})
    assert not_sent.json()["status"] == "failed"

    # Retry: this attempt may have submitted, so only with force (the jobs retry rule).
    refused = service.post(f"{VALET}/review/{retried}", {"outcome": "retry"})
    assert (refused.status_code, refused.json()["error"]) == (409, "job_not_retryable")
    assert "may already have submitted" in refused.json()["message"]
    forced = service.post(f"{VALET}/review/{retried}", {"outcome": "retry", "force": True})
    assert forced.status_code == 200, forced.text
    assert (forced.json()["status"], forced.json()["retry_count"]) == ("pending", 1)

    # Only awaiting_review has these exits; only the service may use them.
    again = service.post(f"{VALET}/review/{submitted}", {"outcome": "failed"})
    assert (again.status_code, again.json()["error"]) == (409, "invalid_state")
    assert service.post(f"{VALET}/review/{uuid.uuid4()}", {"outcome": "failed"}).status_code == 404
    user = api.user().post(f"{VALET}/review/{failed}", {"outcome": "retry"})
    assert user.status_code == 403

    for job_id, to_status in ((submitted, "completed"), (failed, "failed"), (retried, "pending")):
        events = api.sql(
            "SELECT from_status, to_status, message FROM gh_job_events WHERE job_id = %s "
            "AND event_type = 'status_changed' AND from_status = 'awaiting_review'",
            (job_id,),
        )
        assert [e["to_status"] for e in events] == [to_status], events
    row = job_row(api, submitted)
    assert row["status_message"] == "confirmation email"
    assert row["result_data"]["submitted"] is True and row["error_code"] is None
    row = job_row(api, failed)
    assert (row["error_code"], row["error_details"]["message"]) == ("timeout", "no email")

    wait_until(
        lambda: (
            callbacks_of(receiver, submitted, "completed")
            and callbacks_of(receiver, failed, "failed")
            and callbacks_of(receiver, retried, "retried")
        ),
        20,
        "the three review callbacks",
    )
    completed = callbacks_of(receiver, submitted, "completed")[0]
    has_shape(completed["json"], CALLBACK)
    body = completed["json"]
    assert body["status"] == "completed" and body["completed_at"]
    assert body["result_data"]["submitted"] is True
    assert body["error_code"] is None
    assert completed["headers"]["x-gh-service-key"]  # what VALET checks
    failure = callbacks_of(receiver, failed, "failed")[0]["json"]
    has_shape(failure, CALLBACK)
    assert (failure["status"], failure["error_code"], failure["error_message"]) == (
        "failed",
        "timeout",
        "no email",
    )
    has_shape(callbacks_of(receiver, retried, "retried")[0]["json"], CALLBACK)


def test_deregister_cancelling_jobs_sends_the_original_failed_callback(
    valet_and_worker: Api,
    receiver: Receiver,  # noqa: F811
) -> None:
    api = valet_and_worker
    service = api.service()
    name = f"sandbox-{uuid.uuid4().hex[:8]}"
    register(api, name)
    job_id = held_job(api, service, name, callback_url=receiver.url)
    body = {"target_worker_id": name, "reason": "sandbox_terminated", "cancel_active_jobs": True}
    assert service.post(f"{VALET}/workers/deregister", body).json()["cancelled_job_ids"] == [job_id]
    wait_until(lambda: callbacks_of(receiver, job_id, "failed"), 20, "the failed callback")
    callback = callbacks_of(receiver, job_id, "failed")[0]["json"]
    has_shape(callback, CALLBACK)
    assert (callback["status"], callback["error_code"], callback["error_message"]) == (
        "failed",
        "worker_deregistered",
        "sandbox_terminated",
    )
