"""Answers for the form questions the deterministic form engine cannot map to the
profile ("Why do you want to work here?", "Are you willing to relocate?"): one model call
for a batch of questions, answers checked against each question's options.

Called by :class:`ghosthands.browser.model_answers.ModelAnswerer`, which the application
flow (``ghosthands.browser.flow``, for ``apply`` and ``fill_form`` jobs) asks once per form
step about the required fields nothing in the profile or ``qa_answers`` answered; it
passes the job's cost meter, so usage is recorded before any answer is used. What comes
back is safe to type or select. An answer the model got wrong (an option that does not
exist, text where a number or date goes, a value the field's pattern refuses, a question
it was not asked) is dropped, so the field stays open and the job fails with
``missing_answer``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

import msgspec

from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.providers import CallMeter, ProviderClient
from ghosthands.llm.types import (
    ChatRequest,
    ImagePart,
    LlmError,
    Message,
    Part,
    TextPart,
    ToolSpec,
)
from ghosthands.logs import get_logger

log = get_logger(__name__)

QuestionKind = Literal["text", "textarea", "number", "date", "select", "radio", "checkbox"]


class Question(msgspec.Struct, frozen=True):
    #: The form engine's own handle for the field; answers come back under it.
    id: str
    #: The question as the page asks it (label, legend or nearby text).
    label: str
    kind: QuestionKind = "text"
    #: For select and radio: the labels to choose from.
    options: list[str] = []
    required: bool = False
    #: Characters allowed, when the field says.
    max_length: int | None = None
    #: The field's ``pattern`` (an HTML regular expression the whole value must match).
    pattern: str | None = None


class _Answer(msgspec.Struct):
    id: str
    answer: str


class _Answers(msgspec.Struct):
    answers: list[_Answer]


TOOL = ToolSpec(
    name="answer_questions",
    description="Answer the application form's questions for the applicant.",
    parameters={
        "type": "object",
        "properties": {
            "answers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "description": "The question's id."},
                        "answer": {
                            "type": "string",
                            "description": (
                                "select/radio: one option exactly as listed; checkbox: "
                                "'true' or 'false'; number: digits only; date: "
                                "YYYY-MM-DD; otherwise the text to type."
                            ),
                        },
                    },
                    "required": ["id", "answer"],
                },
            }
        },
        "required": ["answers"],
    },
)

SYSTEM_PROMPT = """\
You fill in job application forms for an applicant, truthfully, from their profile. \
Answer every question by calling answer_questions. For a choice, give one of the listed \
options exactly. Never claim anything the profile does not support; when the profile \
says nothing, give the most neutral honest answer. Keep text answers short and in the \
applicant's voice."""


async def answer_questions(
    llm: ProviderClient,
    meter: CallMeter | None,
    questions: list[Question],
    *,
    profile: dict[str, Any],
    qa_answers: dict[str, str] | None = None,
    context: str = "",
    screenshot: ImagePart | None = None,
    max_output_tokens: int = 1500,
) -> dict[str, str]:
    """Answers by question id; questions the model could not answer validly are absent.

    ``screenshot`` (for a vision model) shows the form as the applicant would see it,
    for questions whose wording or options the page's markup does not make clear.
    """
    if not questions:
        return {}
    prompt = "\n".join(
        [
            "Applicant profile (JSON):",
            msgspec.json.encode(profile).decode(),
            "Answers the applicant gave to earlier questions (JSON):",
            msgspec.json.encode(qa_answers or {}).decode(),
            *(["About the job:", context] if context else []),
            *(
                ["A screenshot of the form is attached: read each question and its options there."]
                if screenshot is not None
                else []
            ),
            "Questions (JSON):",
            msgspec.json.encode(questions).decode(),
        ]
    )
    parts: tuple[Part, ...] = (TextPart(prompt),)
    if screenshot is not None:
        parts = (*parts, screenshot)
    request = ChatRequest(
        system=SYSTEM_PROMPT,
        messages=(Message("user", parts),),
        tool=TOOL,
        max_output_tokens=max_output_tokens,
    )
    reply = await llm.complete(request, meter)
    try:
        parsed = msgspec.convert(reply.tool_input, _Answers)
    except msgspec.ValidationError as exc:
        raise LlmError(
            ErrorCode.LLM_BAD_RESPONSE,
            f"the model's answers do not fit the schema: {exc}",
            provider=llm.provider,
        ) from None
    by_id = {q.id: q for q in questions}
    answers: dict[str, str] = {}
    for item in parsed.answers:
        question = by_id.get(item.id)
        if question is None:
            continue
        answer = valid_answer(question, item.answer)
        if answer is None:
            log.info("answer_dropped", question_id=item.id, kind=question.kind)
            continue
        answers[item.id] = answer
    return answers


def valid_answer(question: Question, answer: str) -> str | None:
    """The answer in the form the field takes, or None when it does not fit."""
    answer = answer.strip()
    if question.kind in ("select", "radio"):
        if answer in question.options:
            return answer
        loose = [o for o in question.options if o.strip().lower() == answer.lower()]
        return loose[0] if loose else None
    if question.kind == "checkbox":
        lowered = answer.lower()
        if lowered in ("true", "yes", "1"):
            return "true"
        if lowered in ("false", "no", "0"):
            return "false"
        return None
    if not answer:
        return None
    if question.kind == "number":
        answer = answer.replace(",", "")
        if not re.fullmatch(r"-?\d+(\.\d+)?", answer):
            return None
    elif question.kind == "date":
        try:
            answer = dt.date.fromisoformat(answer).isoformat()
        except ValueError:
            return None
    if question.max_length is not None and len(answer) > question.max_length:
        # Cut at a word boundary when there is one: a form field, not a telegram.
        cut = answer[: question.max_length]
        answer = cut.rsplit(" ", 1)[0].rstrip() if " " in cut else cut
    if question.pattern and not _matches(question.pattern, answer):
        return None
    return answer


def _matches(pattern: str, answer: str) -> bool:
    """Whether ``answer`` satisfies an HTML ``pattern``; one Python cannot read passes
    (the page checks it again, and a rejected value is reported as invalid)."""
    try:
        return re.fullmatch(f"(?:{pattern})", answer) is not None
    except re.error:
        return True
