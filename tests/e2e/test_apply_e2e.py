"""Applications through the real product: ``ghosthands serve`` and ``ghosthands work``
processes, real Chromium, the sample careers site on 127.0.0.1, everything over HTTP.

No stand-in contexts here (the browser tests use one): the job is created by
``POST /valet/apply``, claimed and run by the worker process, and read back through the
API (status, artifacts, resume).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ghosthands.sample_site import (
    SAMPLE_PROFILE,
    SAMPLE_QA_ANSWERS,
    SampleSite,
    create_app,
    sample_resume_pdf,
)
from ghosthands.sample_site.server import SiteServer
from tests.support import GhProcess, free_port, wait_until
from tests.worker.helpers import Receiver, execute

SERVICE_SECRET = "svc-secret-for-e2e-apply"
RESUME = sample_resume_pdf()
PNG = b"\x89PNG\r\n\x1a\n"
V1 = "/api/v1/gh"


@pytest.fixture
def careers() -> Iterator[tuple[SampleSite, SiteServer]]:
    """The sample site, plus the resume it hands out as a download_url."""
    site = SampleSite()

    async def resume(request: Request) -> Response:
        return Response(RESUME, media_type="application/pdf")

    app = create_app(site, [Route("/files/ada-lovelace-resume.pdf", resume)])
    with SiteServer(app) as server:
        yield site, server


@dataclass
class Stack:
    api: httpx.Client
    worker: GhProcess

    def status(self, job_id: str) -> dict[str, Any]:
        response = self.api.get(f"{V1}/valet/status/{job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def start_stack(
    gh_process: Callable[..., GhProcess], database_url: str
) -> Iterator[Callable[..., Stack]]:
    """``start_stack(**worker_env)``: an API and a worker process on the test database."""
    clients: list[httpx.Client] = []
    procs: list[GhProcess] = []

    def start(**worker_env: str) -> Stack:
        port = free_port()
        common = {"DATABASE_URL": database_url, "GH_SERVICE_SECRET": SERVICE_SECRET}
        api = gh_process(
            "serve",
            **common,
            GH_API_PORT=str(port),
            GH_ALLOW_PRIVATE_NETWORKS="true",  # the API accepts 127.0.0.1 targets
        )
        worker = gh_process(
            "work",
            **common,
            GH_WORKER_PORT="0",
            GH_POLL_SECONDS="0.5",
            GH_BROWSER_HEADLESS="true",
            GH_BROWSER_TIMEOUT_SECONDS="15",
            GH_WORKER_DRAIN_SECONDS="5",
            GH_CALLBACK_BACKOFF_SECONDS="0.2",
            **worker_env,
        )
        procs.extend([api, worker])
        api.wait_event("role_ready", timeout=30)
        worker.wait_event("role_ready", timeout=30)
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"X-GH-Service-Key": SERVICE_SECRET},
            timeout=10,
        )
        clients.append(client)
        return Stack(client, worker)

    yield start
    for client in clients:
        client.close()
    for proc in procs:  # before the test database is dropped under them
        proc.stop()


def apply_body(server: SiteServer, form: str, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": str(uuid.uuid4()),
        "target_url": f"{server.url}/apply/{form}",
        "profile": SAMPLE_PROFILE,
        "resume": {
            "download_url": f"{server.url}/files/ada-lovelace-resume.pdf",
            "file_name": "ada-lovelace-resume.pdf",
        },
        "qa_answers": SAMPLE_QA_ANSWERS,
        "max_retries": 0,
        **extra,
    }


def submit(stack: Stack, body: dict[str, Any]) -> str:
    response = stack.api.post(f"{V1}/valet/apply", json=body)
    assert response.status_code == 201, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def wait_status(stack: Stack, job_id: str, wanted: str, timeout: float = 45) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        status = stack.status(job_id)
        if status["status"] == wanted:
            return status
        assert status["status"] not in {"failed", "cancelled"} or wanted in {
            "failed",
            "cancelled",
        }, status
        return None

    try:
        result: dict[str, Any] = wait_until(check, timeout, f"job {wanted}", interval=0.2)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- worker ---\n{stack.worker.output[-4000:]}") from None
    return result


def steps_of(stack: Stack, job_id: str) -> list[str]:
    response = stack.api.get(f"{V1}/jobs/{job_id}/events", params={"limit": 500})
    assert response.status_code == 200, response.text
    return [
        e["metadata"]["step"] for e in response.json()["events"] if e["event_type"] == "progress"
    ]


def test_apply_through_serve_and_work_submits_exactly_the_profile(
    start_stack: Callable[..., Stack], careers: tuple[SampleSite, SiteServer]
) -> None:
    site, server = careers
    # Private networks stay closed for the worker: the guard lets through exactly the
    # site's host:port (the production policy plus one named exception).
    stack = start_stack(
        GH_ALLOW_PRIVATE_NETWORKS="false", GH_BROWSER_ALLOWED_HOSTS=server.host_port
    )
    job_id = submit(stack, apply_body(server, "wizard"))
    status = wait_status(stack, job_id, "completed")

    [received] = site.received("wizard")
    assert received.fields == {
        "full_name": "Ada Lovelace",
        "email": "ada.lovelace@example.com",
        "phone": "(415) 555-0132",  # the site's format, after its validation message
        "location": "San Francisco, CA",
        "employer": "Analytical Engines Ltd",
        "job_title": "Senior Software Engineer",
        "school": "University of London",  # profile.education[0].institution
        "degree": "ba",
        "field_of_study": "Mathematics",  # profile.education[0].field
        "graduation_year": "2016",
        "tools": ["python", "postgresql"],
        "relocate": "yes",
        "start_date": "2025-09-01",
        "salary_expectations": "150000",
        "anything_else": "",
    }
    assert received.files["resume"].data == RESUME
    assert received.files["resume"].filename == "ada-lovelace-resume.pdf"

    result = status["result"]
    assert result["data"]["confirmation_id"] == received.confirmation_id
    assert result["data"]["submitted"] is True
    # Progress and cost as VALET reads them.
    assert status["progress"]["step"] == "confirmed"
    assert status["progress"]["details"]["confirmation_id"] == received.confirmation_id
    cost = status["cost_breakdown"]
    assert cost["llm_cost_cents"] == 0 and cost["total_tokens"] == 0  # no model needed
    assert cost["action_count"] > 10
    assert cost["quality"] == "balanced" and cost["job_budget_cents"] > 0
    steps = steps_of(stack, job_id)
    for step in ("navigating", "filling_form", "uploading_resume", "submitting", "confirmed"):
        assert step in steps
    assert steps.count("submitted") == 1

    # The final screenshot is served by the API.
    [shot_url] = result["screenshot_urls"]
    assert shot_url.startswith(f"{V1}/jobs/{job_id}/artifacts/")
    shot = stack.api.get(shot_url)
    assert shot.status_code == 200
    assert shot.headers["content-type"] == "image/png"
    assert shot.content.startswith(PNG) and len(shot.content) > 5000
    # ... and only to callers allowed to see the job.
    assert httpx.get(str(stack.api.base_url) + shot_url).status_code == 401


@pytest.mark.parametrize("paused_cap", ["8", "0"], ids=["context-kept", "context-suspended"])
def test_captcha_pauses_for_a_person_and_skip_continues_to_completion(
    start_stack: Callable[..., Stack],
    careers: tuple[SampleSite, SiteServer],
    database_url: str,
    paused_cap: str,
) -> None:
    """With GH_MAX_PAUSED_JOBS=0 the waiting job gives its browser context up (the worker
    decides that, not the test) and goes on in a restored one."""
    site, server = careers
    receiver = Receiver()
    try:
        # Callbacks go to 127.0.0.1.
        stack = start_stack(GH_ALLOW_PRIVATE_NETWORKS="true", GH_MAX_PAUSED_JOBS=paused_cap)
        job_id = submit(stack, apply_body(server, "captcha", callback_url=receiver.url))
        paused = wait_status(stack, job_id, "paused")

        assert paused["interaction"]["type"] == "captcha"
        assert paused["progress"]["step"] == "blocked"
        assert site.received() == []  # nothing was submitted behind the captcha
        # The blocker's screenshot is already served.
        [shot_url] = paused["result"]["screenshot_urls"]
        assert stack.api.get(shot_url).content.startswith(PNG)
        # needs_human went into the outbox with the pause, and out to VALET.
        outbox = execute(
            database_url,
            "SELECT event, payload FROM gh_callback_outbox WHERE job_id = %s ORDER BY created_at",
            [job_id],
        )
        assert [r["event"] for r in outbox] == ["needs_human"]
        assert outbox[0]["payload"]["interaction_type"] == "captcha"
        wait_until(lambda: receiver.accepted, 15, "the needs_human callback delivered")
        needs_human = receiver.accepted[0]["json"]
        assert needs_human["event"] == "needs_human"
        # The original contract's shape, which VALET's client reads.
        assert (needs_human["status"], needs_human["job_status"]) == ("needs_human", "paused")
        assert needs_human["interaction"]["type"] == "captcha"
        assert needs_human["interaction"]["page_url"].endswith("/apply/captcha")

        if paused_cap == "0":
            stack.worker.wait_event("browser_suspended", job_id=job_id)
        resumed = stack.api.post(f"{V1}/valet/resume/{job_id}", json={"action": "skip"})
        assert resumed.status_code == 202, resumed.text
        done = wait_status(stack, job_id, "completed")
        suspended = stack.worker.find_event("browser_suspended", job_id=job_id)
        restored = stack.worker.find_event("browser_restored", job_id=job_id)
        assert (suspended is not None, restored is not None) == (paused_cap == "0",) * 2

        [received] = site.received("captcha")
        assert received.fields == {"name": "Ada Lovelace", "email": "ada.lovelace@example.com"}
        assert received.files["resume"].data == RESUME
        assert done["result"]["data"]["confirmation_id"] == received.confirmation_id
        assert done["interaction"] is None
        steps = steps_of(stack, job_id)
        assert steps.index("blocked") < steps.index("resumed") < steps.index("submitted")
        events = [
            r["event"]
            for r in execute(
                database_url,
                "SELECT event FROM gh_callback_outbox WHERE job_id = %s ORDER BY created_at",
                [job_id],
            )
        ]
        assert events == ["needs_human", "completed"]
        wait_until(lambda: len(receiver.accepted) == 2, 15, "the completed callback delivered")
        assert receiver.accepted[1]["json"]["event"] == "completed"
    finally:
        receiver.server.close()
