"""Applications to replicas of real applicant tracking systems (``ghosthands.sample_site.ats``:
Greenhouse job boards and legacy embed, Lever, Workday, Ashby, SmartRecruiters, iCIMS),
through the real product: ``ghosthands serve`` and ``ghosthands work``, Chromium, VALET's
``POST /valet/apply``, and a scripted model (OpenAI wire format) that answers the
screening questions only a model can answer.

Each application must end ``completed`` with exactly one submission carrying every
field right (``Replica.expected``), the resume's bytes, no request for the browser agent,
and a cost equal to the scripted usage priced by the catalogue. The Workday replica must
first pause for a person at its sign-in wall (answered with its account's credentials).

Before that, each replica is checked on its own with a filler that knows it (``oracle``):
it can be completed with a perfect score, and an empty required answer sends nothing.
So a failure of the second test is the product's, not the fixture's.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import async_playwright

from ghosthands.db.embedded import EmbeddedPostgres
from ghosthands.sample_site.ats import (
    HELD_OUT,
    REPLICAS,
    ScriptedModel,
    ServedReplicas,
    score,
    serve_replicas,
)
from ghosthands.sample_site.ats.model import COMPLETION_TOKENS, PROMPT_TOKENS
from ghosthands.sample_site.ats.oracle import LEAVE_EMPTY, ORACLES
from ghosthands.sample_site.ats.runner import (
    MODEL,
    apply_body,
    describe,
    expected_cost_cents,
    run_application,
)
from tests.conftest import TEMPLATE, _create_database, _drop_database
from tests.support import GhProcess, clean_env, free_port

SERVICE_SECRET = "svc-secret-for-e2e-ats"
CHROMIUM = "/usr/bin/chromium"
NAMES = list(REPLICAS)
#: Pages written after the engine: only their fixtures are checked here (bench.ats
#: --held-out measures the engine on them); every page the suite grades the engine on
#: is in NAMES.
FIXTURES = {**REPLICAS, **{r.name: r for r in HELD_OUT}}


@pytest.fixture(scope="module")
def served() -> Iterator[ServedReplicas]:
    with serve_replicas() as replicas:
        yield replicas


@pytest.fixture(scope="module")
def model() -> Iterator[ScriptedModel]:
    with ScriptedModel() as scripted:
        yield scripted


@dataclass
class Stack:
    api: httpx.Client
    serve: GhProcess
    worker: GhProcess


@pytest.fixture(scope="module")
def stack(
    pg_cluster: EmbeddedPostgres, served: ServedReplicas, model: ScriptedModel
) -> Iterator[Stack]:
    """One API and one worker (one job at a time) for every application of the module."""
    database = _create_database(pg_cluster, TEMPLATE)
    common = {
        "DATABASE_URL": pg_cluster.dsn_for(database),
        "GH_SERVICE_SECRET": SERVICE_SECRET,
        # The API seals the credentials a person gives at a sign-in wall; the worker opens them.
        "GH_ENCRYPTION_KEY": secrets.token_hex(32),
    }
    port = free_port()
    api = GhProcess(
        ["serve"],
        clean_env(**common, GH_API_PORT=str(port), GH_ALLOW_PRIVATE_NETWORKS="true"),
    )
    worker = GhProcess(
        ["work"],
        clean_env(
            **common,
            GH_WORKER_PORT="0",
            GH_POLL_SECONDS="0.5",
            MAX_CONCURRENT_JOBS="1",
            GH_BROWSER_HEADLESS="true",
            GH_BROWSER_TIMEOUT_SECONDS="15",
            GH_WORKER_DRAIN_SECONDS="5",
            # The production policy plus the two replica origins, named.
            GH_ALLOW_PRIVATE_NETWORKS="false",
            GH_BROWSER_ALLOWED_HOSTS=served.host_ports,
            OPENAI_BASE_URL=model.url,
            OPENAI_API_KEY="sk-scripted-model",
            GH_DEFAULT_MODEL=MODEL,
            GH_LLM_MAX_RETRIES="0",
        ),
    )
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"X-GH-Service-Key": SERVICE_SECRET},
        timeout=15,
    )
    try:
        api.wait_event("role_ready", timeout=30)
        worker.wait_event("role_ready", timeout=30)
        yield Stack(client, api, worker)
    finally:
        client.close()
        api.stop()
        worker.stop()
        _drop_database(pg_cluster, database)


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(FIXTURES))
async def test_replica_can_be_completed_and_refuses_an_incomplete_form(
    name: str, served: ServedReplicas
) -> None:
    """The fixture itself: a filler that knows the replica gets a perfect score, and the
    replica sends nothing while a required answer is missing."""
    replica = FIXTURES[name]
    site = served.site
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            before = len(site.received(name))
            context = await browser.new_context()
            page = await context.new_page()
            page.set_default_timeout(10_000)
            await ORACLES[name](page, served, None)
            await context.close()
            sent = site.received(name)[before:]
            assert len(sent) == 1
            result = score(replica, sent[0])
            assert result.perfect, result.describe()
            assert result.right == result.required == replica.required_count

            before = len(site.received(name))
            posts = len(site.unsafe_requests(replica.submit_path))
            context = await browser.new_context()
            page = await context.new_page()
            page.set_default_timeout(10_000)
            await ORACLES[name](page, served, LEAVE_EMPTY[name])
            await page.wait_for_timeout(500)
            await context.close()
            assert len(site.received(name)) == before, "an incomplete form was submitted"
            assert len(site.unsafe_requests(replica.submit_path)) == posts, "a request left"
        finally:
            await browser.close()


@pytest.mark.parametrize("name", NAMES)
def test_application_through_serve_and_work(
    name: str, stack: Stack, served: ServedReplicas, model: ScriptedModel
) -> None:
    replica = REPLICAS[name]
    outcome = run_application(stack.api, served, replica, model)
    report = describe(outcome) + "\n--- worker (tail) ---\n" + stack.worker.output[-3000:]

    if replica.login is not None:
        # A candidate account is required: the job must pause for a person first.
        assert outcome.paused_for[:1] == ["login"], report
    else:
        assert outcome.paused_for == [], report
    assert outcome.status == "completed", report
    assert len(outcome.submissions) == 1, report
    assert outcome.score is not None and outcome.score.perfect, report
    data = outcome.final["result"]["data"]
    assert data["submitted"] is True, report
    if replica.shows_confirmation_id:
        assert data["confirmation_id"], report

    # The model: asked only for answer_questions, and asked every model-only question.
    assert all(call.status == 200 for call in outcome.model_calls), report
    answered = {
        question["label"]
        for call in outcome.billed_calls
        for question in call.questions
        if str(question.get("id")) in call.answered
    }
    for question in replica.model_fields.values():
        assert any(question.rstrip("?.").lower() in label.lower() for label in answered), report
    # The cost VALET reads is the scripted usage at the catalogue's price.
    calls = len(outcome.billed_calls)
    assert outcome.cost_cents == expected_cost_cents(calls), report
    assert outcome.total_tokens == calls * (PROMPT_TOKENS + COMPLETION_TOKENS), report


def test_the_same_applicant_again_replays_the_models_answers_through_the_worker(
    stack: Stack, served: ServedReplicas, model: ScriptedModel
) -> None:
    """Learned replay as the worker wires it (its manual store): the applicant's second
    application to the same posting submits right with no model call and no cost."""
    replica = REPLICAS["lever"]
    applicant = str(uuid.uuid4())
    runs = [
        run_application(
            stack.api, served, replica, model, body=apply_body(served, replica, user_id=applicant)
        )
        for _ in range(2)
    ]
    report = "\n".join(describe(o) for o in runs)
    first, again = runs
    for outcome in runs:
        assert outcome.status == "completed", report
        assert outcome.score is not None and outcome.score.perfect, report
    assert len(first.billed_calls) == 1, report
    assert again.billed_calls == [] and again.cost_cents == 0, report
    assert again.final["final_mode"] == "form_engine+manual", report
    learned = again.final["result"]["data"]["answers_from_model"]
    assert learned and all(entry.get("learned") is True for entry in learned), report
