"""``apply`` and ``fill_form``: fill (and submit) an application form with the form engine."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from ghosthands.browser.answers import AnswerBook, Profile
from ghosthands.browser.flow import ApplicationFlow
from ghosthands.browser.forms import ResumeFile
from ghosthands.browser.resume import ResumeRef, load_resume
from ghosthands.jobs.contract import HandlerResult, JobContext, JobFailure
from ghosthands.jobs.errors import ErrorCode


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
    #: For required self-identification questions with no answer: pick "decline to answer".
    decline_required_eeo: bool = True
    require_resume: bool = True


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


async def _resume(ctx: JobContext, ref: ResumeRef | None, required: bool) -> ResumeFile | None:
    if ref is None:
        if required:
            raise JobFailure(
                ErrorCode.INVALID_INPUT, "input_data.resume is required", retryable=False
            )
        return None
    session = ctx.browser
    resume = await load_resume(ref, session.provider.settings, session.guard)
    return resume


class ApplyHandler:
    """Apply to a job: fill every step, upload the resume, submit once, read the confirmation."""

    job_type: ClassVar[str] = "apply"
    input_type: ClassVar[type[msgspec.Struct]] = ApplyInput
    needs_browser: ClassVar[bool] = True

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        assert isinstance(params, ApplyInput)
        resume = await _resume(ctx, params.resume, params.require_resume)
        book = AnswerBook(
            params.user_data,
            {**params.qa_answers, **params.qa_overrides},
            accept_required_consents=params.accept_required_consents,
            decline_required_eeo=params.decline_required_eeo,
        )
        return await ApplicationFlow(ctx, book, resume=resume, submit=True).run()


_EMPTY_PROFILE = Profile(first_name="", last_name="", email="")


class FillFormHandler:
    """Fill any form from answers by question (and a profile); submit unless told not to."""

    job_type: ClassVar[str] = "fill_form"
    input_type: ClassVar[type[msgspec.Struct]] = FillFormInput
    needs_browser: ClassVar[bool] = True

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        assert isinstance(params, FillFormInput)
        resume = await _resume(ctx, params.resume, False)
        book = AnswerBook(
            params.user_data or _EMPTY_PROFILE,
            {**params.qa_answers, **params.fields},
            accept_required_consents=params.accept_required_consents,
            decline_required_eeo=False,
        )
        return await ApplicationFlow(ctx, book, resume=resume, submit=params.submit).run()
