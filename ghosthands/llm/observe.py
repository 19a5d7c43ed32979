"""What the agent sees of a page: a compact, indexed list of interactive elements, a
little of the page's text and, for vision models, a screenshot.

Every element carries a *stable selector* (id, test id, name, ARIA label, exact text,
or a structural path, whichever is unique), so an action the model takes by index can
be recorded in a manual and replayed later without the index.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

import msgspec
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from ghosthands.logs import get_logger

log = get_logger(__name__)

#: The page-side code (``observe.js``): ``describe(el)`` and ``collect(max, maxText)``.
_JS = resources.files("ghosthands.llm").joinpath("observe.js").read_text(encoding="utf-8")
_COLLECT = "([maxElements, maxText]) => {" + _JS + " return collect(maxElements, maxText); }"
#: Evaluated on one element (``locator.evaluate``): its description, as in observations.
DESCRIBE = "(el) => {" + _JS + " return describe(el); }"


class Element(msgspec.Struct, omit_defaults=True):
    tag: str
    label: str
    selector: str
    role: str | None = None
    type: str | None = None
    name: str | None = None
    value: str | None = None
    options: list[str] | None = None
    checked: bool | None = None
    expanded: bool | None = None
    selected: bool | None = None
    disabled: bool | None = None
    required: bool | None = None
    href: str | None = None

    def kind(self) -> str:
        if self.role:
            return self.role
        if self.tag == "input":
            return f"input type={self.type or 'text'}"
        return self.tag

    def render(self, index: int) -> str:
        """One line of the observation the model reads."""
        parts = [f"[{index}]", self.kind()]
        if self.label:
            parts.append(msgspec.json.encode(self.label).decode())
        if self.name:
            parts.append(f"name={self.name}")
        if self.value is not None:
            parts.append(f"value={msgspec.json.encode(self.value).decode()}")
        if self.options is not None:
            parts.append(f"options={msgspec.json.encode(self.options).decode()}")
        for flag in ("checked", "expanded", "selected"):
            value = getattr(self, flag)
            if value is not None:
                parts.append(f"{flag}={'true' if value else 'false'}")
        if self.disabled:
            parts.append("disabled")
        if self.required:
            parts.append("required")
        if self.href:
            parts.append(f"href={self.href}")
        return " ".join(parts)


class _Collected(msgspec.Struct):
    url: str
    title: str
    elements: list[Element]
    more: int
    text: str
    width: int
    height: int


class Observation(msgspec.Struct):
    url: str
    title: str
    elements: list[Element]
    #: Visible elements left out past the cap.
    more: int
    text: str
    width: int
    height: int
    screenshot: bytes | None = None

    def render(self) -> str:
        lines = [f"URL: {self.url}", f"Title: {self.title}", "Interactive elements:"]
        lines += [el.render(i) for i, el in enumerate(self.elements)] or ["(none)"]
        if self.more:
            lines.append(f"... and {self.more} more elements (not listed)")
        lines += ["Page text:", self.text or "(empty)"]
        return "\n".join(lines)

    def fingerprint(self) -> str:
        """Identifies what the page shows, for loop detection (screenshots excluded)."""
        digest = hashlib.sha256()
        digest.update(self.url.encode())
        digest.update(msgspec.json.encode(self.elements))
        digest.update(self.text.encode())
        return digest.hexdigest()


async def observe(
    page: Page,
    *,
    screenshot: bool = False,
    max_elements: int = 150,
    max_text: int = 3000,
) -> Observation:
    """Look at ``page`` now. A page caught mid-navigation is looked at again once loaded."""
    raw: Any = None
    for attempt in range(3):
        try:
            raw = await page.evaluate(_COLLECT, [max_elements, max_text])
            break
        except PlaywrightError as exc:
            # "Execution context was destroyed": a navigation started under us.
            if attempt == 2 or page.is_closed():
                raise
            log.info("observe_retry", reason=str(exc).splitlines()[0][:120] if str(exc) else "")
            try:
                await page.wait_for_load_state("domcontentloaded", timeout=5000)
            except PlaywrightError:
                pass
    collected = msgspec.convert(raw, _Collected)
    image = None
    if screenshot:
        image = await page.screenshot(type="jpeg", quality=60, full_page=False)
    return Observation(
        url=collected.url,
        title=collected.title,
        elements=collected.elements,
        more=collected.more,
        text=collected.text,
        width=collected.width,
        height=collected.height,
        screenshot=image,
    )
