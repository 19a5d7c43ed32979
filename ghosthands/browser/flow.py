"""One application, start to finish: navigate, get past blockers, fill, submit, confirm.

Used by the ``apply`` and ``fill_form`` handlers. Everything that touches the page runs
inside :meth:`BrowserSession.run`, so a crashed renderer or browser is recovered from by
starting the attempt again, unless the submit button was already clicked.

Blockers (captcha, bot check, login wall, 2FA) pause the job through
``ctx.wait_for_human`` with a screenshot. What the person answers:

- ``skip`` / ``continue``: they dealt with it (or want us to try anyway); go on and do
  not pause again for the same blocker on the same page.
- ``code``: typed into the one-time-code field, then the form is sent.
- ``credentials``: filled into the sign-in form (never logged); after a successful
  sign-in the session (and these credentials) are saved encrypted for next time.
- ``cancel``: the job fails with the blocker's error code.

A required field that nobody answered fails the job with ``missing_answer`` and the
questions in its details, rather than pausing: a person's answer to a form question
belongs in ``qa_answers`` (VALET can retry with it), and ``/valet/resume`` has no way to
carry one. When the handler gives the flow a :class:`FieldAnswerer` (the job's model, see
``ghosthands.browser.model_answers``), the open fields of a step are first put to it,
once per step and all together; what it answers is filled like any other answer and
listed in :attr:`ApplicationFlow.answers_from_model`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import anyio

from ghosthands.browser.answers import Answer, AnswerBook, FieldInfo, parse_date
from ghosthands.browser.blockers import Blocker, detect_blocker
from ghosthands.browser.forms import (
    BeforeClick,
    Confirmation,
    FormEngine,
    ResumeFile,
    StepReport,
)
from ghosthands.browser.provider import RestartAttempt, page_gone
from ghosthands.jobs.contract import HandlerResult, HumanResolution, JobContext, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.logs import get_logger

log = get_logger(__name__)

MAX_STEPS = 12
MAX_FIX_ROUNDS = 3


@dataclass(frozen=True)
class OpenField:
    """A field the form engine left open, as the flow hands it to a :class:`FieldAnswerer`."""

    field: FieldInfo
    #: The field's ``maxlength``, when it has one.
    max_length: int | None = None


class FieldAnswerer(Protocol):
    """Answers for fields nothing in the profile or ``qa_answers`` answered (a model's).

    :meth:`answer` is called at most once per form step, with every open field of the
    step; it returns answers by position in ``fields``, already checked against each
    field's options and constraints, written the way the field takes them (an option's
    label, ``true``/``false``, text). A failure it raises (``budget_exceeded``, a model
    error) ends the job before anything is submitted.
    """

    #: What made the answers of the last call, for the fields' ``source`` and
    #: ``answers_from_model``: ``model:<alias>``, or ``learned:<alias>`` for a model's
    #: earlier answers replayed (``ghosthands.browser.learned_answers``).
    source: str

    async def answer(
        self,
        fields: Sequence[OpenField],
        *,
        context: str,
        screenshot: Callable[[], Awaitable[bytes | None]],
    ) -> dict[int, str]: ...


class ApplicationFlow:
    def __init__(
        self,
        ctx: JobContext,
        book: AnswerBook,
        *,
        resume: ResumeFile | None,
        submit: bool = True,
        answerer: FieldAnswerer | None = None,
        review_before_submit: bool = False,
    ) -> None:
        self.ctx = ctx
        #: Pause for a person, with a screenshot of the filled form, before the final click.
        self.review_before_submit = review_before_submit
        self.session = ctx.browser
        self.book = book
        self.resume = resume
        self.submit = submit
        self.settle = min(6.0, self.session.provider.settings.browser_timeout_seconds)
        self._acknowledged: set[tuple[str, str]] = set()
        self._tried_stored_login = False
        self._new_credentials: tuple[str, str] | None = None
        self._login_pending = False
        #: The page of the sign-in form the credentials were typed into.
        self._login_form_url: str | None = None
        self.steps = 0
        self.answerer = answerer
        #: Every answer the model gave that went into the form: question, answer, model.
        self.answers_from_model: list[dict[str, Any]] = []
        #: Form steps whose open fields the model was already asked about.
        self._model_steps: set[int] = set()
        #: The model's answers as it gave them (an option's label, not its value).
        self._model_text: dict[str, str] = {}
        #: What a person answered for a blocker (by kind) while the page was suspended:
        #: applied when the restored page shows that blocker again, without asking.
        self._carried: dict[str, HumanResolution] = {}
        #: The person approved the submit while the page was suspended.
        self._approved = False

    # -- entry -----------------------------------------------------------------------

    async def run(self) -> HandlerResult:
        try:
            result: HandlerResult = await self.session.run(self._attempt, self._recovered)
        except BaseException as exc:
            if isinstance(exc, (JobFailure, Exception)):
                await self._screenshot("failure")
            raise
        await self._screenshot("final")
        return result

    async def _recovered(self, attempt: int, reason: str) -> None:
        await self.ctx.progress("browser_recovered", attempt=attempt, reason=reason)

    async def _screenshot(self, name: str) -> str | None:
        with anyio.CancelScope(shield=True):
            shot = await self.session.screenshot()
            if shot is None:
                return None
            try:
                url: str = await self.ctx.save_artifact(
                    "screenshot", f"{name}.png", "image/png", shot
                )
                return url
            except Exception as exc:  # a failed screenshot must not hide the real outcome
                log.warning("screenshot_save_failed", error=str(exc))
                return None
        return None  # only reached if the shielded scope was cancelled from outside

    async def _attempt(self, page: Any) -> HandlerResult:
        target = self.session.job.target_url
        # After a restore, start where the person left the page (cookies are back).
        restored, self.session.restored_url = self.session.restored_url, None
        url = restored or target
        await self.ctx.progress("navigating", url=url)
        response = await self.session.goto(url)
        _raise_if_guarded(response, url)
        engine = FormEngine(
            page,
            self.book,
            resume=self.resume,
            count_action=self.ctx.count_action,
            settle_seconds=self.settle,
        )
        try:
            return await self._walk(page, engine)
        finally:
            engine.close()

    # -- the steps ------------------------------------------------------------------

    async def _walk(self, page: Any, engine: FormEngine) -> HandlerResult:
        for step in range(1, MAX_STEPS + 1):
            self.steps = step
            await self._get_past_blockers(page)
            await self.ctx.progress("filling_form", form_step=step, url=page.url)
            report = await self._fill_step(engine)
            if report.resume_uploaded and self.resume is not None:
                await self.ctx.progress(
                    "uploading_resume", filename=self.resume.name, size=len(self.resume.data)
                )
            if report.missing:
                raise JobFailure(
                    ErrorCode.MISSING_ANSWER,
                    "required questions have no answer in the profile or qa_answers: "
                    + "; ".join(report.missing[:5]),
                    details={"questions": report.missing, "url": page.url},
                    retryable=False,
                )
            action = await engine.find_action()
            if action is None:
                raise JobFailure(
                    ErrorCode.ELEMENT_NOT_FOUND,
                    "no Next or Submit button on the form",
                    details={"url": page.url, "step": step},
                )
            kind, button, text = action
            if kind == "next":
                await self._advance(page, engine, button, text)
                continue
            if not self.submit:
                return self._result(engine, None, submitted=False, page=page)
            return await self._submit(page, engine, button, text)
        raise JobFailure(
            ErrorCode.ELEMENT_NOT_FOUND,
            f"the form did not end after {MAX_STEPS} steps",
            details={"url": page.url},
        )

    async def _advance(self, page: Any, engine: FormEngine, button: Any, text: str) -> None:
        for _ in range(MAX_FIX_ROUNDS):
            before = await engine.signature()
            await button.click()
            await self.ctx.count_action(1)
            outcome = await self._wait_for_change(page, engine, before)
            if outcome != "errors":
                return
            if not await self._fix(engine):
                break
        errors = await engine.field_errors()
        raise JobFailure(
            ErrorCode.VALIDATION_FAILED,
            f"the form rejected the answers at {text!r}",
            details={"errors": errors, "url": page.url},
            retryable=False,
        )

    async def _fix(self, engine: FormEngine) -> bool:
        """React to validation messages: re-write rejected values, fill what appeared."""
        errors = await engine.field_errors()
        await self.ctx.progress("fixing_validation", errors=list(errors)[:10])
        changed = await engine.retry_rejected()
        report = await self._fill_step(engine)
        if report.missing:
            raise JobFailure(
                ErrorCode.MISSING_ANSWER,
                "required questions have no answer: " + "; ".join(report.missing[:5]),
                details={"questions": report.missing},
                retryable=False,
            )
        return changed or bool(report.filled)

    async def _fill_step(self, engine: FormEngine) -> StepReport:
        """Fill what the book answers; then, once per step, put the fields still open to
        the answerer and fill again with what it answered."""
        report = await engine.fill_step()
        self._note_model_answers(report)  # given before a browser recovery, filled again now
        answerer = self.answerer
        if answerer is None or not report.open or self.steps in self._model_steps:
            return report
        self._model_steps.add(self.steps)
        page = engine.page
        fields = [OpenField(f, await engine.max_length(f)) for f in report.open]
        answers = await answerer.answer(
            fields, context=await _page_context(page), screenshot=lambda: _full_page_png(page)
        )
        if not answers:
            return report
        for index, text in answers.items():
            f = report.open[index]
            is_date = f.kind == "date" or f.input_type == "date"
            date = parse_date(text) if is_date else None
            engine.supply(f, Answer(text, answerer.source, date=date))
            self._model_text[f.question] = text
        again = await engine.fill_step()
        self._note_model_answers(again)
        again.filled[:0] = report.filled
        again.resume_uploaded = again.resume_uploaded or report.resume_uploaded
        return again

    def _note_model_answers(self, report: StepReport) -> None:
        """List the model's answers that went into the form, once each."""
        listed = {a["question"] for a in self.answers_from_model}
        for e in report.filled:
            origin, _, model = e.source.partition(":")
            if origin in ("model", "learned") and e.question not in listed:
                text = self._model_text.get(e.question, str(e.value))
                entry: dict[str, Any] = {"question": e.question, "answer": text, "model": model}
                if origin == "learned":
                    entry["learned"] = True  # the model's answer on an earlier application
                self.answers_from_model.append(entry)
                listed.add(e.question)

    async def _wait_for_change(self, page: Any, engine: FormEngine, before: tuple[str, Any]) -> str:
        """After a click: "changed" (new step/page), "errors" (validation), or "same"."""
        deadline = time.monotonic() + self.settle
        while time.monotonic() < deadline:
            await anyio.sleep(0.1)
            try:
                await page.wait_for_load_state("domcontentloaded", timeout=5000)
            except Exception as exc:
                if page_gone(exc):
                    raise
            now = await engine.signature()
            if now != before:
                # A re-render can keep the URL and change the fields: give errors a beat.
                if now[0] == before[0] and await engine.field_errors():
                    return "errors"
                return "changed"
            if await engine.field_errors():
                return "errors"
        return "same"

    async def _submit(self, page: Any, engine: FormEngine, button: Any, text: str) -> HandlerResult:
        await self._get_past_blockers(page)
        if self.review_before_submit:
            await self._review(page, engine, text)
        await self.ctx.progress("submitting", button=text, url=page.url)
        clicks = 0
        while True:
            before = await engine.before_click()
            # Recovery evidence, not result evidence: from this line on, a crash must be
            # taken as "the application may have gone out" (the worker sends the job to a
            # person instead of running it again). Whether it did go out is decided after
            # the click from the network alone (engine.sent_since), and only that goes in
            # the result as submission_evidence.
            self.session.submitted = True
            await self.ctx.progress("submitted", button=text, url=page.url, click=clicks + 1)
            await button.click()
            clicks += 1
            await self.ctx.count_action(1)
            outcome = await self._await_confirmation(page, engine, before)
            if outcome == "unsent_errors" and clicks < MAX_FIX_ROUNDS:
                # Nothing left the page and it shows why: fill what it flagged and click
                # again. The first click provably sent nothing, so this cannot apply twice.
                await engine.forget_flagged()
                fixed = await self._fix(engine)
                if engine.sent_since(before.mark):  # it went out while we were fixing
                    outcome = await self._await_confirmation(page, engine, before)
                elif fixed:
                    action = await engine.find_action()
                    if action is not None and action[0] == "submit":
                        button, text = action[1], action[2]
                        continue
            return await self._submission_result(page, engine, outcome, before.mark, text)

    async def _review(self, page: Any, engine: FormEngine, button_text: str) -> None:
        """The submit gate: everything is filled; a person approves before the final click.

        The page, its session and the filled fields stay as they are while the job waits
        (its worker slot is given back meanwhile). ``continue`` (or ``skip``) submits;
        ``cancel`` ends the job without submitting (the context raises); no answer in
        time fails it with ``hitl_timeout``, nothing sent.
        """
        if self._approved:
            return
        shot = await self.session.screenshot()
        await self.ctx.progress("awaiting_approval", button=button_text, url=page.url)
        resolution = await self.ctx.wait_for_human(
            "review_before_submit",
            {
                "reason": "the application is filled in and waits for approval to submit",
                "url": page.url,
                "submit_button": button_text,
                "fields": [
                    {"question": f.question, "value": f.value, "source": f.source}
                    for f in engine.filled
                ][:100],
                "answers_from_model": self.answers_from_model,
            },
            shot,
        )
        await self.ctx.progress("approved", action=resolution.action)
        if self.session.take_restored():
            # The filled page was given up while waiting: fill it again and submit.
            self._approved = True
            raise RestartAttempt

    async def _submission_result(
        self, page: Any, engine: FormEngine, outcome: Confirmation | str, mark: int, button: str
    ) -> HandlerResult:
        """What the click did, judged by the requests that left the page since ``mark``."""
        sent = engine.sent_since(mark)
        evidence = [r.evidence() for r in sent[:10]]
        if isinstance(outcome, Confirmation) and sent:
            await self.ctx.progress(
                "confirmed",
                confirmation_id=outcome.confirmation_id,
                url=page.url,
                frame_url=outcome.frame_url,
            )
            return self._result(engine, outcome, submitted=True, page=page, evidence=evidence)
        if isinstance(outcome, Confirmation):
            # A "thank you" without any request: nothing says the site has the application.
            result = self._result(engine, None, submitted=False, page=page)
            result.result_data["confirmation_recognised"] = True
            return HandlerResult(
                result_data=result.result_data,
                summary="The page showed a confirmation, but no request left it; "
                "a person should check whether the application arrived",
                final_status="awaiting_review",
                final_mode="form_engine",
            )
        if not sent:
            refused = engine.guard_blocked_since(mark)
            if refused:
                raise JobFailure(
                    ErrorCode.BLOCKED_ADDRESS,
                    "the network guard refused where the form sends the application",
                    details={"url": page.url, "refused": [r.evidence() for r in refused[:5]]},
                    retryable=False,
                )
            problems = await engine.validation_problems()
            raise JobFailure(
                ErrorCode.VALIDATION_FAILED,
                f"the page did not send the application when {button!r} was clicked"
                + ("" if problems else ", and showed no reason"),
                details={
                    "errors": problems.get("fields", {}),
                    "messages": problems.get("messages", []),
                    "url": page.url,
                    "sent": False,
                },
                retryable=False,
            )
        if outcome == "rejected":
            problems = await engine.validation_problems()
            raise JobFailure(
                ErrorCode.VALIDATION_FAILED,
                "the site rejected the application",
                details={
                    "errors": problems.get("fields", {}),
                    "messages": problems.get("messages", []),
                    "url": page.url,
                    "sent": True,
                    "submission_evidence": evidence,
                },
                retryable=False,
            )
        # Sent, but no page we recognise as a confirmation: a person should look.
        statuses = sorted({r.status for r in sent if r.status is not None})
        data = self._result(engine, None, submitted=True, page=page, evidence=evidence).result_data
        return HandlerResult(
            result_data={**data, "confirmation_recognised": False},
            summary="Application submitted, but no confirmation page was recognised"
            + (f" (the site answered {', '.join(map(str, statuses))})" if statuses else ""),
            final_status="awaiting_review",
            final_mode="form_engine",
        )

    async def _await_confirmation(
        self, page: Any, engine: FormEngine, before: BeforeClick
    ) -> Confirmation | str:
        """After the final click: a :class:`Confirmation` (in any frame), or

        - ``"unsent_errors"``: nothing left the page and it flags fields or shows errors:
          at once when the click changed what it shows, after the settle time when the
          same messages were already there (a page may still be about to send);
        - ``"nothing_sent"``: nothing left the page and it shows nothing either, for the
          settle time;
        - ``"rejected"``: the request(s) got their answer and the page shows validation
          errors (at once for a 4xx/5xx answer, after a second for a 2xx one);
        - ``"unconfirmed"``: sent, and no confirmation before the browser timeout.
        """
        start = time.monotonic()
        quiet_until = start + self.settle
        deadline = start + self.session.provider.settings.browser_timeout_seconds
        unsent_polls = 0
        errors_since: float | None = None
        while True:
            await anyio.sleep(0.15)
            try:
                await page.wait_for_load_state("domcontentloaded", timeout=5000)
            except Exception as exc:
                if page_gone(exc):
                    raise
            found = await engine.confirmation(before.phrases)
            if found is not None:
                return found
            blocker = await detect_blocker(page)
            if blocker is not None and blocker.key not in self._acknowledged:
                await self._get_past_blockers(page)
                continue
            sent = engine.sent_since(before.mark)
            problems = await engine.validation_problems()
            field_errors = problems.get("fields", {})
            fresh = field_errors != before.field_errors or any(
                m not in before.messages for m in problems.get("messages", [])
            )
            flagged = bool(problems) and fresh
            now = time.monotonic()
            if not sent:
                # Two looks in a row: a page may clear old messages just before sending.
                unsent_polls = unsent_polls + 1 if flagged else 0
                if unsent_polls >= 2:
                    return "unsent_errors"
                if now >= quiet_until:
                    return "unsent_errors" if problems else "nothing_sent"
                continue
            answered = all(r.answered for r in sent)
            refused = any(r.rejected for r in sent)  # a 4xx/5xx answer or a failed request
            if answered and problems and (refused or fresh):
                if refused:
                    return "rejected"
                # A 2xx answer and new errors: give a confirmation a moment to replace them.
                errors_since = errors_since or now
                if now - errors_since >= 1.0:
                    return "rejected"
            else:
                errors_since = None
            if now >= deadline:
                return "unconfirmed"

    def _result(
        self,
        engine: FormEngine,
        confirmation: Confirmation | None,
        *,
        submitted: bool,
        page: Any,
        evidence: list[dict[str, Any]] | None = None,
    ) -> HandlerResult:
        """``submitted`` is true only with ``evidence``: requests that left the page."""
        data: dict[str, Any] = {
            "submitted": submitted,
            "submission_evidence": evidence or [],
            "confirmation_id": confirmation.confirmation_id if confirmation else None,
            "final_url": page.url,
            "steps": self.steps,
            "resume_uploaded": any(f.kind == "file" for f in engine.filled),
            "fields": [
                {"question": f.question, "value": f.value, "source": f.source}
                for f in engine.filled
            ],
            "browser_recoveries": self.session.recoveries,
        }
        if confirmation is not None and confirmation.frame_url:
            data["confirmation_url"] = confirmation.frame_url
        if confirmation is not None:
            summary = "Application submitted" + (
                f"; confirmation {confirmation.confirmation_id}"
                if confirmation.confirmation_id
                else ""
            )
        elif submitted:
            summary = "Application submitted"
        else:
            summary = f"Form filled ({len(engine.filled)} fields); not submitted"
        return HandlerResult(result_data=data, summary=summary, final_mode="form_engine")

    # -- blockers ----------------------------------------------------------------------

    async def _get_past_blockers(self, page: Any) -> None:
        for _ in range(6):
            blocker = await detect_blocker(page)
            if blocker is None or blocker.key in self._acknowledged:
                if self._login_pending and (
                    blocker is None or blocker.kind not in ("login", "two_factor")
                ):
                    self._login_pending = False
                    # Credentials belong to the form they were typed into, not to where
                    # the login ended (an SSO hop can end on another site).
                    await self.session.save_login(
                        self._login_form_url or page.url, self._new_credentials
                    )
                    await self.ctx.progress("signed_in", url=page.url)
                return
            if blocker.kind == "login" and not self._tried_stored_login:
                self._tried_stored_login = True
                stored = await self.session.stored_credentials(page.url)
                if stored is not None:
                    await self.ctx.progress("signing_in", source="stored_credentials")
                    await self._sign_in(page, stored)
                    self._login_pending = True
                    continue
            carried = self._carried.pop(blocker.kind, None)
            if carried is not None:
                await self._apply(page, blocker, carried)
            else:
                await self._ask_human(page, blocker)
        raise JobFailure(
            ErrorCode.LOGIN_REQUIRED if self._login_pending else ErrorCode.CAPTCHA_BLOCKED,
            "still blocked after several attempts",
            details={"url": page.url},
            retryable=False,
        )

    async def _ask_human(self, page: Any, blocker: Blocker) -> None:
        # wait_for_human stores the screenshot with the pause (the JobContext contract).
        shot = await self.session.screenshot()
        await self.ctx.progress("blocked", kind=blocker.kind, reason=blocker.reason, url=page.url)
        resolution = await self.ctx.wait_for_human(
            blocker.kind,
            {
                "reason": blocker.reason,
                "url": page.url,
                **{k: v for k, v in blocker.details.items() if k != "url"},
            },
            shot,
        )
        await self.ctx.progress("resumed", action=resolution.action, kind=blocker.kind)
        if resolution.action != "cancel" and self.session.take_restored():
            # A new page: the answer applies when it shows this blocker again.
            self._carried[blocker.kind] = resolution
            raise RestartAttempt
        await self._apply(page, blocker, resolution)

    async def _apply(self, page: Any, blocker: Blocker, resolution: HumanResolution) -> None:
        """Act on what the person answered about ``blocker``."""
        if resolution.action == "cancel":
            raise JobFailure(
                blocker.error_code, f"{blocker.reason}: the person declined", retryable=False
            )
        if resolution.action == "code" and resolution.code:
            await self._enter_code(page, resolution.code)
            self._login_pending = True
            return
        if resolution.action == "credentials" and resolution.username and resolution.password:
            creds = (resolution.username, resolution.password)
            await self._sign_in(page, creds)
            self._new_credentials = creds
            self._login_pending = True
            return
        self._acknowledged.add(blocker.key)

    async def _sign_in(self, page: Any, creds: tuple[str, str]) -> None:
        """Fill the sign-in form. The values never reach a log line or an event."""
        user = page.locator(
            "input[autocomplete=username], input[type=email], input[name*=user i], "
            "input[name*=email i], input[id*=user i], input[id*=email i]"
        ).first
        password = page.locator("input[type=password]").first
        url_before = page.url
        self._login_form_url = await password.evaluate("el => el.ownerDocument.location.href")
        await user.fill(creds[0])
        await password.fill(creds[1])
        await self.ctx.count_action(2)
        await password.press("Enter")
        await self._settle_after_submit(page, url_before)

    async def _enter_code(self, page: Any, code: str) -> None:
        field = page.locator(
            "input[autocomplete=one-time-code], input[name*=code i], input[id*=otp i], "
            "input[name*=otp i], input[inputmode=numeric]"
        ).first
        url_before = page.url
        await field.fill(code)
        await self.ctx.count_action(1)
        await field.press("Enter")
        await self._settle_after_submit(page, url_before)

    async def _settle_after_submit(self, page: Any, url_before: str) -> None:
        deadline = time.monotonic() + self.settle
        while page.url == url_before and time.monotonic() < deadline:  # noqa: ASYNC110 - polling the page
            await anyio.sleep(0.1)
        try:
            await page.wait_for_load_state("domcontentloaded", timeout=10_000)
        except Exception as exc:
            if page_gone(exc):
                raise


async def _page_context(page: Any) -> str:
    """What the model is told about where the form is."""
    try:
        title = await page.title()
    except Exception:
        title = ""
    return (
        f"Application form {title!r} at {page.url}" if title else f"Application form at {page.url}"
    )


#: The tallest screenshot a model is shown (providers refuse images over 8000 pixels).
_MAX_SHOT_HEIGHT = 6000
_PAGE_SIZE_JS = (
    "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
)


async def _full_page_png(page: Any) -> bytes | None:
    """The form as a PNG (for a vision model), from the top of the page and at most
    ``_MAX_SHOT_HEIGHT`` tall, or None when the page cannot take one."""
    try:
        with anyio.fail_after(10):
            width, height = await page.evaluate(_PAGE_SIZE_JS)
            clip = {"x": 0, "y": 0, "width": width, "height": min(height, _MAX_SHOT_HEIGHT)}
            data: bytes = await page.screenshot(type="png", full_page=True, clip=clip)
            return data
    except Exception as exc:
        if page_gone(exc):
            raise
        log.debug("screenshot_failed", error=str(exc))
        return None


def _raise_if_guarded(response: Any, url: str) -> None:
    """A navigation the guard proxy refused (for example a redirect to a private host)."""
    if response is not None and response.status == 403:
        reason = response.headers.get("x-gh-blocked")
        if reason:
            raise JobFailure(
                ErrorCode.BLOCKED_ADDRESS,
                f"the network guard refused part of the way to {url} ({reason})",
                details={"url": url, "final_url": response.url, "reason": reason},
                retryable=False,
            )
