"""Learned replay for applications: the model's answers of one successful application,
replayed on the applicant's next application to the same layout with no model call.

Real Chromium on the sample site's wizard (whose step-3 questions only the model answers,
see ``test_model_answers``), the worker's job context over a real database, the manual
store the worker uses, and the scripted OpenAI-wire model on 127.0.0.1.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec
import pytest

from ghosthands.browser.answers import FieldInfo
from ghosthands.browser.flow import OpenField
from ghosthands.browser.learned_answers import (
    LearnedAnswer,
    LearnedAnswerer,
    LearnedSteps,
    learned_key,
)
from ghosthands.config import load_settings
from ghosthands.db.manuals import ManualStore
from ghosthands.handlers.apply import ApplyHandler
from ghosthands.jobs.contract import HandlerResult
from ghosthands.llm.manuals import url_pattern
from ghosthands.llm.task import TaskRunner
from ghosthands.sample_site import SAMPLE_PROFILE
from tests.browser.test_model_answers import RELOCATE, START, apply_input, both, scripted_model

pytestmark = pytest.mark.anyio


def learning_handler(bench: Any, server: Any) -> ApplyHandler:
    """The apply handler as the worker builds it: its runner records manuals."""
    env = {
        "OPENAI_BASE_URL": f"{server.url}/v1",
        "OPENAI_API_KEY": "sk-test-learned",
        "GH_DEFAULT_MODEL": "qwen-7b",
        "GH_LLM_MAX_RETRIES": "0",
    }
    return ApplyHandler(TaskRunner(load_settings(env), manuals=ManualStore(bench.db)))


async def test_the_next_application_replays_the_models_answers_without_a_call(
    sample_site, run_job, bench, resume_server, model_server
) -> None:
    site, server = sample_site
    model = model_server(scripted_model(both))
    handler = learning_handler(bench, model)
    url = f"{server.url}/apply/wizard"
    applicant = uuid.uuid4()

    first, _ = await run_job(handler, url, apply_input(resume_server), user_id=applicant)
    assert isinstance(first, HandlerResult), first
    assert first.final_mode == "form_engine"
    assert len(model.posts()) == 1

    second, ctx = await run_job(handler, url, apply_input(resume_server), user_id=applicant)
    assert isinstance(second, HandlerResult), second
    assert len(model.posts()) == 1  # no second call
    assert ctx.usage_calls == []
    assert second.final_mode == "form_engine+manual"
    assert second.result_data["submitted"] is True
    received = site.received("wizard")
    assert len(received) == 2
    assert received[1].fields["relocate"] == "no"
    assert received[1].fields["start_date"] == "2025-10-06"
    # Still listed for the applicant, marked as learned.
    assert second.result_data["answers_from_model"] == [
        {"question": q, "answer": a, "model": "qwen-7b", "learned": True}
        for q, a in [(RELOCATE + " *", "No"), (START, "2025-10-06")]
    ]
    assert {f["source"] for f in second.result_data["fields"]} >= {"learned:qwen-7b"}

    # One manual, the applicant's; its health went up with the replay.
    manual = await ManualStore(bench.db).find(url_pattern(url), "apply", learned_key(applicant))
    assert manual is not None
    assert manual["success_count"] == 2 and manual["failure_count"] == 0
    steps = msgspec.convert(manual["steps"], LearnedSteps)
    assert {(a.question.rstrip(" *"), a.answer) for a in steps.answers} == {
        (RELOCATE, "No"),
        (START, "2025-10-06"),
    }


async def test_learned_answers_are_the_applicants_own(
    sample_site, run_job, bench, resume_server, model_server
) -> None:
    site, server = sample_site
    model = model_server(scripted_model(both))
    handler = learning_handler(bench, model)
    url = f"{server.url}/apply/wizard"
    applicant = uuid.uuid4()
    first, _ = await run_job(handler, url, apply_input(resume_server), user_id=applicant)
    assert isinstance(first, HandlerResult), first

    # Another user on the same layout: their own model call.
    other, _ = await run_job(handler, url, apply_input(resume_server), user_id=uuid.uuid4())
    assert isinstance(other, HandlerResult), other
    assert other.final_mode == "form_engine"
    assert len(model.posts()) == 2

    # The same applicant with a corrected profile: what the model was told changed, so
    # its earlier answers are not replayed.
    new_number = apply_input(resume_server)
    new_number["user_data"] = {**SAMPLE_PROFILE, "phone": "+1 415 555 0199"}
    changed, _ = await run_job(handler, url, new_number, user_id=applicant)
    assert isinstance(changed, HandlerResult), changed
    assert changed.final_mode == "form_engine"
    assert len(model.posts()) == 3
    assert "learned" not in changed.result_data["answers_from_model"][0]
    manual = await ManualStore(bench.db).find(url_pattern(url), "apply", learned_key(applicant))
    assert manual is not None and manual["failure_count"] == 1
    assert len(site.received("wizard")) == 3


# -- the answerer's rule, on fields it is handed ---------------------------------------


class CountingModel:
    """A FieldAnswerer that answers every field with ``text`` and counts its calls."""

    source = "model:scripted"

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls: list[list[str]] = []

    async def answer(
        self,
        fields: Sequence[OpenField],
        *,
        context: str,
        screenshot: Callable[[], Awaitable[bytes | None]],
    ) -> dict[int, str]:
        self.calls.append([f.field.question for f in fields])
        return dict.fromkeys(range(len(fields)), self.text)


def radio(question: str, *options: str) -> OpenField:
    return OpenField(
        FieldInfo(
            gh_id="r",
            kind="radio",
            group_label=question,
            required=True,
            options=[{"text": o, "value": o.lower()} for o in options],
        )
    )


def text(question: str) -> OpenField:
    field = FieldInfo(gh_id="t", kind="text", labels=[question], required=True)
    return OpenField(field, max_length=20)


async def _no_shot() -> bytes | None:
    return None


LEARNED = LearnedSteps(
    "fingerprint",
    [
        LearnedAnswer("Are you willing to relocate?", "radio", "No", "qwen-7b"),
        LearnedAnswer("Notice period", "text", "Two weeks notice, negotiable", "qwen-7b"),
    ],
)


async def test_a_step_the_manual_answers_whole_needs_no_model() -> None:
    model = CountingModel("ignored")
    answerer = LearnedAnswerer(LEARNED, model)
    answers = await answerer.answer(
        [radio("Are you willing to relocate? ", "Yes", "No"), text("Notice period")],
        context="",
        screenshot=_no_shot,
    )
    # Normalised wording matches; the text is cut to the field's limit like a model's.
    assert answers == {0: "No", 1: "Two weeks notice,"}
    assert answerer.source == "learned:qwen-7b"
    assert model.calls == [] and answerer.mismatch is None


async def test_at_the_first_mismatch_the_model_takes_over_for_good() -> None:
    model = CountingModel("Yes")
    answerer = LearnedAnswerer(LEARNED, model)
    # The option the manual chose is gone: the whole step goes to the model.
    step = [radio("Are you willing to relocate?", "Yes", "Only within the EU")]
    assert await answerer.answer(step, context="", screenshot=_no_shot) == {0: "Yes"}
    assert answerer.mismatch is not None and "no longer fits" in answerer.mismatch
    assert answerer.source == "model:scripted"
    # A later step the manual could answer goes to the model too: replay stopped.
    later = [text("Notice period")]
    assert await answerer.answer(later, context="", screenshot=_no_shot) == {0: "Yes"}
    assert len(model.calls) == 2 and answerer.replayed_steps == 0

    # A question the manual never saw is a mismatch as well; with no model, it stays open.
    alone = LearnedAnswerer(LEARNED, None)
    unseen = [radio("Are you willing to relocate?", "Yes", "No"), text("Salary expectation")]
    assert await alone.answer(unseen, context="", screenshot=_no_shot) == {}
    assert alone.mismatch is not None and "Salary expectation" in alone.mismatch
