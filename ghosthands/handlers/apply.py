"""``apply`` and ``fill_form``: fill (and submit) an application form with the form engine.

Required questions the profile and the applicant's answers do not cover go to the job's
model (``input_data.model``, else ``GH_DEFAULT_MODEL``), once per form step, unless the
preset is ``speed`` or the model's provider has no API key: see
:mod:`ghosthands.browser.model_answers`. Every answer the model gave that went into the
form is in ``result_data.answers_from_model`` (question, answer, model), for VALET to
show the applicant; a job that fails after some carries them in its error details.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import msgspec

from ghosthands.browser.answers import AnswerBook, Profile
from ghosthands.browser.flow import ApplicationFlow, FieldAnswerer
from ghosthands.browser.forms import ResumeFile
from ghosthands.browser.learned_answers import LearnedApplication, request_fingerprint
from ghosthands.browser.model_answers import model_answerer, profile_for_model
from ghosthands.browser.resume import ResumeRef, load_resume
from ghosthands.jobs.budgets import job_quality
from ghosthands.jobs.contract import HandlerResult, JobContext, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.task import TaskRunner

#: The execution mode that stops before the final submit for a person's approval.
REVIEW_BEFORE_SUBMIT = "review_before_submit"


class ApplyInput(msgspec.Struct, forbid_unknown_fields=False):
    """``input_data`` of an ``apply`` job (what ``POST /valet/apply`` stores)."""

    user_data: Profile
    resume: ResumeRef | None = None
    #: The applicant's own answers to screening questions, by question wording.
    qa_answers: dict[str, str] = msgspec.field(default_factory=dict)
    #: Same shape; wins over qa_answers (VALET's per-job overrides).
    qa_overrides: dict[str, str] = msgspec.field(default_factory=dict)
    #: Tick required "I agree to the privacy policy / certify" boxes. Optional opt-ins
    #: (job alerts, marketing) are never ticked.
    accept_required_consents: bool = True
    #: For self-identification questions (EEO, required or optional) the profile's eeo
    #: section does not answer: pick the page's own "decline to answer" (name kept for
    #: the wire contract).
    decline_required_eeo: bool = True
    require_resume: bool = True
    #: The model for questions nothing above answers (catalogue alias or priced
    #: ``provider:model-id``; default ``GH_DEFAULT_MODEL``). ``quality`` says whether
    #: one is asked at all.
    model: str | None = None
    #: The employer the application goes to ("have you worked for us before?").
    company_name: str | None = None
    #: ``review_before_submit``: fill everything, then pause (``needs_human``, with a
    #: screenshot) until a person approves through /valet/resume; other values of the
    #: original service's modes apply as usual.
    execution_mode: str | None = None


class FillFormInput(msgspec.Struct, forbid_unknown_fields=False):
    """``input_data`` of a ``fill_form`` job: any form, answered from a profile and/or answers."""

    user_data: Profile | None = None
    #: Answers by question wording (label text), matched like qa_answers.
    fields: dict[str, str] = msgspec.field(default_factory=dict)
    qa_answers: dict[str, str] = msgspec.field(default_factory=dict)
    resume: ResumeRef | None = None
    #: Press the final submit button (false: fill and stop, for a person to review).
    submit: bool = True
    accept_required_consents: bool = False
    #: As for ``apply``.
    model: str | None = None


async def _resume(ctx: JobContext, ref: ResumeRef | None, required: bool) -> ResumeFile | None:
    if ref is None:
        if required:
            raise JobFailure(
                ErrorCode.INVALID_INPUT, "input_data.resume is required", retryable=False
            )
        return None
    session = ctx.browser
    resume = await load_resume(
        ref, session.provider.settings, session.guard, owner=ctx.job.user_id, storage=ctx.storage
    )
    return resume


class _ModelAssisted:
    """What both handlers share: the job's model, and the flow run with it."""

    def __init__(self, runner: TaskRunner | None = None) -> None:
        """``runner`` picks the model and its budget; without one, a runner over the
        browser provider's settings (the worker's) is made at the first job."""
        self._runner = runner

    def _task_runner(self, ctx: JobContext) -> TaskRunner:
        if self._runner is None:
            session = ctx.browser
            if session is None:
                raise JobFailure(ErrorCode.INTERNAL_ERROR, "the form handlers need a browser")
            self._runner = TaskRunner(session.provider.settings)
        return self._runner

    @asynccontextmanager
    async def _answerer(
        self, ctx: JobContext, model: str | None, profile: Profile | None, qa: dict[str, str]
    ) -> AsyncIterator[tuple[FieldAnswerer | None, LearnedApplication]]:
        """The flow's answerer (the applicant's learned answers, then the job's model)."""
        runner = self._task_runner(ctx)
        shown = profile_for_model(profile)
        answers = {k: v for k, v in qa.items() if v and v.strip()}
        learned = LearnedApplication(runner.manuals, ctx.job, request_fingerprint(shown, answers))
        async with model_answerer(
            ctx,
            runner,
            model=model,
            quality=job_quality(ctx.job.input_data),
            profile=shown,
            qa_answers=answers,
        ) as answerer:
            yield await learned.load(answerer), learned

    @staticmethod
    async def _run(flow: ApplicationFlow, learned: LearnedApplication) -> HandlerResult:
        try:
            result = await flow.run()
        except JobFailure as exc:
            if flow.answers_from_model:
                exc.details.setdefault("answers_from_model", flow.answers_from_model)
            await learned.finish(None, flow.answers_from_model)
            raise
        result.result_data["answers_from_model"] = flow.answers_from_model
        result.final_mode = learned.final_mode() or result.final_mode
        await learned.finish(result, flow.answers_from_model)
        return result


class ApplyHandler(_ModelAssisted):
    """Apply to a job: fill every step, upload the resume, submit once, read the confirmation."""

    job_type: ClassVar[str] = "apply"
    input_type: ClassVar[type[msgspec.Struct]] = ApplyInput
    needs_browser: ClassVar[bool] = True

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        assert isinstance(params, ApplyInput)
        qa = {**params.qa_answers, **params.qa_overrides}
        async with self._answerer(ctx, params.model, params.user_data, qa) as (
            answerer,
            learned,
        ):
            resume = await _resume(ctx, params.resume, params.require_resume)
            book = AnswerBook(
                params.user_data,
                qa,
                accept_required_consents=params.accept_required_consents,
                decline_required_eeo=params.decline_required_eeo,
                employer=params.company_name,
            )
            flow = ApplicationFlow(
                ctx,
                book,
                resume=resume,
                submit=True,
                answerer=answerer,
                review_before_submit=params.execution_mode == REVIEW_BEFORE_SUBMIT,
            )
            return await self._run(flow, learned)


_EMPTY_PROFILE = Profile(first_name="", last_name="", email="")


class FillFormHandler(_ModelAssisted):
    """Fill any form from answers by question (and a profile); submit unless told not to."""

    job_type: ClassVar[str] = "fill_form"
    input_type: ClassVar[type[msgspec.Struct]] = FillFormInput
    needs_browser: ClassVar[bool] = True

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        assert isinstance(params, FillFormInput)
        qa = {**params.qa_answers, **params.fields}
        async with self._answerer(ctx, params.model, params.user_data, qa) as (
            answerer,
            learned,
        ):
            resume = await _resume(ctx, params.resume, False)
            book = AnswerBook(
                params.user_data or _EMPTY_PROFILE,
                qa,
                accept_required_consents=params.accept_required_consents,
                decline_required_eeo=False,
            )
            flow = ApplicationFlow(
                ctx, book, resume=resume, submit=params.submit, answerer=answerer
            )
            return await self._run(flow, learned)
