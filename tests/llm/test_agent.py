"""The agent and the custom handler on real Chromium, driven by a scripted model over
the OpenAI wire format, with usage and actions written to the real test database."""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from playwright.async_api import Browser

from ghosthands.config import Settings, load_settings
from ghosthands.db.manuals import ManualStore
from ghosthands.db.pool import Database
from ghosthands.handlers.custom import CustomHandler, CustomInput
from ghosthands.jobs.contract import HandlerResult, HumanResolution, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.manuals import Manual, task_key, url_pattern
from ghosthands.llm.task import TaskRunner
from ghosthands.worker.testing import JobBench, TestJobContext
from tests.llm.conftest import (
    LocalServer,
    Recorded,
    Reply,
    Responder,
    job_row,
    site,
    user_usage,
)
from tests.llm.scripted import (
    DONE,
    SCREENING,
    SCREENING_TASK,
    Seen,
    model,
    screening_model,
    tool_reply,
)

pytestmark = pytest.mark.anyio

#: gpt-4o-mini: $0.15 / $0.60 per million tokens; 1000 in + 50 out = 0.018 cents a call.
CALL_CENTS = Decimal("0.0180")


def settings_for(llm: LocalServer, **extra: str) -> Settings:
    return load_settings(
        {
            "OPENAI_API_KEY": "sk-scripted-agent-key",
            "OPENAI_BASE_URL": llm.url + "/v1",
            "GH_DEFAULT_MODEL": "gpt-4o-mini",
            "GH_LLM_MAX_RETRIES": "0",
            # A pause nobody answers ends in a second; an answer is seen at once.
            "GH_HITL_TIMEOUT_SECONDS": "1",
            "GH_POLL_SECONDS": "0.05",
            **extra,
        }
    )


async def run_custom(
    db: Database,
    browser: Browser,
    settings: Settings,
    url: str,
    task: str,
    input_data: dict[str, Any],
    *,
    human: Callable[[str, dict[str, Any]], HumanResolution | None] | None = None,
    user_id: uuid.UUID | None = None,
    spent_before: Decimal = Decimal(0),
) -> tuple[TestJobContext, HandlerResult | JobFailure, str]:
    """Run one custom job end to end; return its context, result or failure, page text.
    ``spent_before``: what an earlier attempt of the job spent (recorded, then retried)."""
    bench = JobBench(db, settings)
    context = await browser.new_context()
    try:
        ctx = await bench.start(
            "custom",
            url,
            input_data,
            task_description=task,
            user_id=user_id,
            browser=context,
            human=human,
        )
        if spent_before:
            await ctx.record_llm_usage("earlier-attempt", 0, 0, float(spent_before))
            ctx = await bench.retry(ctx, browser=context)
        handler = CustomHandler(TaskRunner(settings, manuals=ManualStore(db)))
        outcome: HandlerResult | JobFailure
        try:
            outcome = await handler.run(ctx, msgspec.convert(input_data, CustomInput))
        except JobFailure as exc:
            outcome = exc
        text = await context.pages[0].inner_text("body")
    finally:
        await context.close()
    return ctx, outcome, text


async def find_manual(db: Database, url: str, job_type: str, task: str) -> Manual | None:
    row = await ManualStore(db).find(url_pattern(url), job_type, task_key(task))
    return msgspec.convert(row, Manual) if row is not None else None


async def test_agent_passes_a_screening_that_needs_judgement(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    site_server = local_server(site({"/apply": SCREENING, "/done": DONE}))
    llm = local_server(model(screening_model))
    ctx, outcome, text = await run_custom(
        db,
        browser,
        settings_for(llm),
        site_server.url + "/apply",
        SCREENING_TASK,
        {"data": {"email": "jane@example.com"}},
    )

    assert isinstance(outcome, HandlerResult), outcome
    assert "Application received for jane@example.com, starting In two weeks" in text
    assert outcome.final_mode == "agent"
    assert outcome.summary == "Applied; reference GH-42."
    # begin, answer, open the combobox, pick, fill+fill+submit, done
    calls = llm.posts()
    assert len(calls) == 6 == outcome.result_data["model_calls"]
    seen = [Seen(c) for c in calls]
    assert all(s.images for s in seen), "a vision model gets a screenshot every step"
    assert seen[0].body["model"] == "gpt-4o-mini"
    assert "{{email}} = jane@example.com" in seen[0].text

    row = await job_row(db, ctx.job.id)
    assert row["llm_cost_cents"] == 6 * CALL_CENTS
    assert row["total_tokens"] == 6 * 1050
    assert row["action_count"] == 7
    usage = await user_usage(db, ctx.job.user_id)
    assert usage is not None and usage["cost_cents"] == 6 * CALL_CENTS

    manual = await find_manual(db, site_server.url + "/apply", "custom", SCREENING_TASK)
    assert manual is not None
    assert [s.action for s in manual.steps] == [
        "click", "click", "click", "click", "fill", "fill", "click", "done",
    ]  # fmt: skip
    assert manual.steps[0].selector == "#begin"
    assert manual.steps[1].selector == 'div:text-is("Canberra")'  # not an index: shuffled
    assert manual.steps[4].value == "{{email}}"
    assert manual.steps[-1].url == url_pattern(site_server.url + "/done")


async def test_second_run_on_the_site_replays_the_manual_with_no_model_call(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    site_server = local_server(site({"/apply": SCREENING, "/done": DONE}))
    llm = local_server(model(screening_model))
    settings = settings_for(llm)
    url = site_server.url + "/apply"
    await run_custom(
        db, browser, settings, url, SCREENING_TASK, {"data": {"email": "jane@example.com"}}
    )
    calls_after_first = len(llm.posts())
    assert calls_after_first == 6

    ctx, outcome, text = await run_custom(
        db, browser, settings, url, SCREENING_TASK, {"data": {"email": "sam@example.com"}}
    )

    assert isinstance(outcome, HandlerResult), outcome
    assert len(llm.posts()) == calls_after_first, "the replay made a model call"
    assert outcome.final_mode == "manual"
    assert outcome.result_data["model_calls"] == 0
    # The recorded {{email}} took this job's value.
    assert "Application received for sam@example.com, starting In two weeks" in text
    row = await job_row(db, ctx.job.id)
    assert row["llm_cost_cents"] == 0
    assert row["action_count"] == 7
    manual = await find_manual(db, url, "custom", SCREENING_TASK)
    assert manual is not None
    assert (manual.success_count, manual.failure_count) == (2, 0)
    assert manual.health_score == 1.0

    # Another task on the same site has no manual: it goes to the model.
    other = await find_manual(db, url, "custom", "Only read the intro.")
    assert other is None


async def test_replay_falls_back_to_the_agent_at_the_first_mismatch(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    pages = {"/apply": SCREENING, "/done": DONE}
    site_server = local_server(site(pages))
    llm = local_server(model(screening_model))
    settings = settings_for(llm)
    url = site_server.url + "/apply"
    await run_custom(
        db, browser, settings, url, SCREENING_TASK, {"data": {"email": "jane@example.com"}}
    )
    first = len(llm.posts())

    # The site renames its submit button: the last replay step no longer matches.
    pages["/apply"] = SCREENING.replace(">Submit application<", ">Send application<")
    _, outcome, text = await run_custom(
        db, browser, settings, url, SCREENING_TASK, {"data": {"email": "sam@example.com"}}
    )

    assert isinstance(outcome, HandlerResult), outcome
    assert outcome.final_mode == "manual+agent"
    assert "step 7" in outcome.result_data["manual_mismatch"]
    assert "Application received for sam@example.com" in text
    resumed = [Seen(c) for c in llm.posts()[first:]]
    # The agent picked up where the replay stopped: the form was already filled in.
    assert len(resumed) == 2
    assert "(already done) fill" in resumed[0].text
    manual = await find_manual(db, url, "custom", SCREENING_TASK)
    assert manual is not None
    assert manual.failure_count == 1
    assert manual.health_score < 1.0
    assert any(
        '"Send application"' in (s.label or "") or s.label == "Send application"
        for s in manual.steps
    )


async def test_a_loop_of_identical_actions_is_cut_off(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    stuck = (
        "<!doctype html><title>Listings</title><h1>Open roles</h1>"
        "<button onclick='void 0'>Load more</button><p>Nothing more to show.</p>"
    )
    site_server = local_server(site({"/jobs": stuck}))
    llm = local_server(
        model(lambda seen: tool_reply([{"action": "click", "index": seen.index('"Load more"')}]))
    )
    ctx, outcome, _ = await run_custom(
        db, browser, settings_for(llm), site_server.url + "/jobs", "Load every listing.", {}
    )

    assert isinstance(outcome, JobFailure)
    assert outcome.code == ErrorCode.AGENT_LOOP
    assert "unchanged page 3 times" in outcome.message
    assert len(llm.posts()) == 3
    row = await job_row(db, ctx.job.id)
    assert row["action_count"] == 2, "the third identical click is refused, not carried out"
    assert row["llm_cost_cents"] == 3 * CALL_CENTS


COUNTER = (
    "<!doctype html><title>Catalogue</title><p id='n'>Item 0</p>"
    "<button onclick=\"const p=document.getElementById('n');"
    "p.textContent='Item '+(+p.textContent.split(' ')[1]+1)\">Next item</button>"
)


def burner(prompt_tokens: int, completion_tokens: int) -> Responder:
    """A model that never finishes: it clicks on through an endless catalogue."""
    return model(
        lambda seen: tool_reply(
            [{"action": "click", "index": seen.index('"Next item"')}],
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
    )


async def test_a_model_burning_tokens_stops_at_the_budget_with_the_exact_cost(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    site_server = local_server(site({"/items": COUNTER}))
    # Each call reports 200k prompt tokens, far above our estimate of the prompt:
    # (200000 * 0.15 + 500 * 0.60) / 1e6 USD = 3.03 cents a call; speed budget 5 cents.
    llm = local_server(burner(200_000, 500))
    ctx, outcome, text = await run_custom(
        db, browser, settings_for(llm), site_server.url + "/items", "Read every item.",
        {"quality": "speed"},
    )  # fmt: skip

    per_call = Decimal("3.03")
    assert isinstance(outcome, JobFailure)
    assert outcome.code == ErrorCode.BUDGET_EXCEEDED
    calls = len(llm.posts())
    assert calls == 2
    row = await job_row(db, ctx.job.id)
    assert row["llm_cost_cents"] == calls * per_call == Decimal("6.06")
    assert row["total_tokens"] == calls * 200_500
    assert Decimal(5) < row["llm_cost_cents"] <= Decimal(5) + per_call
    assert [c[3] for c in ctx.usage_calls] == [3.03, 3.03]
    usage = await user_usage(db, ctx.job.user_id)
    assert usage is not None and usage["cost_cents"] == Decimal("6.06")
    assert "Item 1" in text, "the over-budget reply's click was never carried out"


async def test_earlier_attempts_spend_counts_against_the_job_budget(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    site_server = local_server(site({"/items": COUNTER}))
    llm = local_server(burner(200_000, 500))  # 3.03 cents a call
    ctx, outcome, _ = await run_custom(
        db, browser, settings_for(llm), site_server.url + "/items", "Read every item.",
        {"quality": "speed"}, spent_before=Decimal(4),
    )  # fmt: skip
    assert isinstance(outcome, JobFailure)
    assert outcome.code == ErrorCode.BUDGET_EXCEEDED
    assert len(llm.posts()) == 1, "an earlier attempt's 4 cents left room for one call"
    assert (await job_row(db, ctx.job.id))["llm_cost_cents"] == Decimal("7.03")


async def test_the_users_month_caps_the_job_and_a_spent_month_refuses_it(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    site_server = local_server(site({"/items": COUNTER}))
    llm = local_server(burner(200_000, 500))
    user = uuid.uuid4()
    async with db.connection() as conn:  # 49 of the free tier's 50 cents are spent
        await conn.execute(
            "INSERT INTO gh_user_usage (user_id, period_start, tier, cost_cents) VALUES "
            "(%s, date_trunc('month', now() AT TIME ZONE 'UTC')::date, 'free', 49)",
            (user,),
        )
    settings = settings_for(llm)
    url = site_server.url + "/items"
    # balanced would allow 50 cents; the month allows 1 more: one call, then stop.
    _, outcome, _ = await run_custom(db, browser, settings, url, "Read.", {}, user_id=user)
    assert isinstance(outcome, JobFailure)
    assert outcome.code == ErrorCode.BUDGET_EXCEEDED
    # The call is recorded first; the month (still billed as free) is then over its 50.
    assert (outcome.details["scope"], outcome.details["tier"]) == ("monthly", "free")
    assert outcome.details["budget_cents"] == 50
    assert len(llm.posts()) == 1
    usage = await user_usage(db, user)
    assert usage is not None and usage["cost_cents"] == Decimal("52.03")

    # Now the month is spent: the next job is refused before it does anything at all.
    site_hits = len(site_server.requests)
    _, outcome, _ = await run_custom(db, browser, settings, url, "Read.", {}, user_id=user)
    assert isinstance(outcome, JobFailure)
    assert outcome.code == ErrorCode.BUDGET_EXCEEDED
    assert outcome.details["scope"] == "monthly"
    assert len(llm.posts()) == 1
    assert len(site_server.requests) == site_hits, "the refused job still opened the site"


async def test_a_call_whose_worst_case_would_cross_the_budget_is_not_made(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    site_server = local_server(site({"/items": COUNTER}))
    llm = local_server(burner(1000, 50))
    # $10 / $20 per million: a call costs 1.1 cents, its worst case (1024 output tokens
    # plus the estimated prompt) over 2 cents, so the second call cannot fit in 5 cents.
    settings = settings_for(llm, GH_CUSTOM_MODEL_PRICES='{"openai:pricey-1": [10, 20]}')
    ctx, outcome, _ = await run_custom(
        db, browser, settings, site_server.url + "/items", "Read every item.",
        {"quality": "speed", "model": "openai:pricey-1"},
    )  # fmt: skip

    assert isinstance(outcome, JobFailure)
    assert outcome.code == ErrorCode.BUDGET_EXCEEDED
    calls = len(llm.posts())
    assert calls >= 1
    assert Seen(llm.posts()[0]).body["model"] == "pricey-1"
    row = await job_row(db, ctx.job.id)
    assert row["llm_cost_cents"] == calls * Decimal("1.1")
    assert row["llm_cost_cents"] <= 5, "the hard budget was crossed"
    spent = Decimal(outcome.details["spent_cents"])
    worst = Decimal(outcome.details["next_call_worst_case_cents"])
    assert spent == row["llm_cost_cents"]
    assert spent + worst > 5


async def test_an_unpriced_model_is_refused_before_any_work(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    site_server = local_server(site({"/items": COUNTER}))
    llm = local_server(burner(1000, 50))
    _, outcome, _ = await run_custom(
        db, browser, settings_for(llm), site_server.url + "/items", "Read every item.",
        {"model": "openai:gpt-9-unpriced"},
    )  # fmt: skip
    assert isinstance(outcome, JobFailure)
    assert outcome.code == ErrorCode.INVALID_INPUT
    assert "GH_CUSTOM_MODEL_PRICES" in outcome.message
    assert llm.posts() == []


LOGIN = """<!doctype html><title>Sign in</title>
<form method="post" action="/login">
  <label>Email <input type="text" name="username"></label>
  <label>Password <input type="password" name="password"></label>
  <button type="submit">Sign in</button>
</form>"""
USERNAME = "jane.doe@example.com"
PASSWORD = "s3cret-Pa55word"


def login_site(request: Recorded) -> Reply:
    if request.method == "POST" and request.path == "/login":
        form = urllib.parse.parse_qs(request.body.decode())
        if form == {"username": [USERNAME], "password": [PASSWORD]}:
            page = (
                "<!doctype html><title>Dashboard</title><h1>Welcome back</h1>"
                f"<label>Account <input type='text' name='account' value='{USERNAME}'></label>"
            )
            return Reply(200, page, content_type="text/html")
        return Reply(
            200,
            "<!doctype html><title>Sign in</title><p>Wrong password</p>",
            content_type="text/html",
        )
    return Reply(200, LOGIN, content_type="text/html")


def login_model(seen: Seen) -> Reply:
    if "Welcome back" in seen.page_text:
        return tool_reply([{"action": "done", "value": "Signed in."}])
    if "now available: {{username}}, {{password}}" in seen.text:
        return tool_reply(
            [
                {"action": "fill", "index": seen.index('"Email"'), "value": "{{username}}"},
                {"action": "fill", "index": seen.index('"Password"'), "value": "{{password}}"},
                {"action": "click", "index": seen.index('"Sign in"')},
            ]
        )
    return tool_reply([{"action": "need_human", "value": "login"}], thought="A login wall.")


async def test_credentials_from_a_person_are_used_but_never_shown_to_the_model(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    site_server = local_server(login_site)
    llm = local_server(model(login_model))

    def person(kind: str, data: dict[str, Any]) -> HumanResolution:
        return HumanResolution(action="credentials", username=USERNAME, password=PASSWORD)

    ctx, outcome, text = await run_custom(
        db, browser, settings_for(llm), site_server.url + "/login", "Sign in.", {}, human=person
    )

    assert isinstance(outcome, HandlerResult), outcome
    assert "Welcome back" in text
    assert [p["type"] for p in ctx.pauses] == ["login"]
    assert ctx.pauses[0]["row"] == "paused:login"  # the job really waited, paused
    # The site got the real credentials...
    assert any(r.method == "POST" and PASSWORD.encode() in r.body for r in site_server.requests)
    # ...the model never did: not in text, not in any request at all.
    bodies = [c.body for c in llm.posts()]
    assert len(bodies) == 3
    assert not any(PASSWORD.encode() in b or USERNAME.encode() in b for b in bodies)
    last = Seen(llm.posts()[-1])
    assert 'value="{{username}}"' in last.page
    assert last.images == [], "a page showing a secret in clear went without a screenshot"
    assert Seen(llm.posts()[0]).images, "other steps keep their screenshot"
    manual = await find_manual(db, site_server.url + "/login", "custom", "Sign in.")
    assert manual is not None
    assert [s.value for s in manual.steps if s.action == "fill"] == ["{{username}}", "{{password}}"]


async def test_the_step_cap_ends_a_run_that_never_finishes(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    site_server = local_server(site({"/items": COUNTER}))
    llm = local_server(burner(1000, 50))
    _, outcome, text = await run_custom(
        db, browser, settings_for(llm), site_server.url + "/items", "Read every item.",
        {"max_steps": 2},
    )  # fmt: skip
    assert isinstance(outcome, JobFailure)
    assert outcome.code == ErrorCode.AGENT_STEP_LIMIT
    assert len(llm.posts()) == 2
    assert "Item 2" in text


async def test_the_action_limit_stops_the_agent(
    db: Database, browser: Browser, local_server: Callable[[Responder], LocalServer]
) -> None:
    site_server = local_server(site({"/items": COUNTER}))
    llm = local_server(burner(1000, 50))
    settings = settings_for(llm)
    context = await browser.new_context()
    try:
        ctx = await JobBench(db, settings).start(
            "custom", site_server.url + "/items", task_description="Read every item.",
            browser=context,
        )  # fmt: skip
        job = ctx.job
        await ctx.count_action(48)  # a job 48 actions in (custom's limit is 50)
        handler = CustomHandler(TaskRunner(settings, manuals=ManualStore(db)))
        with pytest.raises(JobFailure) as caught:
            await handler.run(ctx, CustomInput())
        text = await context.pages[0].inner_text("body")
    finally:
        await context.close()
    assert caught.value.code == ErrorCode.ACTION_LIMIT_EXCEEDED
    assert len(llm.posts()) == 3
    assert "Item 2" in text, "the action over the limit was not carried out"
    assert (await job_row(db, job.id))["action_count"] == 51
