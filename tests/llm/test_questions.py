"""Form questions the form engine cannot answer, answered in one call over the
Anthropic wire format, with answers checked against the questions' options."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest

from ghosthands.config import load_settings
from ghosthands.llm.catalogue import Catalogue
from ghosthands.llm.cost import CostMeter
from ghosthands.llm.providers import RetryPolicy, open_client
from ghosthands.llm.questions import Question, answer_questions
from ghosthands.worker.testing import JobBench
from tests.llm.conftest import (
    LocalServer,
    Recorded,
    Reply,
    Responder,
    job_row,
)

pytestmark = pytest.mark.anyio

QUESTIONS = [
    Question("q1", "Are you willing to relocate?", "radio", ["Yes", "No"], required=True),
    Question("q2", "Why do you want to work at Acme?", "textarea", max_length=40),
    Question("q3", "Preferred office", "select", ["Berlin", "Lisbon"]),
    Question("q4", "I agree to the privacy policy", "checkbox"),
]


def anthropic_answers(request: Recorded) -> Reply:
    body = request.json()
    asked = json.loads(body["messages"][0]["content"][0]["text"].split("Questions (JSON):\n")[1])
    assert [q["id"] for q in asked] == ["q1", "q2", "q3", "q4"]
    answers = [
        {"id": "q1", "answer": "no"},  # case differs from the option: accepted as "No"
        {"id": "q2", "answer": "I have used Acme's tools for years and want to build them."},
        {"id": "q3", "answer": "Paris"},  # not an option: dropped
        {"id": "q4", "answer": "yes"},
        {"id": "q9", "answer": "never asked"},  # not a question: ignored
    ]
    return Reply(
        200,
        {
            "id": "msg_q",
            "type": "message",
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "t1",
                    "name": "answer_questions",
                    "input": {"answers": answers},
                }
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 2000, "output_tokens": 150},
        },
    )


async def test_questions_are_answered_and_checked_against_their_options(
    bench: JobBench, local_server: Callable[[Responder], LocalServer]
) -> None:
    server = local_server(anthropic_answers)
    settings = load_settings({"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": server.url})
    spec = Catalogue.from_settings(settings).resolve("claude-haiku")
    ctx = await bench.start("apply")
    meter = CostMeter(ctx, budget_cents=50)
    async with httpx.AsyncClient() as http:
        llm = open_client(spec, settings, http, retry=RetryPolicy(max_retries=0))
        answers = await answer_questions(
            llm, meter, QUESTIONS, profile={"first_name": "Jane", "location": {"city": "Berlin"}}
        )

    assert answers == {
        "q1": "No",
        "q2": "I have used Acme's tools for years and",  # cut to 40 at a word
        "q4": "true",
    }
    sent = server.posts()[0]
    assert sent.headers["x-api-key"] == "sk-ant-test"
    assert sent.json()["tool_choice"] == {"type": "tool", "name": "answer_questions"}
    assert '"first_name":"Jane"' in sent.json()["messages"][0]["content"][0]["text"]
    # claude-haiku: (2000 * 0.80 + 150 * 4.00) / 1e6 USD = 0.22 cents, on the job row.
    assert (await job_row(bench.db, ctx.job.id))["llm_cost_cents"] == Decimal("0.22")
