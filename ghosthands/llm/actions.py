"""The actions the agent may take, their schema for the model, and how each is done on
a page. Shared by the agent loop (actions by index) and manual replay (by selector).

Values may hold ``{{name}}`` placeholders. They are substituted only here, at action
time: the model writes ``{{password}}`` and never sees the password, and a recorded
manual keeps the placeholder, so a replay for another user fills in that user's data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, get_args

import anyio
import msgspec
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

ActionName = Literal[
    "click", "fill", "select", "check", "upload", "scroll", "wait", "done", "need_human"
]
#: Actions that touch the page and count against the job's action limit.
PAGE_ACTIONS = frozenset({"click", "fill", "select", "check", "upload", "scroll", "wait"})
#: Actions that need an element index.
ELEMENT_ACTIONS = frozenset({"click", "fill", "select", "check", "upload"})
#: Interaction types a ``need_human`` may name (what the person is asked to do).
HUMAN_KINDS = ("captcha", "login", "2fa", "other")

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_MAX_WAIT_SECONDS = 5.0


class Action(msgspec.Struct, frozen=True, omit_defaults=True):
    """One action as the model asks for it."""

    action: ActionName
    index: int | None = None
    value: str | None = None


class AgentTurn(msgspec.Struct, frozen=True):
    """The model's answer for one step: its reasoning and 1-5 actions."""

    actions: list[Action]
    thought: str = ""


class Step(msgspec.Struct, frozen=True, omit_defaults=True):
    """A resolved, replayable action: by selector, never by index; values keep their
    placeholders, so a step never holds a secret."""

    action: str
    selector: str | None = None
    value: str | None = None
    #: What the element was when recorded (tag and label), checked before replaying.
    tag: str | None = None
    label: str | None = None
    #: For ``done``: the URL pattern and title of the page that finished the task.
    url: str | None = None
    title: str | None = None


TOOL_NAME = "next_actions"
TOOL_DESCRIPTION = "Give the next browser actions to take on the current page."
#: JSON schema of :class:`AgentTurn`, in the subset every provider accepts.
TOOL_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "thought": {
            "type": "string",
            "description": "One or two sentences: what the page shows and why these actions.",
        },
        "actions": {
            "type": "array",
            "minItems": 1,
            "maxItems": 5,
            "items": {
                "type": "object",
                "properties": {
                    "action": {
                        "type": "string",
                        "enum": list(get_args(ActionName)),
                    },
                    "index": {
                        "type": "integer",
                        "description": "Element index, for click, fill, select, check, upload.",
                    },
                    "value": {
                        "type": "string",
                        "description": (
                            "fill: the text ({{placeholders}} allowed); select: the option "
                            "label; check: 'true' or 'false'; upload: the file name; scroll: "
                            "'up' or 'down'; wait: seconds; done: the result; need_human: "
                            "captcha, login, 2fa or other."
                        ),
                    },
                },
                "required": ["action"],
            },
        },
    },
    "required": ["thought", "actions"],
}


class ActionFailed(Exception):
    """An action could not be done; the message is shown to the model (no secrets)."""


def placeholders(value: str) -> list[str]:
    return _PLACEHOLDER.findall(value)


def substitute(value: str, variables: dict[str, str]) -> str:
    """Replace ``{{name}}`` with its value; an unknown name fails the action."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise ActionFailed(f"unknown placeholder {{{{{name}}}}}")
        return variables[name]

    return _PLACEHOLDER.sub(replace, value)


def templatize(value: str, data: dict[str, str]) -> str:
    """Turn a literal copy of a data value back into its placeholder, so a recorded step
    is not tied to one user (a model may type the e-mail rather than ``{{email}}``)."""
    for name, literal in sorted(data.items(), key=lambda kv: len(kv[1]), reverse=True):
        if len(literal) >= 3 and value == literal:
            return "{{" + name + "}}"
    return value


async def perform(
    page: Page,
    step: Step,
    *,
    variables: dict[str, str],
    files: dict[str, Path],
    timeout_ms: float,
) -> None:
    """Do one page action. Raises ActionFailed with a reason the model can act on."""
    try:
        await _perform(page, step, variables, files, timeout_ms)
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ActionFailed(first[:200]) from None
    try:
        await page.wait_for_load_state("domcontentloaded", timeout=timeout_ms)
    except PlaywrightError:
        pass  # a slow page is observed as it is


async def _perform(
    page: Page, step: Step, variables: dict[str, str], files: dict[str, Path], timeout_ms: float
) -> None:
    action = step.action
    value = substitute(step.value or "", variables)
    if action == "scroll":
        if step.selector:
            await page.locator(step.selector).scroll_into_view_if_needed(timeout=timeout_ms)
        else:
            height = (page.viewport_size or {"height": 800})["height"]
            await page.mouse.wheel(0, -0.8 * height if value == "up" else 0.8 * height)
        return
    if action == "wait":
        try:
            seconds = float(value or 1)
        except ValueError:
            seconds = 1.0
        await anyio.sleep(min(max(seconds, 0.0), _MAX_WAIT_SECONDS))
        return
    if not step.selector:
        raise ActionFailed(f"{action} needs an element index")
    locator = page.locator(step.selector)
    count = await locator.count()
    if count != 1:
        raise ActionFailed("the element is no longer on the page" if not count else "ambiguous")
    if action == "click":
        await locator.click(timeout=timeout_ms)
    elif action == "fill":
        await locator.fill(value, timeout=timeout_ms)
    elif action == "select":
        if step.tag not in (None, "select"):
            raise ActionFailed("not a <select>: click it, then click the option")
        try:
            await locator.select_option(label=value, timeout=timeout_ms)
        except PlaywrightError:
            await locator.select_option(value=value, timeout=timeout_ms)
    elif action == "check":
        await locator.set_checked(
            value.strip().lower() not in ("false", "no", "0"), timeout=timeout_ms
        )
    elif action == "upload":
        path = files.get(value)
        if path is None:
            raise ActionFailed(f"no file named {value!r}; available: {', '.join(files) or 'none'}")
        if step.tag == "input":
            await locator.set_input_files(path, timeout=timeout_ms)
        else:
            async with page.expect_file_chooser(timeout=timeout_ms) as chooser:
                await locator.click(timeout=timeout_ms)
            await (await chooser.value).set_files(path)
    else:
        raise ActionFailed(f"{action} is not a page action")
