"""The job's model as the application flow's :class:`~ghosthands.browser.flow.FieldAnswerer`.

The ``apply`` and ``fill_form`` handlers open a :class:`ModelAnswerer` with
:func:`model_answerer` and hand it to the flow, which puts each form step's open fields
to it once (required fields nothing in the profile or ``qa_answers`` answered, and empty
fields the page flagged invalid). The model, its budget and its client come from the
job, as for every model call (:class:`ghosthands.llm.task.TaskRunner`); the questions go
to :func:`ghosthands.llm.questions.answer_questions` in one call, metered by the job's
:class:`~ghosthands.llm.cost.CostMeter`, so usage is recorded before any answer is used
and the job's budget stops it with ``budget_exceeded``.

By preset (``input_data.quality``): ``speed`` asks no model; ``balanced`` asks the text
model; ``quality`` then shows a vision model a screenshot of the form for the questions
the text alone did not settle. No API key for the model's provider: no answerer, and the
flow fails the job with ``missing_answer`` as it always did.

Some questions are never put to a model: a checkbox or switch (consents, certifications
and attestations are the applicant's own act) and self-identification questions (gender,
race, veteran status, disability): a guess there is worse than asking the applicant.
"""

from __future__ import annotations

import re
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec

from ghosthands.browser.answers import FieldInfo, Profile, normalise
from ghosthands.browser.flow import OpenField
from ghosthands.jobs.budgets import Quality
from ghosthands.jobs.contract import JobContext, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.catalogue import ModelSpec
from ghosthands.llm.cost import CostMeter
from ghosthands.llm.providers import ProviderClient
from ghosthands.llm.questions import Question, QuestionKind, answer_questions
from ghosthands.llm.task import TaskRunner
from ghosthands.llm.types import ImagePart
from ghosthands.logs import get_logger

log = get_logger(__name__)

#: Self-identification questions: never a model's guess.
_SELF_IDENTIFICATION = re.compile(
    r"\b(gender|sex|race|ethnicity|hispanic|latino|veteran|disability|disabled|pronouns|"
    r"sexual orientation|transgender)\b"
)

_CHOICE_KINDS: dict[str, QuestionKind] = {
    "select": "select",
    "multiselect": "select",
    "listbox": "select",
    "checkbox_group": "select",
    "radio": "radio",
}


def question_for(index: int, open_field: OpenField) -> Question | None:
    """The question to put to the model for one open field, or None when a model must
    not answer it (or cannot: a file, a choice with no options)."""
    f = open_field.field
    if f.kind in ("file", "checkbox", "switch"):
        return None
    if _SELF_IDENTIFICATION.search(normalise(f.question)):
        return None
    kind: QuestionKind
    options: list[str] = []
    if f.kind in _CHOICE_KINDS:
        kind = _CHOICE_KINDS[f.kind]
        options = [str(o.get("text", "")).strip() for o in f.real_options]
        options = [o for o in options if o]
        if not options:
            return None
    elif f.kind == "textarea":
        kind = "textarea"
    elif f.kind == "date" or f.input_type == "date":
        kind = "date"
    elif f.input_type == "number":
        kind = "number"
    else:
        kind = "text"  # text inputs, and comboboxes: the engine picks the matching option
    return Question(
        id=f"q{index + 1}",
        label=_label(f),
        kind=kind,
        options=options,
        required=f.required,
        max_length=open_field.max_length,
        pattern=f.pattern or None,
    )


def _label(f: FieldInfo) -> str:
    """The question, with the hint a placeholder gives ("e.g. 5 years") when it adds one."""
    hint = f.placeholder.strip()
    if hint and normalise(hint) not in normalise(f.question):
        return f"{f.question} ({hint})"
    return f.question


#: Profile keys a model is never shown: self-identification and date of birth. The model
#: is never asked those questions, so it has no use for the answers.
_PRIVATE_KEYS = frozenset(
    {
        "eeo",
        "gender",
        "race",
        "ethnicity",
        "veteran_status",
        "disability_status",
        "hispanic_latino",
        "sexual_orientation",
        "transgender",
        "pronouns",
        "date_of_birth",
        "dob",
        "birth_date",
    }
)


def profile_for_model(profile: Profile | None) -> dict[str, Any]:
    """What a model is shown of the applicant: the profile's filled-in values, less the
    private ones."""
    if profile is None:
        return {}
    return {
        key: value
        for key, value in msgspec.to_builtins(profile).items()
        if key not in _PRIVATE_KEYS and value not in (None, "", [], {})
    }


def png_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's width and height from its header, None when ``data`` is not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


class ModelAnswerer:
    """Answers a form step's open fields with the job's model (a ``FieldAnswerer``)."""

    def __init__(
        self,
        ctx: JobContext,
        runner: TaskRunner,
        spec: ModelSpec,
        llm: ProviderClient,
        *,
        quality: Quality,
        profile: dict[str, Any],
        qa_answers: dict[str, str],
    ) -> None:
        self._ctx = ctx
        self._runner = runner
        self._spec = spec
        self._llm = llm
        self._quality = quality
        self._profile = profile
        self._qa = qa_answers
        self._meter: CostMeter | None = None
        self.model = spec.alias
        self.source = f"model:{spec.alias}"

    async def meter(self) -> CostMeter:
        """The job's meter, made at the first question: a form the engine fills alone
        never looks at the budgets."""
        if self._meter is None:
            self._meter = await self._runner.meter(self._ctx, self._quality)
        return self._meter

    async def answer(
        self,
        fields: Sequence[OpenField],
        *,
        context: str,
        screenshot: Callable[[], Awaitable[bytes | None]],
    ) -> dict[int, str]:
        questions: dict[str, tuple[int, Question]] = {}
        for index, open_field in enumerate(fields):
            question = question_for(index, open_field)
            if question is not None:
                questions[question.id] = (index, question)
        if not questions:
            return {}
        meter = await self.meter()
        asked = [q for _, q in questions.values()]
        await self._ctx.progress(
            "asking_model", model=self.model, questions=[q.label for q in asked]
        )
        answers = await answer_questions(
            self._llm, meter, asked, profile=self._profile, qa_answers=self._qa, context=context
        )
        left = [q for q in asked if q.id not in answers]
        if left and self._quality is Quality.QUALITY and self._spec.vision:
            shot = await screenshot()
            size = png_size(shot) if shot else None
            if shot and size:
                image = ImagePart(shot, "image/png", *size)
                answers |= await answer_questions(
                    self._llm,
                    meter,
                    left,
                    profile=self._profile,
                    qa_answers=self._qa,
                    context=context,
                    screenshot=image,
                )
        log.info(
            "model_answers",
            model=self.model,
            asked=len(asked),
            answered=len(answers),
            spent_cents=str(meter.spent_cents),
        )
        await self._ctx.progress("model_answered", model=self.model, answered=len(answers))
        return {questions[qid][0]: text for qid, text in answers.items()}


@asynccontextmanager
async def model_answerer(
    ctx: JobContext,
    runner: TaskRunner,
    *,
    model: str | None,
    quality: Quality,
    profile: dict[str, Any],
    qa_answers: dict[str, str],
) -> AsyncIterator[ModelAnswerer | None]:
    """The job's answerer for the flow, or None: the ``speed`` preset, or no API key for
    the model's provider. An unknown or unpriced ``model`` fails the job before any work
    (``invalid_input``), as for every job that names a model."""
    if quality is Quality.SPEED:
        yield None
        return
    spec = runner.model(model)
    async with httpx.AsyncClient() as http:
        try:
            llm = runner.client(spec, http)
        except JobFailure as exc:
            if exc.code != ErrorCode.LLM_ERROR:
                raise
            log.info("model_answers_off", model=spec.alias, reason=exc.message)
            yield None
            return
        yield ModelAnswerer(
            ctx,
            runner,
            spec,
            llm,
            quality=quality,
            profile=profile,
            qa_answers=qa_answers,
        )
