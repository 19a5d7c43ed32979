"""Required questions nothing answers, put to the job's model: real Chromium on the sample
site's wizard, the worker's job context over a real database, and a scripted model
server speaking the OpenAI chat-completions wire format on 127.0.0.1.

The applicant's answers leave out the wizard's step-3 questions ("Are you willing to
relocate?", a radio pair, and "What is your earliest start date?", a date input), so the
form engine alone stops there with ``missing_answer``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from starlette.responses import HTMLResponse
from starlette.routing import Route

from ghosthands.browser.answers import FieldInfo, Profile
from ghosthands.browser.flow import OpenField
from ghosthands.browser.guard import NetworkPolicy
from ghosthands.browser.model_answers import profile_for_model, question_for
from ghosthands.browser.provider import ChromiumProvider
from ghosthands.config import load_settings
from ghosthands.handlers.apply import ApplyHandler, FillFormHandler
from ghosthands.jobs.contract import HandlerResult, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.catalogue import Catalogue
from ghosthands.llm.questions import Question, valid_answer
from ghosthands.llm.task import TaskRunner
from ghosthands.sample_site import SAMPLE_PROFILE, SAMPLE_QA_ANSWERS, SampleSite, create_app
from ghosthands.sample_site.ats.model import reply_body
from ghosthands.sample_site.server import SiteServer
from tests.browser.conftest import browser_settings
from tests.llm.conftest import LocalServer, Recorded, Reply

pytestmark = pytest.mark.anyio

RELOCATE = "Are you willing to relocate?"
START = "What is your earliest start date?"


def apply_input(resume_url: str, **extra: Any) -> dict[str, Any]:
    qa = {k: v for k, v in SAMPLE_QA_ANSWERS.items() if k not in (RELOCATE, START)}
    return {
        "user_data": SAMPLE_PROFILE,
        "qa_answers": qa,
        "resume": {"download_url": resume_url, "filename": "ada-lovelace-resume.pdf"},
        **extra,
    }


# -- the scripted model -------------------------------------------------------------------


class Asked:
    """What one request to the model carried."""

    def __init__(self, request: Recorded) -> None:
        body = request.json()
        self.body = body
        content = body["messages"][1]["content"]
        self.text = "\n".join(p["text"] for p in content if p["type"] == "text")
        self.images = [p for p in content if p["type"] == "image_url"]
        self.questions: list[dict[str, Any]] = json.loads(
            self.text.split("Questions (JSON):\n", 1)[1]
        )

    def labels(self) -> list[str]:
        return [q["label"] for q in self.questions]


def scripted_model(
    answer: Callable[[Asked], dict[str, str]],
    *,
    prompt_tokens: int = 3000,
    completion_tokens: int = 120,
) -> Callable[[Recorded], Reply]:
    """A model that answers each question whose label starts with a key of ``answer(asked)``."""

    def respond(request: Recorded) -> Reply:
        if request.method != "POST" or not request.path.endswith("/chat/completions"):
            return Reply(404, {"error": {"message": "no such route"}})
        asked = Asked(request)
        wanted = answer(asked)
        answers = [
            {"id": q["id"], "answer": text}
            for q in asked.questions
            for label, text in wanted.items()
            if q["label"].startswith(label)
        ]
        body = reply_body(
            {"answers": answers},
            model=asked.body["model"],
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
        return Reply(200, body)

    return respond


def runner(server: LocalServer, *, key: bool = True) -> TaskRunner:
    """A task runner whose OpenAI-compatible endpoint is ``server`` (default model qwen-7b)."""
    env = {
        "OPENAI_BASE_URL": f"{server.url}/v1",
        "GH_DEFAULT_MODEL": "qwen-7b",
        "GH_LLM_MAX_RETRIES": "0",
    }
    if key:
        env["OPENAI_API_KEY"] = "sk-test-form"
    return TaskRunner(load_settings(env))


def handler(server: LocalServer, *, key: bool = True) -> ApplyHandler:
    return ApplyHandler(runner(server, key=key))


def price_cents(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    catalogue = Catalogue.from_settings(load_settings({}))
    return catalogue.resolve(model).price_cents(input_tokens, output_tokens)


def both(asked: Asked) -> dict[str, str]:
    return {RELOCATE: "No", START: "2025-10-06"}


# -- the tests ----------------------------------------------------------------------------


async def test_open_questions_are_answered_by_the_jobs_model(
    sample_site, run_job, resume_server, model_server
) -> None:
    site, server = sample_site
    model = model_server(scripted_model(both))
    checked_when_recorded: list[bool] = []

    def prepare(ctx: Any) -> None:
        # Usage must be recorded before the answer goes into the page.
        record = ctx.record_llm_usage

        async def recording(*args: Any) -> None:
            checked_when_recorded.append(
                await ctx.browser.page.evaluate(
                    "() => !!document.querySelector('[name=relocate]:checked')"
                )
            )
            await record(*args)

        ctx.record_llm_usage = recording

    result, ctx = await run_job(
        handler(model),
        f"{server.url}/apply/wizard",
        apply_input(resume_server, model="gpt-4o-mini"),
        prepare=prepare,
    )

    assert isinstance(result, HandlerResult), result
    [received] = site.received("wizard")
    assert received.fields["relocate"] == "no"
    assert received.fields["start_date"] == "2025-10-06"
    assert received.fields["full_name"] == "Ada Lovelace"  # the profile still fills the rest
    assert result.result_data["submitted"] is True
    assert result.result_data["answers_from_model"] == [
        {"question": q, "answer": a, "model": "gpt-4o-mini"}
        for q, a in [(RELOCATE + " *", "No"), (START, "2025-10-06")]
    ]
    assert {f["source"] for f in result.result_data["fields"]} >= {"model:gpt-4o-mini"}

    # One call for the step's two questions, to the model the job named.
    [request] = model.posts()
    asked = Asked(request)
    assert asked.body["model"] == "gpt-4o-mini"
    assert request.headers["authorization"] == "Bearer sk-test-form"
    assert asked.body["tool_choice"]["function"]["name"] == "answer_questions"
    by_label = {q["label"].rstrip(" *"): q for q in asked.questions}
    assert by_label[RELOCATE]["kind"] == "radio"
    assert by_label[RELOCATE]["options"] == ["Yes", "No"]
    assert by_label[START]["kind"] == "date"
    assert all(q["required"] for q in asked.questions)
    assert '"first_name":"Ada"' in asked.text  # the profile
    assert '"How did you hear about this job?":"LinkedIn"' in asked.text  # the qa_answers
    assert asked.images == []  # balanced: text only

    # Priced by the catalogue, recorded on the job before the answer was used.
    cost = price_cents("gpt-4o-mini", 3000, 120)
    assert cost == Decimal("0.0522")
    assert ctx.usage_calls == [("gpt-4o-mini", 3000, 120, float(cost))]
    assert checked_when_recorded == [False]
    assert Decimal(str((await ctx.row())["llm_cost_cents"])) == cost
    steps = await ctx.steps()
    assert steps.index("asking_model") < steps.index("model_answered") < steps.index("submitted")


async def test_an_answer_that_is_not_an_option_is_dropped(
    sample_site, run_job, resume_server, model_server
) -> None:
    site, server = sample_site
    model = model_server(scripted_model(lambda _: {RELOCATE: "Maybe", START: "2025-10-06"}))
    result, ctx = await run_job(
        handler(model), f"{server.url}/apply/wizard", apply_input(resume_server)
    )

    assert isinstance(result, JobFailure), result
    assert result.code == ErrorCode.MISSING_ANSWER
    assert [q.rstrip(" *") for q in result.details["questions"]] == [RELOCATE]
    # The answer that fitted went in, and is reported; nothing was submitted.
    assert result.details["answers_from_model"] == [
        {"question": START, "answer": "2025-10-06", "model": "qwen-7b"}
    ]
    assert site.received() == []
    assert "submitted" not in await ctx.steps()
    assert len(model.posts()) == 1  # asked once for the step, not again
    assert [call[0] for call in ctx.usage_calls] == ["qwen-7b"]


async def test_without_a_key_the_engine_fails_as_before(
    sample_site, run_job, resume_server, model_server
) -> None:
    site, server = sample_site
    model = model_server(scripted_model(both))
    result, ctx = await run_job(
        handler(model, key=False), f"{server.url}/apply/wizard", apply_input(resume_server)
    )

    assert isinstance(result, JobFailure), result
    assert result.code == ErrorCode.MISSING_ANSWER
    assert sorted(q.rstrip(" *") for q in result.details["questions"]) == [RELOCATE, START]
    assert RELOCATE in result.message
    assert model.requests == []
    assert ctx.usage_calls == []
    assert site.received() == []
    assert "asking_model" not in await ctx.steps()


async def test_the_speed_preset_asks_no_model(
    sample_site, run_job, resume_server, model_server
) -> None:
    site, server = sample_site
    model = model_server(scripted_model(both))
    result, ctx = await run_job(
        handler(model), f"{server.url}/apply/wizard", apply_input(resume_server, quality="speed")
    )

    assert isinstance(result, JobFailure), result
    assert result.code == ErrorCode.MISSING_ANSWER
    assert model.requests == []
    assert ctx.usage_calls == []
    assert site.received() == []


async def test_a_budget_spent_mid_form_stops_the_job_before_it_submits(
    sample_site, run_job, resume_server, model_server
) -> None:
    site, server = sample_site
    # 5M prompt tokens of qwen-7b: 100 cents, over the balanced preset's 50.
    model = model_server(scripted_model(both, prompt_tokens=5_000_000, completion_tokens=0))
    result, ctx = await run_job(
        handler(model), f"{server.url}/apply/wizard", apply_input(resume_server)
    )

    assert isinstance(result, JobFailure), result
    assert result.code == ErrorCode.BUDGET_EXCEEDED
    assert site.received() == []
    steps = await ctx.steps()
    assert steps.count("filling_form") == 3  # steps 1 and 2 done, stopped at step 3
    assert "submitting" not in steps and "submitted" not in steps
    # What the call cost is on the job all the same.
    cost = price_cents("qwen-7b", 5_000_000, 0)
    assert cost == Decimal(100)
    assert ctx.usage_calls == [("qwen-7b", 5_000_000, 0, float(cost))]
    assert Decimal(str((await ctx.row())["llm_cost_cents"])) == cost


async def test_the_quality_preset_shows_a_screenshot_for_what_text_left_open(
    sample_site, run_job, resume_server, model_server
) -> None:
    site, server = sample_site

    def answer(asked: Asked) -> dict[str, str]:
        # Without the picture this model only dares the date.
        return {RELOCATE: "Yes", START: "2025-10-06"} if asked.images else {START: "2025-10-06"}

    model = model_server(scripted_model(answer))
    result, ctx = await run_job(
        handler(model),
        f"{server.url}/apply/wizard",
        apply_input(resume_server, quality="quality", model="gpt-4o-mini"),
    )

    assert isinstance(result, HandlerResult), result
    [received] = site.received("wizard")
    assert received.fields["relocate"] == "yes"
    assert received.fields["start_date"] == "2025-10-06"
    first, second = (Asked(r) for r in model.posts())
    assert first.images == []
    assert len(first.questions) == 2
    assert [q.rstrip(" *") for q in second.labels()] == [RELOCATE]
    [image] = second.images
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
    assert [a["answer"] for a in result.result_data["answers_from_model"]] == [
        "Yes",
        "2025-10-06",
    ]
    assert len(ctx.usage_calls) == 2


async def test_an_unknown_model_is_refused_before_any_work(
    sample_site, run_job, resume_server, model_server
) -> None:
    _, server = sample_site
    model = model_server(scripted_model(both))
    result, ctx = await run_job(
        handler(model), f"{server.url}/apply/wizard", apply_input(resume_server, model="nope")
    )
    assert isinstance(result, JobFailure), result
    assert result.code == ErrorCode.INVALID_INPUT
    assert "navigating" not in await ctx.steps()
    assert model.requests == []


SCREENING = """<!doctype html><html><head><title>Initech screening</title></head><body>
<form method="post" action="/submit/classic" enctype="multipart/form-data">
  <label for="fn">First name *</label><input id="fn" name="first_name" required>
  <label for="why">Why do you want to work at Initech? *</label>
  <textarea id="why" name="why" maxlength="60" required></textarea>
  <label for="office">Preferred office *</label>
  <select id="office" name="office" required>
    <option value="">Choose one</option><option value="ber">Berlin</option>
    <option value="lis">Lisbon</option>
  </select>
  <button type="submit">Submit application</button>
</form></body></html>"""


@pytest.fixture
async def screening_site() -> AsyncIterator[tuple[SampleSite, SiteServer, ChromiumProvider]]:
    """The sample site plus a screening page, and a browser allowed to reach them."""

    async def page(request: Any) -> HTMLResponse:
        return HTMLResponse(SCREENING)

    site = SampleSite()
    with SiteServer(create_app(site, [Route("/apply/screening", page)])) as server:
        policy = NetworkPolicy(
            allow_private_networks=False, allowed_hosts=frozenset({server.host_port})
        )
        async with ChromiumProvider(browser_settings(), policy=policy) as chromium:
            yield site, server, chromium


async def test_fill_form_answers_within_the_fields_limits(
    screening_site, run_job, model_server
) -> None:
    site, server, chromium = screening_site
    why = "I have admired Initech's engineering culture for years and want to help it grow."

    def answer(asked: Asked) -> dict[str, str]:
        return {"Why do you want": why, "Preferred office": "lisbon"}

    model = model_server(scripted_model(answer))
    result, _ = await run_job(
        FillFormHandler(runner(model)),
        f"{server.url}/apply/screening",
        {"user_data": SAMPLE_PROFILE},
        chromium=chromium,
    )

    assert isinstance(result, HandlerResult), result
    [received] = site.received("classic")
    assert received.fields["first_name"] == "Ada"
    assert received.fields["why"] == "I have admired Initech's engineering culture for years and"
    assert received.fields["office"] == "lis"
    [asked] = [Asked(r) for r in model.posts()]
    assert [(q["kind"], q["max_length"], q["options"]) for q in asked.questions] == [
        ("textarea", 60, []),
        ("select", None, ["Berlin", "Lisbon"]),
    ]
    assert [a["answer"] for a in result.result_data["answers_from_model"]] == [
        "I have admired Initech's engineering culture for years and",
        "Lisbon",
    ]


def test_what_a_model_is_never_asked() -> None:
    def ask(**kw: Any) -> Any:
        return question_for(0, OpenField(FieldInfo(gh_id="g", **kw)))

    consent = ask(kind="checkbox", labels=["I certify my answers are true *"], required=True)
    gender = ask(kind="radio", group_label="Gender *", options=[{"text": "Female"}])
    select = ask(
        kind="select",
        labels=["Preferred office"],
        options=[{"text": "Select…", "value": ""}, {"text": "Berlin", "value": "b"}],
    )
    years = ask(kind="text", input_type="number", labels=["Years with Go"], placeholder="e.g. 3")
    assert consent is None and gender is None
    assert (select.kind, select.options) == ("select", ["Berlin"])
    assert (years.kind, years.label) == ("number", "Years with Go (e.g. 3)")


def test_answers_must_fit_the_fields_constraints() -> None:
    number = Question("n", "Years with Go", "number")
    date = Question("d", "Start date", "date")
    zip_code = Question("z", "ZIP code", "text", pattern=r"\d{5}")
    assert valid_answer(number, " 1,500 ") == "1500"
    assert valid_answer(number, "about five") is None
    assert valid_answer(date, "2025-10-06") == "2025-10-06"
    assert valid_answer(date, "next Monday") is None
    assert valid_answer(zip_code, "94107") == "94107"
    assert valid_answer(zip_code, "941") is None
    unreadable = Question("x", "Code", "text", pattern="[unclosed")
    assert valid_answer(unreadable, "anything") == "anything"


def test_a_model_never_sees_self_identification() -> None:
    profile = msgspec.convert(
        {
            **SAMPLE_PROFILE,
            "eeo": {"gender": "Female"},
            "gender": "Female",
            "date_of_birth": "1990-12-10",
        },
        Profile,
    )
    shown = profile_for_model(profile)
    assert shown["first_name"] == "Ada" and shown["skills"]
    assert not {"eeo", "gender", "date_of_birth"} & set(shown)
    assert all(v not in (None, "", [], {}) for v in shown.values())
