"""The deterministic form engine: find a page's fields, fill them, walk the steps.

One step of a form (:meth:`FormEngine.fill_step`) is: discover the fields of every
visible frame, cross-origin iframes included (Playwright evaluates in each frame; open
shadow roots are walked too, see ``discover.js``), ask the
:class:`~ghosthands.browser.answers.AnswerBook` what each one should hold, and fill it. Fields that depend on others (a state list loaded after the country changes, a
question that appears after a radio) are picked up by re-discovering until the page
settles. Optional fields without an answer are left untouched; required ones are
reported so the handler can stop with a clear error instead of guessing.

The engine never clicks a final submit button twice. Before the click it sets
``session.submitted`` and records a ``submitted`` progress event (the worker's recovery
treats that event as evidence the application may have gone out). A second click is
allowed only when the first provably sent nothing: the engine watches the network of
every page and frame of the job's browser context (:class:`SentRequest`), and only a
request that left the page after the click (a non-GET request, a websocket message, or
a navigation of the form's frame) counts as having sent something. That same record is
the *result's* evidence: an application is reported as submitted only on the strength
of such a request, never of the click itself.
"""

from __future__ import annotations

import re
import time
from collections import Counter
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
from ghosthands.browser.provider import page_gone
from ghosthands.browser.widgets import Popup, date_of, part_values, plausible, same_option
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
  const SEL = 'button, input[type=submit], input[type=button], [role=button], a[href]';
  // While a modal dialog is open, what lies under it cannot be clicked (see find_action).
  const modals = [...document.querySelectorAll('[aria-modal=true], dialog[open]')].filter(visible);
  const here = location.href.split('#')[0];
  const scan = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) scan(el.shadowRoot);
      if (!el.matches(SEL) || el.hasAttribute('aria-pressed') || el.hasAttribute('aria-haspopup')) continue;
      if (!visible(el) || el.disabled || el.getAttribute('aria-disabled') === 'true') continue;
      // A jump to a place on the same page ("Apply for this job" -> #application).
      const href = el.tagName === 'A' ? (el.getAttribute('href') || '') : '';
      if (href.length > 1 && href[0] === '#' && document.getElementById(href.slice(1))) continue;
      const target = el.tagName === 'A' && /^https?:/.test(el.href) ? el.href : '';
      const text = clean(el.innerText || el.value || el.getAttribute('aria-label') || el.title);
      if (!text || text.length > 60) continue;
      const id = prefix + (n++);
      el.setAttribute('data-gh-action', id);
      out.push({ id, text, tag: el.tagName.toLowerCase(), type: (el.getAttribute('type') || '').toLowerCase(),
                 in_form: !!el.closest('form') || !!(el.form), href: target,
                 same_page: !!target && target.split('#')[0] === here,
                 in_modal: modals.some((m) => m.contains(el)) });
    }
  };
  scan(document);
  return out;
}
"""

#: The text a person sees in one frame, open shadow roots included.
_FRAME_TEXT_JS = r"""
() => {
  const parts = [document.body ? document.body.innerText : ''];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (!el.shadowRoot) continue;
      for (const c of el.shadowRoot.children) if (c.innerText) parts.push(c.innerText);
      walk(el.shadowRoot);
    }
  };
  walk(document);
  return parts.join('\n').slice(0, 30000);
}
"""

#: Messages not tied to one field: an error summary, a role=alert banner.
_MESSAGES_JS = r"""
() => {
  const clean = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const SEL = '[role=alert], [aria-live=assertive], .error-summary, .alert-danger, .alert-error, .form-error, .errors, .error';
  const visible = (el) => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && cs.visibility !== 'hidden' && cs.display !== 'none' && !el.closest('[hidden]'); };
  const out = [];
  const scan = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) scan(el.shadowRoot);
      if (!el.matches(SEL) || !visible(el) || el.querySelector('input, select, textarea, button')) continue;
      const t = clean(el.textContent).slice(0, 300);
      if (t && !out.includes(t)) out.push(t);
    }
  };
  scan(document);
  return out.slice(0, 20);
}
"""

#: Remember which fields the browser's own constraint validation flagged: a submit the
#: browser refused fires ``invalid`` on each of them (it does not bubble: capture).
_WATCH_INVALID_JS = r"""
() => {
  const d = document.documentElement;
  if (!d || d.dataset.ghWatch) return;
  d.dataset.ghWatch = '1';
  document.addEventListener('invalid', (e) => {
    const t = e.composedPath()[0];
    if (t && t.dataset) t.dataset.ghFlagged = '1';
  }, true);
}
"""

_STATE_JS = r"""
(el) => {
  if (el.matches('input')) return el.checked;
  const v = el.getAttribute('aria-checked') ?? el.getAttribute('aria-pressed') ?? el.getAttribute('aria-selected');
  if (v !== null) return v === 'true' || v === 'mixed';
  // A toggle button without ARIA state shows it by a class (see discover.js).
  return /(^|[\s_-])(active|selected|checked|pressed)($|[\s_-])/i.test(typeof el.className === 'string' ? el.className : '');
}
"""

_PAGE_TEXT_JS = "() => (document.body ? document.body.innerText : '').slice(0, 20000)"

_SUBMIT = re.compile(
    r"^(submit|send|apply|finish|complete|confirm)\b|\b(submit|send) (my |your )?application\b|^apply now\b"
)
_NEXT = re.compile(r"^(next|continue|proceed|review|save (and |& )?continue|next step)\b")
#: The button of a job posting that opens the application ("Apply", "Apply for this job
#: online", "Apply Manually"): a final submit only on a page that holds the application's
#: fields (see :meth:`FormEngine.find_action`).
_ENTRY = re.compile(r"^apply\b")
_SENDS = re.compile(r"\b(submit|send)\b")
#: Always a way into the application, never its submit.
_START = re.compile(r"^((start|begin)( your| my| an| the| new)? application|i ?m interested)\b")
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
    #: The fields behind ``missing``, plus empty ones the page flagged invalid: what a
    #: model may be asked about (see ``ApplicationFlow``). From the step's last scan.
    open: list[FieldInfo] = field(default_factory=list)


@dataclass
class Confirmation:
    confirmation_id: str | None
    text: str
    #: The URL of the frame that showed it (the page's, or an iframe's).
    frame_url: str = ""


@dataclass
class BeforeClick:
    """The page just before a final submit click, so that afterwards only what the
    click caused counts: requests after ``mark``, confirmation wording and messages
    that were not already there, field errors that changed."""

    mark: int
    phrases: Counter[str]
    messages: set[str]
    field_errors: dict[str, list[str]]


_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

#: What ``discover.js`` reports beyond :class:`FieldInfo`: the boxes of a split date, a
#: text input with role-less suggestions, a dropdown button, the section heading.
_EXTRAS = ("parts", "typeahead_hint", "popup_button", "section")


@dataclass
class SentRequest:
    """A request that left the page: what a submission's evidence is made of."""

    seq: int
    method: str
    #: Scheme, host and path only: a query string can carry personal data.
    url: str
    #: Playwright's resource type: document (a form post or navigation), fetch, xhr...
    kind: str
    status: int | None = None
    failure: str | None = None
    #: The network guard refused it: it reached nobody (the guard's 403).
    guard_blocked: str | None = None
    #: A websocket message or a request whose answer is not awaited.
    done: bool = False

    @property
    def answered(self) -> bool:
        return self.done or self.status is not None or self.failure is not None

    @property
    def delivered(self) -> bool:
        """It may have reached the site (everything except a guard refusal)."""
        return self.guard_blocked is None

    @property
    def rejected(self) -> bool:
        return self.failure is not None or (self.status is not None and self.status >= 400)

    def evidence(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "type": self.kind,
        }
        if self.failure:
            found["failure"] = self.failure
        if self.guard_blocked:
            found["guard_blocked"] = self.guard_blocked
        return found


def _bare_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _key(f: FieldInfo) -> tuple[int, str]:
    """A field's identity across re-discoveries (``gh_id`` changes every scan)."""
    return (f.frame, f.name or f.id_attr or f.question)


def _distinguish(fields: list[FieldInfo], scopes: list[str]) -> None:
    """Keep fields inside web components apart when their inner name or id repeats.

    Two components that both render ``<input id="input">`` (or radios named "answer")
    would share a :func:`_key`: such a name or id only means something inside its own
    shadow root. For those fields, drop it (the question then tells them apart), and if
    even the question repeats, qualify the id with the shadow-root path.
    """
    seen = Counter(_key(f) for f in fields)
    clashing = [
        (f, scope) for f, scope in zip(fields, scopes, strict=True) if seen[_key(f)] > 1 and scope
    ]
    for f, _ in clashing:
        f.name, f.id_attr = "", ""
    seen = Counter(_key(f) for f in fields)
    for f, scope in clashing:
        if seen[_key(f)] > 1:
            f.id_attr = scope


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
        #: What discovery says of a field beyond :class:`FieldInfo` (by ``gh_id``, last scan).
        self._extras: dict[str, dict[str, Any]] = {}
        #: The options a combobox showed when opened ([] for a typeahead), by field key.
        self._probed: dict[tuple[int, str], list[dict[str, Any]]] = {}
        self._unsafe_requests = 0
        self.filled: list[Filled] = []
        #: Every frame ever seen, so a field's ``frame`` index stays the same frame.
        self._known_frames: list[Any] = []
        #: Frames that held fields at the last scan, and the one of the last action.
        self._form_frames: set[int] = set()
        self._action_frame: Any = None
        #: The network record (see :class:`SentRequest`), numbered in order.
        self._seq = 0
        self._sent: list[SentRequest] = []
        self._pending: dict[Any, SentRequest] = {}
        self._context = page.context
        self._listeners: list[tuple[Any, str, Any]] = [
            (self._context, "request", self._on_request),
            (self._context, "response", self._on_response),
            (self._context, "requestfailed", self._on_request_failed),
            (page, "websocket", self._on_websocket),
        ]
        for target, event, handler in self._listeners:
            target.on(event, handler)

    def close(self) -> None:
        for target, event, handler in self._listeners:
            try:
                target.remove_listener(event, handler)
            except Exception as exc:  # the page or context is gone
                log.debug("remove_listener_failed", error=str(exc))
        self._pending.clear()

    # -- the network record ---------------------------------------------------------------

    def _on_request(self, request: Any) -> None:
        url = request.url
        if not url.startswith(("http://", "https://")):
            return
        method = request.method
        kind = request.resource_type
        if method not in _SAFE_METHODS:
            self._unsafe_requests += 1
            if kind == "ping":  # navigator.sendBeacon / <a ping>: analytics, not a form
                return
        elif not (
            method == "GET" and request.is_navigation_request() and self._is_form_frame(request)
        ):
            return
        record = self._record(method, _bare_url(url), kind)
        self._pending[request] = record

    def _record(self, method: str, url: str, kind: str, *, done: bool = False) -> SentRequest:
        self._seq += 1
        record = SentRequest(self._seq, method, url, kind, done=done)
        self._sent.append(record)
        if len(self._sent) > 1000:  # a chatty websocket: marks are recent, keep the tail
            del self._sent[:500]
        return record

    def _is_form_frame(self, request: Any) -> bool:
        """A navigation of the page itself or of the frame holding the form or its button."""
        try:
            frame = request.frame
        except Exception:  # a request without a frame (a worker's)
            return False
        if frame is self.page.main_frame or frame is self._action_frame:
            return True
        return any(
            i < len(self._known_frames) and self._known_frames[i] is frame
            for i in self._form_frames
        )

    def _on_response(self, response: Any) -> None:
        record = self._pending.pop(response.request, None)
        if record is None:
            return
        record.status = response.status
        record.guard_blocked = response.headers.get("x-gh-blocked") or None

    def _on_request_failed(self, request: Any) -> None:
        record = self._pending.pop(request, None)
        if record is None:
            return
        failure = request.failure
        record.failure = str(failure or "failed")[:200]

    def _on_websocket(self, ws: Any) -> None:
        url = _bare_url(ws.url)

        def sent(_payload: Any) -> None:
            self._record("WEBSOCKET", url, "websocket", done=True)

        ws.on("framesent", sent)

    def mark(self) -> int:
        """A point in the network record; see :meth:`sent_since`."""
        return self._seq

    def sent_since(self, mark: int) -> list[SentRequest]:
        """Requests that left the page after ``mark`` and may have reached someone."""
        return [r for r in self._sent if r.seq > mark and r.delivered]

    def guard_blocked_since(self, mark: int) -> list[SentRequest]:
        """Requests after ``mark`` the network guard refused (they reached nobody)."""
        return [r for r in self._sent if r.seq > mark and not r.delivered]

    async def _act(self, n: int = 1) -> None:
        if self._count_action is not None:
            await self._count_action(n)

    # -- discovery -------------------------------------------------------------------

    def _frame_index(self, frame: Any) -> int:
        for index, known in enumerate(self._known_frames):
            if known is frame:
                return index
        self._known_frames.append(frame)
        return len(self._known_frames) - 1

    async def _frame_visible(self, frame: Any) -> bool:
        """Whether a person could see ``frame``: its <iframe> and every ancestor's shown."""
        node = frame
        while node.parent_frame is not None:
            try:
                element = await node.frame_element()
                try:
                    if not await element.is_visible():
                        return False
                finally:
                    await element.dispose()
            except Exception:  # detached or navigating: not a place to fill this time
                return False
            node = node.parent_frame
        return True

    async def _await_frames(self, deadline: float) -> None:
        """Wait (until ``deadline``) for visible iframes still loading their document.

        The page's own DOM is ready before the iframes in it have loaded: an embedded
        board found empty here would be "filled" with nothing and its submit clicked.
        """
        while True:
            pending = []
            for frame in self.page.frames:
                if frame.parent_frame is None or frame.is_detached():
                    continue
                if not await self._frame_visible(frame):
                    continue
                if frame.url in ("", "about:blank") and await _iframe_src(frame):
                    pending.append(frame)  # its navigation has not even started yet
                    continue
                if frame.url.startswith(("http://", "https://")):
                    left = deadline - time.monotonic()
                    try:
                        await frame.wait_for_load_state(
                            "domcontentloaded", timeout=max(100.0, left * 1000)
                        )
                    except Exception as exc:  # slow or gone: discovery copes
                        if page_gone(exc):
                            raise
                        log.debug("frame_load_wait_failed", frame=_bare_url(frame.url))
            if not pending or time.monotonic() >= deadline:
                return
            await anyio.sleep(0.1)

    async def frames(self) -> list[tuple[int, Any]]:
        """The page's frames that can hold a form, main frame first, with stable indexes.

        Cross-origin iframes are included: Playwright evaluates in any frame (an embedded
        iCIMS or Greenhouse board lives in one). Every byte of their traffic still goes
        through the network guard, so a frame pointing at a refused address shows only
        the guard's refusal and has nothing to fill. Hidden frames (trackers, zero-size
        helpers) are skipped.
        """
        main = self.page.main_frame
        found = [(self._frame_index(main), main)]
        for frame in self.page.frames:
            if frame is main or frame.is_detached():
                continue
            if not frame.url.startswith(("http://", "https://", "about:")):
                continue
            if await self._frame_visible(frame):
                found.append((self._frame_index(frame), frame))
        return found

    async def discover(self) -> list[FieldInfo]:
        """Every fillable field of the page now, in document order, main frame first."""
        self._scan += 1
        self._extras = {}
        fields: list[FieldInfo] = []
        holding: set[int] = set()
        for index, frame in await self.frames():
            try:
                found = await frame.evaluate(_DISCOVER_JS, {"prefix": f"g{self._scan}f{index}-"})
            except Exception as exc:
                if frame is self.page.main_frame:
                    raise
                log.debug("frame_discovery_failed", frame=_bare_url(frame.url), error=str(exc))
                continue
            infos = [FieldInfo.from_js(item, index) for item in found]
            _distinguish(infos, [str(item.get("scope") or "") for item in found])
            for info, item in zip(infos, found, strict=True):
                extra = {k: item[k] for k in _EXTRAS if item.get(k)}
                if extra:
                    self._extras[info.gh_id] = extra
            if infos:
                holding.add(index)
            fields.extend(infos)
        self._form_frames = holding
        self._frames = list(self._known_frames)
        return fields

    def _loc(self, f: FieldInfo, gh_id: str | None = None) -> Any:
        return self._known_frames[f.frame].locator(f'[data-gh-id="{gh_id or f.gh_id}"]')

    # -- filling ---------------------------------------------------------------------

    async def fill_step(self) -> StepReport:
        """Fill what can be filled on the current step; report what cannot.

        The resume goes first: many forms read it as soon as it is attached and write
        what they read into the other fields (often wrongly), so those are filled after
        the page has done that. A combobox is opened once before it is answered, so the
        answer can be one of the options it offers (a typeahead offers none until typed).
        """
        report = StepReport()
        deadline = time.monotonic() + self.settle_seconds
        await self._await_frames(deadline)
        while True:
            fields = await self.discover()
            if not fields and time.monotonic() < deadline and await self.find_action() is None:
                # Nothing to fill and no button either: the form is not there yet (an
                # embed's script still creating its iframe, a client-side render).
                await anyio.sleep(0.2)
                await self._await_frames(deadline)
                continue
            mark = self.mark()
            if await self._upload_resume(fields):
                report.resume_uploaded = True
                await self._settle_network(mark)
                deadline = time.monotonic() + self.settle_seconds
                continue
            progressed = False
            waiting = False
            for f in fields:
                if f.kind == "file" or f.readonly:
                    continue
                key = _key(f)
                if key in self._done:
                    continue
                if f.kind == "combobox" and not f.disabled:
                    f.options = await self._combobox_options(f)
                answer = self.book.supplied.get(key) or self.book.answer_for(f)
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
        report.resume_uploaded = await self._upload_resume(fields) or report.resume_uploaded
        for f in fields:
            if f.kind == "file" or f.disabled or _key(f) in self._done:
                continue
            if _has_value(f):
                continue
            if f.required:
                report.missing.append(f.question)
            else:
                report.skipped.append(f.question)
            if f.required or f.invalid:
                report.open.append(f)
        return report

    async def _settle_network(self, mark: int, limit: float = 8.0) -> None:
        """Wait (at most ``limit`` seconds) until the requests sent since ``mark`` (an
        upload, the parse of a resume) have been answered, then a moment for the page to
        put what they brought into the form."""
        deadline = time.monotonic() + limit
        quiet_since = time.monotonic()
        seen = self._seq
        while time.monotonic() < deadline:
            await anyio.sleep(0.1)
            if self._seq != seen:
                seen, quiet_since = self._seq, time.monotonic()
            pending = [r for r in self._sent if r.seq > mark and not r.answered]
            if not pending and time.monotonic() - quiet_since >= 0.4:
                break
        await anyio.sleep(0.3)

    def supply(self, f: FieldInfo, answer: Answer) -> None:
        """Answer ``f`` from outside the book (a model): the next fill pass uses it."""
        self.book.supplied[_key(f)] = answer

    async def max_length(self, f: FieldInfo) -> int | None:
        """A text field's ``maxlength`` (``f`` from the latest scan), None when unlimited."""
        if f.kind not in ("text", "textarea"):
            return None
        try:
            limit = await self._loc(f).evaluate("el => el.maxLength")
        except Exception as exc:
            if page_gone(exc):
                raise
            return None
        return limit if isinstance(limit, int) and limit > 0 else None

    async def _fill(self, f: FieldInfo, answer: Answer) -> Any:
        """Put ``answer`` into ``f``; return what was written, or None if it could not be.

        One field answered is one action, whatever it takes (typing, opening a list and
        clicking an option, trying another way of writing the value).
        """
        await self._act()
        loc = self._loc(f)
        try:
            parts = self._extras.get(f.gh_id, {}).get("parts")
            if parts:
                return await self._fill_parts(f, answer, parts)
            if f.kind in ("text", "textarea", "date"):
                return await self._fill_text(f, answer, loc)
            if f.kind in ("select", "multiselect"):
                option = choose_option(answer.value, f.real_options)
                if option is None:
                    log.info("no_matching_option", question=f.question, source=answer.source)
                    return None
                await loc.select_option(value=option["value"])
                return option["value"]
            if f.kind == "radio":
                option = choose_option(answer.value, f.options)
                if option is None:
                    return None
                if option.get("aria"):  # role=radio / aria-pressed buttons
                    await self._toggle(self._loc(f, option["gh_id"]), True)
                    return option["value"] or option["text"]
                await self._check(self._loc(f, option["gh_id"]))
                return option["value"]
            if f.kind == "checkbox":
                want = yes_no(answer.value)
                if want is None:
                    return None
                if f.tag != "input":  # role=checkbox
                    await self._toggle(loc, want)
                elif want != f.checked:
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
                return want
            if f.kind == "combobox":
                return await self._fill_combobox(f, answer, loc)
            if f.kind == "listbox":
                option = choose_option(answer.value, f.options)
                if option is None:
                    return None
                await self._loc(f, option["gh_id"]).click()
                return option["text"]
        except Exception as exc:
            if page_gone(exc):
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

    async def _toggle(self, loc: Any, want: bool) -> None:
        """Bring an ARIA toggle (aria-checked / aria-pressed) to ``want``; never flip it back."""
        if await loc.evaluate(_STATE_JS) == want:
            return
        try:
            await loc.click(timeout=3000)
        except Exception as exc:
            if page_gone(exc):
                raise
            await loc.evaluate("el => el.click()")
        deadline = time.monotonic() + 1.0
        while await loc.evaluate(_STATE_JS) != want:  # React re-renders on the next tick
            if time.monotonic() >= deadline:
                log.info("toggle_did_not_change")
                return
            await anyio.sleep(0.05)

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
            valid = await loc.evaluate("el => el.checkValidity ? el.checkValidity() : true")
            if valid:
                self._alternatives[_key(f)] = [c for c in candidates if c != attempt and c in rest]
                return attempt
        self._alternatives[_key(f)] = []
        return candidates[-1]

    def _popup(self, f: FieldInfo, loc: Any) -> Popup:
        self._scan += 1
        return Popup(
            loc, self._known_frames[f.frame], is_input=f.tag == "input", prefix=f"o{self._scan}-"
        )

    async def _combobox_options(self, f: FieldInfo) -> list[dict[str, Any]]:
        """The options ``f`` offers when opened, read once per field ([] for a typeahead
        that offers nothing until something is typed)."""
        key = _key(f)
        if key not in self._probed:
            popup = self._popup(f, self._loc(f))
            try:
                options = await popup.open(wait=min(3.0, self.settle_seconds))
                await popup.close()
            except Exception as exc:
                if page_gone(exc):
                    raise
                log.debug("combobox_probe_failed", question=f.question, error=str(exc)[:120])
                options = []
            self._probed[key] = [
                {"text": o["text"], "value": o.get("value", ""), "branch": o.get("branch", False)}
                for o in options
            ]
        return [dict(o) for o in self._probed[key]]

    async def _fill_combobox(self, f: FieldInfo, answer: Answer, loc: Any) -> Any:
        """Pick the option of a dropdown, combobox or typeahead that means ``answer``.

        A control that showed options when opened (a dropdown, a static combobox): the
        option chosen among those is opened and clicked. Otherwise a typeahead: the
        answer's value is typed, then each of its alternatives (at most three), and after
        each the option picked is the one that means the value, else the one that means
        what was typed, else the one suggestion that spells out what was typed. A choice
        in a further level of the list ("Job Board › LinkedIn") is looked for last.
        """
        wanted = str(answer.value)
        popup = self._popup(f, loc)
        offered = self._probed.get(_key(f)) or []
        if offered:
            option = choose_option(wanted, offered)
            for alternative in answer.alternatives:
                option = option or choose_option(alternative, offered)
            if option is not None and not option.get("branch"):
                picked = await self._pick(f, popup, str(option["text"]))
                if picked is not None:
                    return picked
        if popup.is_input:
            typings = [wanted, *[a for a in answer.alternatives if a != wanted][:3]]
            if "," in wanted and len(typings) == 1:
                typings.append(wanted.split(",")[0].strip())
            for typed in typings:
                before = await popup.type(typed)
                for _ in range(3):  # a re-render can replace the option between read and click
                    options = await popup.read(min(3.0, self.settle_seconds), stale=before)
                    option = _suggestion(wanted, typed, options)
                    if option is None:
                        break
                    if await popup.click(option):
                        await popup.close()
                        return option["text"]
        elif not offered:
            options = await popup.open(wait=min(3.0, self.settle_seconds))
            option = choose_option(wanted, options)
            if option is not None and await popup.click(option):
                await popup.close()
                return option["text"]
        if any(o.get("branch") for o in offered):
            picked = await self._pick_nested(f, popup, answer)
            if picked is not None:
                return picked
        await popup.close()
        if popup.is_input:
            if self._extras.get(f.gh_id, {}).get("typeahead_hint"):
                # Suggestions were only guessed at: it may be a plain text box after all.
                return await self._fill_text(f, answer, loc)
            await loc.fill("")  # leave nothing half-typed behind
        log.info("no_matching_option", question=f.question, source=answer.source)
        return None

    async def _pick(self, f: FieldInfo, popup: Popup, text: str) -> str | None:
        """Open ``f`` and click its option worded ``text`` (typing it to find it if the
        list does not show it)."""
        options = await popup.open(wait=min(3.0, self.settle_seconds))
        option = same_option(text, options)
        if option is None and popup.is_input:
            before = await popup.type(text)
            options = await popup.read(min(3.0, self.settle_seconds), stale=before)
            option = same_option(text, options) or choose_option(text, options)
        if option is not None and await popup.click(option):
            await popup.close()
            return text
        await popup.close()
        return None

    async def _pick_nested(self, f: FieldInfo, popup: Popup, answer: Answer) -> str | None:
        """Look for the answer one level down a list of categories ("Job Board ›")."""
        for branch in [o for o in self._probed.get(_key(f), []) if o.get("branch")]:
            if popup.is_input:
                await popup.type("")
            options = await popup.open(wait=min(3.0, self.settle_seconds))
            entry = same_option(str(branch["text"]), options)
            if entry is None or not await popup.click(entry):
                await popup.close()
                continue
            shown = [str(o["text"]) for o in options]
            inner = await popup.read(min(3.0, self.settle_seconds), stale=shown)
            option = choose_option(answer.value, [o for o in inner if not o.get("branch")])
            if option is not None and await popup.click(option):
                await popup.close()
                return str(option["text"])
            await popup.close()
        return None

    async def _fill_parts(self, f: FieldInfo, answer: Answer, parts: list[dict[str, Any]]) -> Any:
        """A date split in month / day / year boxes: each box gets its part."""
        when = date_of(answer.value, answer.date)
        values = part_values(parts, when) if when else None
        if values is None:
            return None
        frame = self._known_frames[f.frame]
        for part, value in zip(parts, values, strict=True):
            box = frame.locator(f'[data-gh-id="{part["gh_id"]}"]')
            await box.fill(value)
            await box.evaluate("el => { el.dataset.ghTouched = '1'; }")
        return "/".join(values)

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

    async def _each_frame(
        self, script: str, frames: list[Any] | None = None
    ) -> list[tuple[Any, Any]]:
        """``(frame, result)`` of ``script`` in each frame (the visible ones by default);
        a frame that cannot answer now (navigating, detached) is left out."""
        results: list[tuple[Any, Any]] = []
        for frame in frames if frames is not None else [f for _, f in await self.frames()]:
            try:
                with anyio.fail_after(5):
                    results.append((frame, await frame.evaluate(script)))
            except Exception as exc:  # navigating, detached, crashed (the caller notices)
                if page_gone(exc):
                    raise
                log.debug("frame_evaluate_failed", frame=_bare_url(frame.url), error=str(exc)[:120])
        return results

    async def page_messages(self) -> list[str]:
        """Messages the page shows that belong to no one field (an error banner, a summary)."""
        found: list[str] = []
        for _, texts in await self._each_frame(_MESSAGES_JS):
            found.extend(t for t in texts if t not in found)
        return found

    async def validation_problems(self) -> dict[str, Any]:
        """What the page flags now: messages by field question, and page-level messages.

        Empty while the page cannot be read (a navigation in progress)."""
        try:
            fields = await self.field_errors()
        except Exception as exc:
            if page_gone(exc):
                raise
            log.debug("validation_read_failed", error=str(exc)[:120])
            return {}
        messages = await self.page_messages()
        return {"fields": fields, "messages": messages} if fields or messages else {}

    async def before_click(self) -> BeforeClick:
        """Just before a final submit click: what the page shows, and the network mark.

        Also has each frame note the fields the browser's own constraint validation flags
        if it refuses the submit (those count as flagged though we never typed in them).
        """
        await self._each_frame(_WATCH_INVALID_JS)
        phrases = await self.confirmation_phrases()
        problems = await self.validation_problems()
        return BeforeClick(
            mark=self.mark(),
            phrases=phrases,
            messages=set(problems.get("messages", [])),
            field_errors=dict(problems.get("fields", {})),
        )

    async def forget_flagged(self) -> list[str]:
        """Let the next fill pass fill again the fields the page flagged after a submit.

        Only fields whose value is gone or is not what we wrote (a page that reset it, a
        typeahead whose pick did not stick); a field that still holds our value and has no
        other way to write it is left as is, and the flow reports the page's message.
        """
        forgotten: list[str] = []
        for f in await self.discover():
            key = _key(f)
            if not f.invalid or key not in self._done or self._alternatives.get(key):
                continue
            written = self._done[key]
            lost = not _has_value(f)
            if f.kind in ("text", "textarea", "date"):
                lost = lost or str(f.value) != str(written)
            if lost or f.kind == "combobox":
                del self._done[key]
                forgotten.append(f.question)
        return forgotten

    async def find_action(self) -> tuple[str, Any, str] | None:
        """The button that moves the form on: ("next" | "submit", locator, its text).

        Looks in every visible frame (a form embedded from another origin has its buttons
        in its own frame) and inside open shadow roots; a frame that holds the form's
        fields is preferred over one that does not (a careers page's own header links).

        "Apply" (and "Apply for this job", "Apply Now", "Apply Manually") is the final
        submit only on a page that holds the application: in a frame with fields, and
        not a link to another page. On a posting or a landing page (no fields), or as a
        link, it is the way into the form: a step forward. Its rank then stays below the
        form's own buttons when some frame does hold fields. While a modal dialog offers
        a way on ("Start Your Application": "Apply Manually"), only its buttons count.
        """
        found: list[tuple[int, bool, str, Any, str, Any]] = []
        holding = bool(self._form_frames)
        for index, frame in await self.frames():
            try:
                self._scan += 1
                with anyio.fail_after(5):
                    actions = await frame.evaluate(_ACTIONS_JS, f"a{self._scan}-")
            except Exception as exc:  # a frame navigating away: skip it this time
                if page_gone(exc):
                    raise
                log.debug("frame_actions_failed", error=str(exc))
                continue
            for action in actions:
                text = normalise(action["text"])
                if _NOT_AN_ACTION.search(text):
                    continue
                kind = "next" if _NEXT.search(text) else "submit" if _SUBMIT.search(text) else None
                entry = bool(_START.search(text)) or (
                    kind == "submit" and bool(_ENTRY.search(text)) and not _SENDS.search(text)
                )
                if entry:
                    if action.get("same_page"):
                        continue  # "Apply" linking to the page already shown
                    leaves = action["tag"] == "a" and bool(action.get("href"))
                    if kind is None or leaves or index not in self._form_frames:
                        kind = "next"
                if kind is None:
                    continue
                score = (2 if kind == "next" else 1) * 10 + (3 if action["in_form"] else 0)
                if entry and kind == "next" and holding:
                    score -= 15  # the form is on screen: its own buttons come first
                score += 2 if action["type"] == "submit" else 0
                score -= 5 if action["tag"] == "a" else 0
                score += 4 if index in self._form_frames else 0
                locator = frame.locator(f'[data-gh-action="{action["id"]}"]')
                found.append(
                    (score, bool(action.get("in_modal")), kind, locator, action["text"], frame)
                )
        # A modal dialog with a way on covers the page: only its buttons can be clicked.
        if any(modal for _, modal, *_ in found):
            found = [f for f in found if f[1]]
        best = None
        for candidate in found:
            if best is None or candidate[0] > best[0]:
                best = candidate
        if best is None:
            return None
        self._action_frame = best[5]
        return best[2], best[3], best[4]

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

    async def _texts(self) -> list[tuple[Any, str]]:
        """What every visible frame of every page of the job shows (popups included)."""
        frames: list[Any] = []
        for page in self._context.pages:
            if page is self.page:
                frames.extend(f for _, f in await self.frames())
            else:
                frames.extend(f for f in page.frames if not f.is_detached())
        return [(f, str(t or "")) for f, t in await self._each_frame(_FRAME_TEXT_JS, frames)]

    async def confirmation_phrases(self) -> Counter[str]:
        """The confirmation wording on screen now (taken before a submit click: see below)."""
        found: Counter[str] = Counter()
        for _, text in await self._texts():
            found.update(m.group(0).lower() for m in _CONFIRMED.finditer(text))
        return found

    async def confirmation(self, before: Counter[str] | None = None) -> Confirmation | None:
        """A confirmation in any frame, not counting wording already shown before the click.

        ``before`` (:meth:`confirmation_phrases` taken before the click) keeps a form whose
        intro says "Thank you for your interest in Initech" from confirming itself.
        """
        seen: Counter[str] = Counter()
        for frame, text in await self._texts():
            matches = [m.group(0).lower() for m in _CONFIRMED.finditer(text)]
            seen.update(matches)
            if not any(seen[m] > (before or Counter())[m] for m in matches):
                continue
            match = _CONFIRMATION_ID.search(text)
            return Confirmation(match.group(1) if match else None, text[:500], _bare_url(frame.url))
        return None

    @property
    def unsafe_requests(self) -> int:
        return self._unsafe_requests


async def _iframe_src(frame: Any) -> str:
    """The ``src`` of ``frame``'s <iframe>, when it points at a document to load."""
    try:
        element = await frame.frame_element()
        try:
            src = await element.get_attribute("src") or ""
        finally:
            await element.dispose()
    except Exception:  # detached meanwhile
        return ""
    return (
        "" if src.strip().lower() in ("", "about:blank") or src.startswith("javascript:") else src
    )


def _typeahead_pick(wanted: str, options: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The one suggestion that spells out what was typed: "San Francisco, CA" picks
    "San Francisco, California, United States" (starts with the words before the comma,
    and every word typed begins a word of it), not "South San Francisco, ...".
    """
    words = normalise(wanted).split()
    lead = normalise(wanted.split(",")[0])
    if not words or not lead:
        return None
    found = []
    for option in options:
        text = normalise(str(option.get("text", "")))
        tokens = text.split()
        if (text == lead or text.startswith(lead + " ")) and all(
            any(t.startswith(w) for t in tokens) for w in words
        ):
            found.append(option)
    return found[0] if len(found) == 1 else None


def _suggestion(wanted: str, typed: str, options: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The suggestion of a typeahead to pick after typing ``typed`` for ``wanted``."""
    if not options:
        return None
    option = choose_option(wanted, options)
    if option is None and typed != wanted:
        option = choose_option(typed, options)
    if option is None:
        option = _typeahead_pick(wanted, options) or _typeahead_pick(typed, options)
    if option is None and len(options) == 1 and plausible(typed, options[0]):
        option = options[0]  # the one suggestion, and it spells out what was typed
    return option


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
