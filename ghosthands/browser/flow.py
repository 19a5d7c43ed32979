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
carry one.
"""

from __future__ import annotations

import time
from typing import Any

import anyio

from ghosthands.browser.answers import AnswerBook
from ghosthands.browser.blockers import Blocker, detect_blocker
from ghosthands.browser.forms import Confirmation, FormEngine, ResumeFile
from ghosthands.jobs.contract import HandlerResult, JobContext, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.logs import get_logger

log = get_logger(__name__)

MAX_STEPS = 12
MAX_FIX_ROUNDS = 3


class ApplicationFlow:
    def __init__(
        self,
        ctx: JobContext,
        book: AnswerBook,
        *,
        resume: ResumeFile | None,
        submit: bool = True,
    ) -> None:
        self.ctx = ctx
        self.session = ctx.browser
        self.book = book
        self.resume = resume
        self.submit = submit
        self.settle = min(6.0, self.session.provider.settings.browser_timeout_seconds)
        self._acknowledged: set[tuple[str, str]] = set()
        self._tried_stored_login = False
        self._new_credentials: tuple[str, str] | None = None
        self._login_pending = False
        self.steps = 0

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
        await self.ctx.progress("navigating", url=target)
        response = await self.session.goto(target)
        _raise_if_guarded(response, target)
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
            report = await engine.fill_step()
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
        report = await engine.fill_step()
        if report.missing:
            raise JobFailure(
                ErrorCode.MISSING_ANSWER,
                "required questions have no answer: " + "; ".join(report.missing[:5]),
                details={"questions": report.missing},
                retryable=False,
            )
        return changed or bool(report.filled)

    async def _wait_for_change(self, page: Any, engine: FormEngine, before: tuple[str, Any]) -> str:
        """After a click: "changed" (new step/page), "errors" (validation), or "same"."""
        deadline = time.monotonic() + self.settle
        while time.monotonic() < deadline:
            await anyio.sleep(0.1)
            try:
                await page.wait_for_load_state("domcontentloaded", timeout=5000)
            except Exception as exc:
                if "crash" in str(exc).lower() or "closed" in str(exc).lower():
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
        await self.ctx.progress("submitting", button=text, url=page.url)
        clicks = 0
        while True:
            sent_before = engine.unsafe_requests
            url_before = page.url
            # Evidence first: if we die after this line, recovery must assume it went out.
            self.session.submitted = True
            await self.ctx.progress("submitted", button=text, url=page.url, click=clicks + 1)
            await button.click()
            clicks += 1
            await self.ctx.count_action(1)
            outcome = await self._await_confirmation(page, engine)
            if isinstance(outcome, Confirmation):
                await self.ctx.progress(
                    "confirmed", confirmation_id=outcome.confirmation_id, url=page.url
                )
                return self._result(engine, outcome, submitted=True, page=page)
            nothing_sent = engine.unsafe_requests == sent_before and page.url == url_before
            if outcome == "errors" and nothing_sent and clicks < MAX_FIX_ROUNDS:
                # The browser refused to send the form: fixing it and clicking again
                # cannot make a second application.
                if await self._fix(engine):
                    action = await engine.find_action()
                    if action is not None and action[0] == "submit":
                        button, text = action[1], action[2]
                        continue
            if outcome == "errors":
                errors = await engine.field_errors()
                raise JobFailure(
                    ErrorCode.VALIDATION_FAILED,
                    "the site rejected the application",
                    details={"errors": errors, "url": page.url, "sent": not nothing_sent},
                    retryable=False,
                )
            # Sent, but no page we recognise as a confirmation: a person should look.
            return HandlerResult(
                result_data={
                    **self._result(engine, None, submitted=True, page=page).result_data,
                    "confirmation_recognised": False,
                },
                summary="Application submitted, but no confirmation page was recognised",
                final_status="awaiting_review",
                final_mode="form_engine",
            )

    async def _await_confirmation(self, page: Any, engine: FormEngine) -> Confirmation | str:
        deadline = time.monotonic() + self.session.provider.settings.browser_timeout_seconds
        while time.monotonic() < deadline:
            await anyio.sleep(0.15)
            try:
                await page.wait_for_load_state("domcontentloaded", timeout=5000)
            except Exception as exc:
                if "crash" in str(exc).lower() or "closed" in str(exc).lower():
                    raise
            found = await engine.confirmation()
            if found is not None:
                return found
            blocker = await detect_blocker(page)
            if blocker is not None and blocker.key not in self._acknowledged:
                await self._get_past_blockers(page)
                continue
            if await engine.field_errors():
                return "errors"
        return "timeout"

    def _result(
        self, engine: FormEngine, confirmation: Confirmation | None, *, submitted: bool, page: Any
    ) -> HandlerResult:
        data: dict[str, Any] = {
            "submitted": submitted,
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
                    await self.session.save_login(page.url, self._new_credentials)
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
            if "crash" in str(exc).lower() or "closed" in str(exc).lower():
                raise


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
