"""The deterministic form engine: find a page's fields, fill them, walk the steps.

One step of a form (:meth:`FormEngine.fill_step`) is: discover the fields of the main
frame and its same-origin iframes (open shadow roots included, see ``discover.js``),
ask the :class:`~ghosthands.browser.answers.AnswerBook` what each one should hold, and
fill it. Fields that depend on others (a state list loaded after the country changes, a
question that appears after a radio) are picked up by re-discovering until the page
settles. Optional fields without an answer are left untouched; required ones are
reported so the handler can stop with a clear error instead of guessing.

The engine never clicks a final submit button twice. Before the click it sets
``session.submitted`` and records a ``submitted`` progress event (the worker's recovery
treats that event as evidence the application may have gone out). A second click is
allowed only when the first provably sent nothing: the page is unchanged, shows
validation errors, and no non-GET request left the page.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import anyio

from ghosthands.browser.answers import (
    Answer,
    AnswerBook,
    FieldInfo,
    choose_option,
    format_date,
    normalise,
    yes_no,
)
from ghosthands.logs import get_logger

log = get_logger(__name__)

_DISCOVER_JS = resources.files("ghosthands.browser").joinpath("discover.js").read_text("utf-8")

_ACTIONS_JS = r"""
(prefix) => {
  const clean = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const visible = (el) => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && cs.visibility !== 'hidden' && cs.display !== 'none' && !el.closest('[hidden]'); };
  const out = [];
  let n = 0;
  for (const el of document.querySelectorAll('button, input[type=submit], input[type=button], [role=button], a[href]')) {
    if (!visible(el) || el.disabled || el.getAttribute('aria-disabled') === 'true') continue;
    const text = clean(el.innerText || el.value || el.getAttribute('aria-label') || el.title);
    if (!text || text.length > 60) continue;
    const id = prefix + (n++);
    el.setAttribute('data-gh-action', id);
    out.push({ id, text, tag: el.tagName.toLowerCase(), type: (el.getAttribute('type') || '').toLowerCase(),
               in_form: !!el.closest('form') });
  }
  return out;
}
"""

_PAGE_TEXT_JS = "() => (document.body ? document.body.innerText : '').slice(0, 20000)"

_SUBMIT = re.compile(
    r"^(submit|send|apply|finish|complete|confirm)\b|\b(submit|send) (my |your )?application\b|^apply now\b"
)
_NEXT = re.compile(r"^(next|continue|proceed|review|save (and|&) continue|next step)\b")
_NOT_AN_ACTION = re.compile(
    r"\b(linkedin|indeed|google|facebook|apple|seek|sign in|log in|login|upload|browse|drop|"
    r"cancel|back|previous|draft|later|calendar|remove|delete|clear|add another)\b"
)
_CONFIRMED = re.compile(
    r"\b(thank you for (applying|your application|your interest|submitting)|application (has been |was )?"
    r"(submitted|received|complete)|we (have|ve) received your application|successfully (submitted|applied)|"
    r"your application (is complete|has been sent))\b",
    re.IGNORECASE,
)
_CONFIRMATION_ID = re.compile(
    r"\b(?:confirmation|reference|application|submission|tracking)\s*(?:number|no\.?|id|code|#)"
    r"\s*(?:is|:)?\s*[:#]?\s*([A-Z0-9][A-Z0-9-]{3,})\b",
    re.IGNORECASE,
)


@dataclass
class ResumeFile:
    name: str
    content_type: str
    data: bytes


@dataclass
class Filled:
    question: str
    kind: str
    value: Any
    source: str


@dataclass
class StepReport:
    filled: list[Filled] = field(default_factory=list)
    #: Required fields nobody gave an answer for (their question wording).
    missing: list[str] = field(default_factory=list)
    #: Optional fields left untouched on purpose.
    skipped: list[str] = field(default_factory=list)
    resume_uploaded: bool = False


@dataclass
class Confirmation:
    confirmation_id: str | None
    text: str


class FormProblem(Exception):
    """The form cannot be completed (the handler turns it into a JobFailure)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def _key(f: FieldInfo) -> tuple[int, str]:
    """A field's identity across re-discoveries (``gh_id`` changes every scan)."""
    return (f.frame, f.name or f.id_attr or f.question)


class FormEngine:
    """Fills one page's application form for one applicant."""

    def __init__(
        self,
        page: Any,
        book: AnswerBook,
        *,
        resume: ResumeFile | None = None,
        count_action: Callable[[int], Awaitable[None]] | None = None,
        settle_seconds: float = 4.0,
    ) -> None:
        self.page = page
        self.book = book
        self.resume = resume
        self._count_action = count_action
        self.settle_seconds = settle_seconds
        self._scan = 0
        self._frames: list[Any] = []
        #: What we put in each field, so a re-scan does not fill it again.
        self._done: dict[tuple[int, str], Any] = {}
        #: Alternatives still untried for fields the page rejected.
        self._alternatives: dict[tuple[int, str], list[str]] = {}
        self._unsafe_requests = 0
        self.filled: list[Filled] = []
        page.on("request", self._on_request)

    def close(self) -> None:
        try:
            self.page.remove_listener("request", self._on_request)
        except Exception as exc:  # the page is gone
            log.debug("remove_listener_failed", error=str(exc))

    def _on_request(self, request: Any) -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            self._unsafe_requests += 1

    async def _act(self, n: int = 1) -> None:
        if self._count_action is not None:
            await self._count_action(n)

    # -- discovery -------------------------------------------------------------------

    def _same_origin_frames(self) -> list[Any]:
        main = self.page.main_frame
        origin = urlsplit(main.url)[:2]
        frames = [main]
        for frame in self.page.frames:
            if frame is main or frame.is_detached():
                continue
            if urlsplit(frame.url)[:2] == origin:
                frames.append(frame)
        return frames

    async def discover(self) -> list[FieldInfo]:
        """Every fillable field of the page now, in document order, main frame first."""
        self._scan += 1
        self._frames = self._same_origin_frames()
        fields: list[FieldInfo] = []
        for index, frame in enumerate(self._frames):
            try:
                found = await frame.evaluate(_DISCOVER_JS, {"prefix": f"g{self._scan}f{index}-"})
            except Exception as exc:
                if index == 0:
                    raise
                log.debug("frame_discovery_failed", frame=frame.url, error=str(exc))
                continue
            fields.extend(FieldInfo.from_js(item, index) for item in found)
        return fields

    def _loc(self, f: FieldInfo, gh_id: str | None = None) -> Any:
        return self._frames[f.frame].locator(f'[data-gh-id="{gh_id or f.gh_id}"]')

    # -- filling ---------------------------------------------------------------------

    async def fill_step(self) -> StepReport:
        """Fill what can be filled on the current step; report what cannot."""
        report = StepReport()
        deadline = time.monotonic() + self.settle_seconds
        while True:
            fields = await self.discover()
            progressed = False
            waiting = False
            for f in fields:
                if f.kind == "file" or f.readonly:
                    continue
                key = _key(f)
                if key in self._done:
                    continue
                answer = self.book.answer_for(f)
                if answer is None:
                    continue
                if f.disabled or (f.kind in ("select", "multiselect") and not f.real_options):
                    waiting = True  # e.g. a dependent select still loading its options
                    continue
                written = await self._fill(f, answer)
                if written is None:
                    continue
                self._done[key] = written
                entry = Filled(f.question, f.kind, written, answer.source)
                report.filled.append(entry)
                self.filled.append(entry)
                progressed = True
            if progressed:
                deadline = time.monotonic() + self.settle_seconds
                await anyio.sleep(0.1)  # let the page react (conditional fields, loaders)
                continue
            if waiting and time.monotonic() < deadline:
                await anyio.sleep(0.2)
                continue
            break
        report.resume_uploaded = await self._upload_resume(fields)
        for f in fields:
            if f.kind == "file" or f.disabled or _key(f) in self._done:
                continue
            if _has_value(f):
                continue
            if f.required:
                report.missing.append(f.question)
            else:
                report.skipped.append(f.question)
        return report

    async def _fill(self, f: FieldInfo, answer: Answer) -> Any:
        """Put ``answer`` into ``f``; return what was written, or None if it could not be."""
        loc = self._loc(f)
        try:
            if f.kind in ("text", "textarea", "date"):
                return await self._fill_text(f, answer, loc)
            if f.kind in ("select", "multiselect"):
                option = choose_option(answer.value, f.real_options)
                if option is None:
                    log.info("no_matching_option", question=f.question, source=answer.source)
                    return None
                await loc.select_option(value=option["value"])
                await self._act()
                return option["value"]
            if f.kind == "radio":
                option = choose_option(answer.value, f.options)
                if option is None:
                    return None
                await self._check(self._loc(f, option["gh_id"]))
                return option["value"]
            if f.kind == "checkbox":
                want = yes_no(answer.value)
                if want is None:
                    return None
                if want != f.checked:
                    await self._check(loc, want)
                return want
            if f.kind == "checkbox_group":
                wanted = (
                    answer.value
                    if isinstance(answer.value, list)
                    else re.split(r"[,;]", str(answer.value))
                )
                chosen = []
                for item in wanted:
                    option = choose_option(item, f.options)
                    if option is not None and option not in chosen:
                        chosen.append(option)
                for option in chosen:
                    if not option.get("checked"):
                        await self._check(self._loc(f, option["gh_id"]))
                return [o["value"] for o in chosen] or None
            if f.kind == "switch":
                want = yes_no(answer.value)
                if want is None:
                    return None
                if want != f.checked:
                    await loc.click()
                    await self._act()
                return want
            if f.kind == "combobox":
                return await self._fill_combobox(f, answer, loc)
            if f.kind == "listbox":
                option = choose_option(answer.value, f.options)
                if option is None:
                    return None
                await self._loc(f, option["gh_id"]).click()
                await self._act()
                return option["text"]
        except FormProblem:
            raise
        except Exception as exc:
            if "crash" in str(exc).lower() or "closed" in str(exc).lower():
                raise
            log.warning("fill_failed", question=f.question, kind=f.kind, error=str(exc)[:200])
            return None
        return None

    async def _check(self, loc: Any, checked: bool = True) -> None:
        try:
            await loc.set_checked(checked, timeout=2000)
        except Exception:
            # Custom-styled inputs are often visually hidden behind their label.
            await loc.evaluate("(el, want) => { if (el.checked !== want) el.click(); }", checked)
        await self._act()

    async def _fill_text(self, f: FieldInfo, answer: Answer, loc: Any) -> Any:
        candidates: list[str]
        if answer.date is not None:
            if f.kind == "date" or f.input_type == "date":
                candidates = [answer.date.isoformat()]
            else:
                candidates = format_date(answer.date, f.placeholder or f.describedby or f.title)
        else:
            value = answer.value
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            text = str(value)
            if f.input_type == "number":
                text = re.sub(r"[^\d.]", "", text) or text
            candidates = [text, *answer.alternatives]
        first, rest = candidates[0], candidates[1:]
        for attempt in [first, *rest]:
            await loc.fill(attempt)
            await loc.evaluate("el => { el.dataset.ghTouched = '1'; }")
            await self._act()
            valid = await loc.evaluate("el => el.checkValidity ? el.checkValidity() : true")
            if valid:
                self._alternatives[_key(f)] = [c for c in candidates if c != attempt and c in rest]
                return attempt
        self._alternatives[_key(f)] = []
        return candidates[-1]

    async def _fill_combobox(self, f: FieldInfo, answer: Answer, loc: Any) -> Any:
        wanted = str(answer.value)
        is_input = f.tag == "input"
        typings = [wanted]
        if "," in wanted:
            typings.append(wanted.split(",")[0].strip())
        for typed in typings:
            if is_input:
                await loc.fill("")
                await loc.press_sequentially(typed, delay=15)
            else:
                await loc.click()
            await self._act()
            options = await self._listbox_options(f, loc)
            option = choose_option(wanted, options)
            if option is None and typed != wanted:
                option = choose_option(typed, options) if len(options) == 1 else None
            if option is not None:
                await self._frames[f.frame].locator(f'[data-gh-opt="{option["gh_opt"]}"]').click()
                await self._act()
                return option["text"]
        if is_input:
            await loc.fill("")  # leave nothing half-typed behind
        return None

    async def _listbox_options(self, f: FieldInfo, loc: Any) -> list[dict[str, Any]]:
        """The visible options of a combobox's popup, once they have loaded."""
        script = r"""
        (el, prefix) => {
          const root = el.getRootNode();
          const ids = ((el.getAttribute('aria-controls') || '') + ' ' + (el.getAttribute('aria-owns') || '')).split(/\s+/).filter(Boolean);
          let boxes = ids.map((id) => (root.getElementById ? root.getElementById(id) : document.getElementById(id))).filter(Boolean);
          if (!boxes.length) boxes = [...document.querySelectorAll('[role=listbox]')];
          const out = [];
          let n = 0;
          for (const box of boxes) for (const o of box.querySelectorAll('[role=option]')) {
            const r = o.getBoundingClientRect();
            if (r.width < 1 || r.height < 1) continue;
            const id = prefix + (n++);
            o.setAttribute('data-gh-opt', id);
            out.push({ gh_opt: id, text: (o.textContent || '').replace(/\s+/g, ' ').trim(), value: o.getAttribute('data-value') || '' });
          }
          return out;
        }
        """
        deadline = time.monotonic() + min(3.0, self.settle_seconds)
        previous: list[dict[str, Any]] = []
        while True:
            self._scan += 1
            options: list[dict[str, Any]] = await loc.evaluate(script, f"o{self._scan}-")
            # Wait until the list has stopped changing (results stream in while typing).
            if options and [o["text"] for o in options] == [o["text"] for o in previous]:
                return options
            if time.monotonic() >= deadline:
                return options
            previous = options
            await anyio.sleep(0.15)

    async def _upload_resume(self, fields: list[FieldInfo]) -> bool:
        if self.resume is None:
            return False
        files = [f for f in fields if f.kind == "file" and not f.disabled]
        if not files:
            return False
        target = _resume_input(files)
        if target is None or _key(target) in self._done:
            return False
        await self._loc(target).set_input_files(
            {
                "name": self.resume.name,
                "mimeType": self.resume.content_type,
                "buffer": self.resume.data,
            }
        )
        await self._act()
        self._done[_key(target)] = self.resume.name
        self.filled.append(Filled(target.question, "file", self.resume.name, "resume"))
        return True

    # -- errors, actions, confirmation ----------------------------------------------

    async def field_errors(self) -> dict[str, list[str]]:
        """Validation messages the page shows now, by field question."""
        found: dict[str, list[str]] = {}
        for f in await self.discover():
            if f.invalid:
                found[f.question] = f.errors or ["invalid"]
        return found

    async def retry_rejected(self) -> bool:
        """Re-fill fields the page rejected with the next way of writing their value."""
        changed = False
        for f in await self.discover():
            key = _key(f)
            if not f.invalid or key not in self._done:
                continue
            remaining = self._alternatives.get(key) or []
            if not remaining:
                continue
            value = remaining.pop(0)
            await self._loc(f).fill(value)
            await self._loc(f).evaluate("el => el.dataset.ghTouched = '1'")
            await self._act()
            self._done[key] = value
            log.info(
                "field_refilled", question=f.question, reason=(f.errors or ["invalid"])[0][:120]
            )
            changed = True
        return changed

    async def find_action(self) -> tuple[str, Any, str] | None:
        """The button that moves the form on: ("next" | "submit", locator, its text)."""
        best: tuple[int, str, Any, str] | None = None
        for frame in self._same_origin_frames():
            try:
                self._scan += 1
                actions = await frame.evaluate(_ACTIONS_JS, f"a{self._scan}-")
            except Exception as exc:  # a frame navigating away: skip it this time
                log.debug("frame_actions_failed", error=str(exc))
                continue
            for action in actions:
                text = normalise(action["text"])
                if _NOT_AN_ACTION.search(text):
                    continue
                kind = "next" if _NEXT.search(text) else "submit" if _SUBMIT.search(text) else None
                if kind is None:
                    continue
                score = (2 if kind == "next" else 1) * 10 + (3 if action["in_form"] else 0)
                score += 2 if action["type"] == "submit" else 0
                score -= 5 if action["tag"] == "a" else 0
                if best is None or score > best[0]:
                    best = (
                        score,
                        kind,
                        frame.locator(f'[data-gh-action="{action["id"]}"]'),
                        action["text"],
                    )
        if best is None:
            return None
        return best[1], best[2], best[3]

    async def signature(self) -> tuple[str, tuple[tuple[int, str], ...]]:
        """What the page looks like now: its URL and the fields it shows."""
        try:
            fields = await self.discover()
        except Exception:
            return (self.page.url, ())
        return (self.page.url, tuple(_key(f) for f in fields))

    async def page_text(self) -> str:
        try:
            text: str = await self.page.main_frame.evaluate(_PAGE_TEXT_JS)
            return text
        except Exception:
            return ""

    async def confirmation(self) -> Confirmation | None:
        text = await self.page_text()
        if not _CONFIRMED.search(text):
            return None
        match = _CONFIRMATION_ID.search(text)
        return Confirmation(match.group(1) if match else None, text[:500])

    @property
    def unsafe_requests(self) -> int:
        return self._unsafe_requests


def _has_value(f: FieldInfo) -> bool:
    if f.kind in ("radio", "checkbox_group", "listbox"):
        return any(o.get("checked") for o in f.options)
    if f.kind in ("checkbox", "switch"):
        return f.checked
    return bool(str(f.value).strip())


_RESUME = re.compile(r"\b(resume|cv|curriculum vitae)\b")
_OTHER_FILE = re.compile(
    r"\b(cover letter|transcript|portfolio|writing sample|photo|picture|avatar|certificate)\b"
)


def _resume_input(files: list[FieldInfo]) -> FieldInfo | None:
    def words(f: FieldInfo) -> str:
        return normalise(" ".join([f.question, f.name, f.id_attr, f.nearby]))

    named = [f for f in files if _RESUME.search(words(f)) and not _OTHER_FILE.search(words(f))]
    if named:
        return named[0]
    generic = [f for f in files if not _OTHER_FILE.search(words(f))]
    return generic[0] if len(generic) == 1 else None
