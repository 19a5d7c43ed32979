"""The agent loop: observe the page, ask the model for the next actions, act, repeat.

Each step sends one self-contained prompt (the task, the steps so far and the current
page), not a growing chat, so a step's price stays bounded however long the run. The
loop ends when the model says ``done``; it is cut off by the step cap, by loop detection
(the same actions asked for on an unchanged page ``loop_threshold`` times), by the job's
cost meter and by the job's action limit.

Secrets never reach the model: it writes ``{{password}}``, the value is substituted at
action time, every secret value is masked out of what the model is shown, and a step
whose page shows a secret in clear goes without a screenshot.
"""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import msgspec
from playwright.async_api import Page

from ghosthands.jobs.contract import JobContext, JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.llm.actions import (
    ELEMENT_ACTIONS,
    HUMAN_KINDS,
    TOOL_DESCRIPTION,
    TOOL_NAME,
    TOOL_PARAMETERS,
    Action,
    ActionFailed,
    AgentTurn,
    Step,
    perform,
    templatize,
)
from ghosthands.llm.cost import CostMeter
from ghosthands.llm.manuals import url_pattern
from ghosthands.llm.observe import Observation, observe
from ghosthands.llm.providers import ProviderClient
from ghosthands.llm.types import ChatRequest, ImagePart, LlmError, Message, Part, TextPart, ToolSpec
from ghosthands.logs import get_logger

log = get_logger(__name__)

TOOL = ToolSpec(TOOL_NAME, TOOL_DESCRIPTION, TOOL_PARAMETERS)

SYSTEM_PROMPT = """\
You operate a web browser to complete a task for a user. Each turn you get the task, \
the steps taken so far and the current page as a numbered list of interactive elements \
(and sometimes a screenshot). Answer by calling next_actions with 1 to 5 actions:

- click(index), fill(index, value), select(index, value = option label),
  check(index, value = "true" or "false"), upload(index, value = file name),
  scroll(value = "up" or "down", or index to bring an element into view),
  wait(value = seconds), done(value = the result, in a sentence),
  need_human(value = captcha, login, 2fa or other) when only a person can get past.

Rules:
- Use only indexes from the current list. After an action that changes the page
  (opening a menu, going to a new page), stop: you will see the new page next turn.
- To type the user's data or secrets, write the placeholder exactly, e.g. {{email}}.
  You never see secret values; never guess or invent them.
- Say done only when the page shows the task is complete.
- Do not repeat an action that did not change the page; try something else.
"""


class AgentConfig(msgspec.Struct, frozen=True):
    max_steps: int = 25
    #: The same actions on the same page this many times is a loop.
    loop_threshold: int = 3
    max_output_tokens: int = 1024
    action_timeout_ms: float = 5000
    max_elements: int = 150
    max_text_chars: int = 3000
    #: How many of the latest steps the model is reminded of.
    history_lines: int = 15


class AgentOutcome(msgspec.Struct):
    summary: str
    #: Every action that worked, replayable, ending with ``done``.
    steps: list[Step]
    model_calls: int
    agent_steps: int


class Agent:
    """Runs tasks on a page for one job with one model."""

    def __init__(
        self,
        ctx: JobContext,
        llm: ProviderClient,
        meter: CostMeter,
        *,
        config: AgentConfig | None = None,
        data: dict[str, str] | None = None,
        secrets: dict[str, str] | None = None,
        files: dict[str, Path] | None = None,
    ) -> None:
        self._ctx = ctx
        self._llm = llm
        self._meter = meter
        self.config = config or AgentConfig()
        self._data = dict(data or {})
        self._secrets = dict(secrets or {})
        self._files = dict(files or {})
        self.model_calls = 0

    # -- secrets -----------------------------------------------------------------------

    def _variables(self) -> dict[str, str]:
        return {**self._data, **self._secrets}

    def scrub(self, text: str) -> str:
        """``text`` with every secret value replaced by its placeholder."""
        for name, value in sorted(self._secrets.items(), key=lambda kv: len(kv[1]), reverse=True):
            if len(value) >= 3:
                text = text.replace(value, "{{" + name + "}}")
        return text

    # -- the loop ----------------------------------------------------------------------

    async def run(self, page: Page, task: str, *, prior: list[Step] | None = None) -> AgentOutcome:
        """Work on ``task`` from the page as it is now. ``prior``: steps already done
        (by a manual replay) that the model should know about."""
        steps: list[Step] = list(prior or [])
        history: list[str] = [f"(already done) {_describe_step(s)}" for s in steps]
        seen: collections.Counter[tuple[str, tuple[tuple[Any, ...], ...]]] = collections.Counter()
        for number in range(1, self.config.max_steps + 1):
            obs = await observe(
                page,
                screenshot=self._llm.model.vision,
                max_elements=self.config.max_elements,
                max_text=self.config.max_text_chars,
            )
            turn = await self._ask(task, history, obs)
            key = (obs.fingerprint(), tuple(self._identity(a, obs) for a in turn.actions))
            seen[key] += 1
            if seen[key] >= self.config.loop_threshold:
                log.warning("agent_loop_detected", step=number, url=obs.url, repeats=seen[key])
                raise JobFailure(
                    ErrorCode.AGENT_LOOP,
                    f"the agent asked for the same actions on an unchanged page {seen[key]} "
                    f"times ({', '.join(_describe_action(a, obs) for a in turn.actions)})",
                    details={"url": obs.url, "step": number, "repeats": seen[key]},
                    retryable=False,
                )
            await self._ctx.progress(
                "agent_step", number=number, actions=[a.action for a in turn.actions]
            )
            for action in turn.actions:
                if action.action == "done":
                    summary = self.scrub(action.value or "")
                    steps.append(
                        Step(
                            "done",
                            value=summary,
                            url=url_pattern(page.url),
                            title=await page.title(),
                        )
                    )
                    log.info("agent_done", steps=number, model_calls=self.model_calls)
                    return AgentOutcome(summary, steps, self.model_calls, number)
                if action.action == "need_human":
                    history.append(await self._ask_human(page, action, turn.thought))
                    break
                line = _describe_action(action, obs)
                try:
                    step = self._resolve(action, obs)
                    if action.action in ELEMENT_ACTIONS or action.action in ("scroll", "wait"):
                        await self._ctx.count_action()
                    await perform(
                        page,
                        step,
                        variables=self._variables(),
                        files=self._files,
                        timeout_ms=self.config.action_timeout_ms,
                    )
                except ActionFailed as exc:
                    history.append(f"{line} -> failed: {self.scrub(str(exc))}")
                    break
                steps.append(step)
                history.append(f"{line} -> ok")
                if page.url != obs.url:
                    break  # a new page: the rest of the batch was meant for the old one
            del history[: -self.config.history_lines]
        raise JobFailure(
            ErrorCode.AGENT_STEP_LIMIT,
            f"the agent did not finish in {self.config.max_steps} steps",
            details={"steps": self.config.max_steps, "model_calls": self.model_calls},
            retryable=False,
        )

    async def _ask(self, task: str, history: list[str], obs: Observation) -> AgentTurn:
        shown = obs.render()
        scrubbed = self.scrub(shown)
        parts: list[Part] = [TextPart(self._prompt(task, history, scrubbed))]
        # A secret in clear on the page (typed into a text field, echoed back) would be
        # in the screenshot too: that step goes without one.
        if obs.screenshot is not None and scrubbed == shown:
            parts.append(ImagePart(obs.screenshot, "image/jpeg", obs.width, obs.height))
        request = ChatRequest(
            system=SYSTEM_PROMPT,
            messages=(Message("user", tuple(parts)),),
            tool=TOOL,
            max_output_tokens=self.config.max_output_tokens,
        )
        reply = await self._llm.complete(request, self._meter)
        self.model_calls += 1
        try:
            turn = msgspec.convert(reply.tool_input, AgentTurn)
        except msgspec.ValidationError as exc:
            raise LlmError(
                ErrorCode.LLM_BAD_RESPONSE,
                f"the model's actions do not fit the schema: {exc}",
                provider=self._llm.provider,
            ) from None
        if not turn.actions:
            raise LlmError(
                ErrorCode.LLM_BAD_RESPONSE, "the model gave no actions", provider=self._llm.provider
            )
        return turn

    def _prompt(self, task: str, history: list[str], page: str) -> str:
        lines = [f"Task: {task}", ""]
        if self._data:
            lines.append("Data you can type (write the placeholder, not the value):")
            lines += [f"  {{{{{name}}}}} = {value}" for name, value in self._data.items()]
        if self._secrets:
            names = ", ".join("{{" + n + "}}" for n in self._secrets)
            lines.append(f"Secrets (write only the placeholder; values are hidden): {names}")
        if self._files:
            lines.append(f"Files you can upload: {', '.join(self._files)}")
        lines.append("Steps so far:")
        lines += [f"  {i}. {h}" for i, h in enumerate(history, 1)] or ["  (none)"]
        lines += ["", "Current page:", page]
        return "\n".join(lines)

    def _resolve(self, action: Action, obs: Observation) -> Step:
        """The replayable step for an action by index (values keep their placeholders)."""
        value = action.value
        if action.action == "fill" and value is not None:
            value = templatize(value, self._data)
        if action.index is None:
            if action.action in ELEMENT_ACTIONS:
                raise ActionFailed(f"{action.action} needs an element index")
            return Step(action.action, value=value)
        if not 0 <= action.index < len(obs.elements):
            raise ActionFailed(f"there is no element [{action.index}] on this page")
        element = obs.elements[action.index]
        return Step(
            action.action,
            selector=element.selector,
            value=value,
            tag=element.tag,
            label=self.scrub(element.label),
        )

    @staticmethod
    def _identity(action: Action, obs: Observation) -> tuple[Any, ...]:
        target: Any = action.index
        if action.index is not None and 0 <= action.index < len(obs.elements):
            target = obs.elements[action.index].selector
        return (action.action, target, action.value)

    async def _ask_human(self, page: Page, action: Action, thought: str) -> str:
        kind = action.value if action.value in HUMAN_KINDS else "other"
        screenshot = await page.screenshot(type="png")
        log.info("agent_needs_human", kind=kind, url=page.url)
        resolution = await self._ctx.wait_for_human(
            kind, {"reason": self.scrub(thought)[:500], "url": page.url}, screenshot=screenshot
        )
        gained = []
        for name, value in (
            ("username", resolution.username),
            ("password", resolution.password),
            ("code", resolution.code),
        ):
            if value:
                self._secrets[name] = value
                gained.append("{{" + name + "}}")
        line = f"asked a person ({kind}); they answered {resolution.action}"
        if gained:
            line += f"; now available: {', '.join(gained)}"
        return line


def _describe_action(action: Action, obs: Observation) -> str:
    text: str = action.action
    if action.index is not None:
        text += f" [{action.index}]"
        if 0 <= action.index < len(obs.elements):
            label = obs.elements[action.index].label
            if label:
                text += f" {msgspec.json.encode(label[:60]).decode()}"
    if action.value is not None:
        text += f" = {msgspec.json.encode(action.value[:100]).decode()}"
    return text


def _describe_step(step: Step) -> str:
    text = step.action
    if step.label:
        text += f" {msgspec.json.encode(step.label[:60]).decode()}"
    if step.value is not None:
        text += f" = {msgspec.json.encode(step.value[:100]).decode()}"
    return text
