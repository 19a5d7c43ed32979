"""``scrape``: open a page (through the network guard) and read it."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

from ghosthands.browser.blockers import detect_blocker
from ghosthands.browser.provider import page_gone
from ghosthands.jobs.contract import HandlerResult, JobContext, JobFailure
from ghosthands.jobs.errors import ErrorCode

_READ_JS = r"""
(args) => {
  // Everything a page can make huge is cut: a hostile page must not fill the job row.
  const clean = (s, n) => (s || '').replace(/\s+/g, ' ').trim().slice(0, n);
  let budget = args.max_field_chars;
  let truncated = false;
  const take = (s, n) => {
    const t = clean(s, Math.min(n, Math.max(budget, 0)));
    if (t.length < clean(s, n + 1).length) truncated = true;
    budget -= t.length;
    return t;
  };
  const fields = {};
  for (const [name, selector] of Object.entries(args.selectors)) {
    try { fields[name] = [...document.querySelectorAll(selector)].slice(0, 200).map((e) => take(e.innerText || e.textContent, 2000)); }
    catch (e) { fields[name] = null; }
  }
  const links = args.links ? [...document.querySelectorAll('a[href]')].slice(0, 500)
      .map((a) => ({ text: take(a.innerText, 200), href: String(a.href).slice(0, 2000) })) : [];
  const text = args.text ? take(document.body ? document.body.innerText : '', args.max_text) : '';
  const meta = {};
  for (const m of [...document.querySelectorAll('meta[name], meta[property]')].slice(0, 100))
    meta[clean(m.getAttribute('name') || m.getAttribute('property'), 100)] = clean(m.content, 1000);
  return { title: clean(document.title, 500), fields, links, text, meta, truncated };
}
"""

#: The most characters one scrape's selected fields, link texts and page text may hold
#: together; what a page has beyond it is cut and the result says ``truncated``.
MAX_FIELD_CHARS = 200_000


class ScrapeInput(msgspec.Struct, forbid_unknown_fields=False):
    """``input_data`` of a ``scrape`` job."""

    #: name -> CSS selector; each yields the texts of every matching element (max 200,
    #: each cut at 2,000 characters).
    selectors: Annotated[
        dict[
            Annotated[str, msgspec.Meta(max_length=100)],
            Annotated[str, msgspec.Meta(max_length=1000)],
        ],
        msgspec.Meta(max_length=50),
    ] = msgspec.field(default_factory=dict)
    include_text: bool = True
    include_links: bool = True
    max_text_chars: Annotated[int, msgspec.Meta(ge=0, le=MAX_FIELD_CHARS)] = 20_000
    #: A CSS selector to wait for before reading (a page that renders late).
    wait_for: str | None = None


class ScrapeHandler:
    job_type: ClassVar[str] = "scrape"
    input_type: ClassVar[type[msgspec.Struct]] = ScrapeInput
    needs_browser: ClassVar[bool] = True

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        assert isinstance(params, ScrapeInput)
        session = ctx.browser
        url = session.job.target_url

        async def read(page: Any) -> HandlerResult:
            await ctx.progress("navigating", url=url)
            response = await session.goto(url)
            if response is not None and response.headers.get("x-gh-blocked"):
                raise JobFailure(
                    ErrorCode.BLOCKED_ADDRESS,
                    f"the network guard refused part of the way to {url}",
                    details={"reason": response.headers["x-gh-blocked"]},
                    retryable=False,
                )
            if params.wait_for:
                try:
                    await page.wait_for_selector(params.wait_for, timeout=10_000)
                except Exception as exc:
                    if page_gone(exc):
                        raise
                    raise JobFailure(
                        ErrorCode.ELEMENT_NOT_FOUND, f"{params.wait_for!r} never appeared"
                    ) from None
            blocker = await detect_blocker(page)
            if blocker is not None and blocker.kind in ("captcha", "bot_check"):
                shot = await session.screenshot()
                resolution = await ctx.wait_for_human(
                    blocker.kind, {"reason": blocker.reason, "url": page.url}, shot
                )
                if resolution.action == "cancel":
                    raise JobFailure(blocker.error_code, blocker.reason, retryable=False)
            await ctx.progress("reading", url=page.url)
            data = await page.evaluate(
                _READ_JS,
                {
                    "selectors": params.selectors,
                    "links": params.include_links,
                    "text": params.include_text,
                    "max_text": params.max_text_chars,
                    "max_field_chars": MAX_FIELD_CHARS,
                },
            )
            await ctx.count_action(1)
            return HandlerResult(
                result_data={
                    "url": url,
                    "final_url": page.url,
                    "status": response.status if response is not None else None,
                    **data,
                },
                summary=f"Read {data['title'] or page.url}",
                final_mode="scrape",
            )

        result: HandlerResult = await session.run(read)
        shot = await session.screenshot()
        if shot is not None:
            await ctx.save_artifact("screenshot", "final.png", "image/png", shot)
        return result
