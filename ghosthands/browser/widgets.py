"""Popup widgets of a form: dropdowns, comboboxes and typeaheads, and split dates.

A choice that is not a native ``<select>`` lives in a popup the page renders when the
control is opened (a ``button aria-haspopup=listbox``, a react-select input, a Workday
prompt) or after something is typed (a typeahead that asks a server). The popup may be
tied to its control by ``aria-controls`` / ``aria-owns``, be a ``role=listbox`` in a
portal at the end of the body, or carry no ARIA at all (a jQuery UI menu, Lever's
location list): :data:`OPTIONS_JS` finds it in that order and lists its options.

:class:`Popup` opens a control the way a person would (ArrowDown on an input, a click
on a button, or the other way round when the first does nothing), reads the options once
they have stopped changing ("Loading…" and "Searching…" rows are waited out, "Start
typing…" and "No results" mean there is nothing to read), picks one by clicking it and
closes what it opened.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

import anyio

from ghosthands.browser.answers import normalise
from ghosthands.browser.provider import page_gone
from ghosthands.logs import get_logger

log = get_logger(__name__)

#: The visible options of the popup that belongs to ``el``; marks each with ``data-gh-opt``.
OPTIONS_JS = resources.files("ghosthands.browser").joinpath("options.js").read_text("utf-8")


@dataclass
class Seen:
    """What a control's popup shows now."""

    options: list[dict[str, Any]]
    #: A "Loading…" / "Searching…" row, or aria-busy.
    busy: bool
    #: A status row ("No results", "Start typing…"): the list is what it is.
    notice: bool
    #: A popup of the control is on screen.
    open: bool


class Popup:
    """Open, read, pick and close the popup of one control (``loc`` in ``frame``)."""

    def __init__(self, loc: Any, frame: Any, *, is_input: bool, prefix: str) -> None:
        self.loc = loc
        self.frame = frame
        self.is_input = is_input
        self.prefix = prefix
        self._reads = 0

    async def seen(self) -> Seen:
        self._reads += 1
        found: dict[str, Any] = await self.loc.evaluate(OPTIONS_JS, f"{self.prefix}{self._reads}-")
        return Seen(found["options"], bool(found["busy"]), bool(found["notice"]), found["open"])

    async def read(
        self, wait: float, *, quiet: float | None = None, stale: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """The options once they have stopped changing, waiting at most ``wait`` seconds.

        With nothing on screen at all (no popup, no status row) the wait ends after
        ``quiet`` seconds: a control that opens nothing is not waited for in full. The
        options ``stale`` (what the list showed before typing) count only after a while:
        a typeahead asks its server after a pause in typing.
        """
        start = time.monotonic()
        previous: list[str] | None = None
        while True:
            seen = await self.seen()
            texts = [o["text"] for o in seen.options]
            now = time.monotonic()
            old = stale is not None and texts == stale and now - start < min(wait, 1.5)
            if seen.options and not seen.busy and texts == previous and not old:
                return seen.options
            if not seen.options and seen.notice and not seen.busy:
                return []
            if now - start >= wait:
                return seen.options if not seen.busy else []
            if quiet is not None and not seen.open and not seen.notice and now - start >= quiet:
                return []
            previous = texts
            await anyio.sleep(0.12)

    async def open(self, wait: float = 3.0) -> list[dict[str, Any]]:
        """Open the popup without typing; its options ([] for a typeahead)."""
        first, second = ("key", "click") if self.is_input else ("click", "key")
        for how in (first, second):
            try:
                if how == "key":
                    await self.loc.press("ArrowDown", timeout=2000)
                else:
                    await self.loc.click(timeout=2000)
            except Exception as exc:
                if page_gone(exc):
                    raise
                log.debug("popup_open_failed", how=how, error=str(exc)[:120])
                continue
            options = await self.read(wait, quiet=0.5)
            if options:
                return options
            seen = await self.seen()
            if seen.notice and not seen.options:
                return []  # "Start typing…": a typeahead, opened
        return []

    async def close(self) -> None:
        """Close the popup if it is still open (Escape; a dropdown button toggles)."""
        try:
            if not (await self.seen()).open:
                return
            await self.loc.press("Escape", timeout=2000)
            await anyio.sleep(0.05)
            if (await self.seen()).open and not self.is_input:
                await self.loc.click(timeout=2000)
        except Exception as exc:
            if page_gone(exc):
                raise
            log.debug("popup_close_failed", error=str(exc)[:120])

    async def type(self, text: str) -> list[str]:
        """Type ``text`` (in place of what the box holds); returns the options the list
        showed before the typing had any effect (to pass as ``stale`` to :meth:`read`)."""
        await self.loc.fill("")
        before = [o["text"] for o in (await self.seen()).options]
        await self.loc.press_sequentially(text, delay=15)
        return before

    async def click(self, option: dict[str, Any]) -> bool:
        try:
            await self.frame.locator(f'[data-gh-opt="{option["gh_opt"]}"]').click(timeout=2000)
            return True
        except Exception as exc:
            if page_gone(exc):
                raise
            log.debug("option_click_failed", error=str(exc)[:120])
            return False


def same_option(text: str, options: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The option whose wording is ``text`` (as read before, in another opening)."""
    wanted = normalise(text)
    for option in options:
        if normalise(str(option.get("text", ""))) == wanted:
            return option
    return None


def plausible(typed: str, option: dict[str, Any]) -> bool:
    """Every word typed begins a word of the option ("San Fran" -> "San Francisco, ...")."""
    words = normalise(typed).split()
    tokens = normalise(str(option.get("text", ""))).split()
    return bool(words) and all(any(t.startswith(w) for t in tokens) for w in words)


# -- split dates ------------------------------------------------------------------------

_MONTH_YEAR = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$|^\s*(\d{1,2})/(\d{4})\s*$")


def date_of(value: Any, parsed: dt.date | None) -> tuple[int, int, int | None] | None:
    """(year, month, day or None) of an answer for a month / day / year field."""
    if parsed is not None:
        return parsed.year, parsed.month, parsed.day
    text = str(value or "")
    match = _MONTH_YEAR.match(text)
    if match:
        if match.group(1):
            return int(match.group(1)), int(match.group(2)), None
        return int(match.group(4)), int(match.group(3)), None
    from ghosthands.browser.answers import parse_date

    day = parse_date(text)
    return (day.year, day.month, day.day) if day else None


def part_values(parts: list[dict[str, Any]], when: tuple[int, int, int | None]) -> list[str] | None:
    """What to type in each part (``parts`` as discovery lists them)."""
    year, month, day = when
    out = []
    for part in parts:
        kind = part.get("part")
        if kind == "month":
            out.append(f"{month:02d}")
        elif kind == "day":
            out.append(f"{day or 1:02d}")
        elif kind == "year":
            out.append(f"{year % 100:02d}" if part.get("size") == 2 else str(year))
        else:
            return None
    return out
