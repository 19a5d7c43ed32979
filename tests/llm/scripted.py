"""A scripted model speaking the OpenAI chat-completions wire format, and the test sites
it drives. The script reads the observation in each request (the indexed element list)
the way a real model would, so indexes are never hard-coded."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ghosthands.sample_site.ats.model import reply_body
from tests.llm.conftest import Recorded, Reply

_ELEMENT = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)


class Seen:
    """What the scripted model was shown in one request."""

    def __init__(self, request: Recorded) -> None:
        body = request.json()
        self.body = body
        user = body["messages"][1]["content"]
        self.text = "\n".join(p["text"] for p in user if p["type"] == "text")
        self.images = [p for p in user if p["type"] == "image_url"]
        page = self.text.split("Current page:", 1)[1]
        self.page = page
        self.elements = {int(m[1]): m[2] for m in _ELEMENT.finditer(page.split("Page text:")[0])}
        self.page_text = page.split("Page text:", 1)[1]

    def index(self, *needles: str) -> int:
        """The index of the element whose line contains every needle."""
        for index, line in self.elements.items():
            if all(n in line for n in needles):
                return index
        raise AssertionError(f"no element with {needles} in:\n{self.page}")

    def index_any(self, *labels: str) -> int:
        """The index of the first element whose line contains one of ``labels``."""
        for index, line in self.elements.items():
            if any(label in line for label in labels):
                return index
        raise AssertionError(f"none of {labels} in:\n{self.page}")

    def has(self, *needles: str) -> bool:
        return any(all(n in line for n in needles) for line in self.elements.values())


def tool_reply(
    actions: list[dict[str, Any]],
    *,
    thought: str = "",
    prompt_tokens: int = 1000,
    completion_tokens: int = 50,
) -> Reply:
    """A 200 chat-completions reply calling next_actions."""
    return Reply(
        200,
        reply_body(
            {"thought": thought, "actions": actions},
            "next_actions",
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        ),
    )


def model(decide: Callable[[Seen], Reply]) -> Callable[[Recorded], Reply]:
    """A responder that answers chat completions with ``decide(what the model saw)``."""

    def respond(request: Recorded) -> Reply:
        if request.method != "POST" or not request.path.endswith("/chat/completions"):
            return Reply(404, {"error": {"message": "no such route"}})
        return decide(Seen(request))

    return respond


# -- the screening site: a task the deterministic form engine cannot do alone ----------
# The way to the application form goes through a quiz whose answers are shuffled on
# every load (it takes knowledge, not field mapping), then a custom ARIA combobox that
# must be opened before its options exist, then free text that must say something.

SCREENING = """<!doctype html>
<html><head><title>Acme careers - screening</title></head>
<body>
<h1>Acme careers</h1>
<p id="intro">To reach the application form, pass the short screening.</p>
<button id="begin" onclick="begin()">Begin screening</button>
<div id="quiz" hidden>
  <p>Which city is the capital of Australia?</p>
  <div id="answers"></div>
</div>
<div id="form" hidden>
  <span id="start-label">Start date</span>
  <div id="start" role="combobox" aria-labelledby="start-label" aria-expanded="false"
       tabindex="0" onclick="toggle()">Choose one</div>
  <div id="start-options" role="listbox" hidden>
    <div role="option" onclick="pick(this)">Next week</div>
    <div role="option" onclick="pick(this)">In two weeks</div>
  </div>
  <p><label>Email <input type="email" name="email"></label></p>
  <p><label>Why do you want to work here? <textarea name="why"></textarea></label></p>
  <button id="submit" onclick="send()">Submit application</button>
  <p id="error"></p>
</div>
<script>
const $ = (id) => document.getElementById(id);
function begin() {
  $("begin").hidden = true; $("quiz").hidden = false;
  const cities = ["Sydney", "Canberra", "Melbourne"].sort(() => Math.random() - 0.5);
  for (const city of cities) {
    const b = document.createElement("div");
    b.setAttribute("role", "button"); b.textContent = city;
    b.onclick = () => answer(city);
    $("answers").appendChild(b);
  }
}
function answer(city) {
  if (city === "Canberra") { $("quiz").hidden = true; $("form").hidden = false; }
  else { $("intro").textContent = "Wrong answer, the screening failed."; $("quiz").hidden = true; }
}
function toggle() {
  const open = $("start-options").hidden;
  $("start-options").hidden = !open; $("start").setAttribute("aria-expanded", String(open));
}
function pick(el) { $("start").textContent = el.textContent; toggle(); }
function send() {
  const email = document.querySelector("[name=email]").value;
  const why = document.querySelector("[name=why]").value.trim().split(/\\s+/);
  if ($("start").textContent === "Choose one" || !email.includes("@") || why.length < 5) {
    $("error").textContent = "Please complete every field."; return;
  }
  location.href = "/done?email=" + encodeURIComponent(email) + "&start=" +
    encodeURIComponent($("start").textContent);
}
</script>
</body></html>
"""

DONE = """<!doctype html>
<html><head><title>Application received</title></head>
<body><h1>Thank you</h1><p id="msg"></p>
<script>
const q = new URLSearchParams(location.search);
document.getElementById("msg").textContent =
  "Application received for " + q.get("email") + ", starting " + q.get("start") +
  ". Reference GH-42.";
</script></body></html>
"""

SCREENING_TASK = "Pass the screening and apply, starting in two weeks."


def screening_model(seen: Seen) -> Reply:
    """What a capable model would do on the screening site, step by step."""
    if "Application received" in seen.page_text:
        return tool_reply([{"action": "done", "value": "Applied; reference GH-42."}])
    if seen.has('"Begin screening"'):
        return tool_reply([{"action": "click", "index": seen.index('"Begin screening"')}])
    if seen.has('"Canberra"'):
        return tool_reply(
            [{"action": "click", "index": seen.index('"Canberra"')}],
            thought="Canberra is the capital of Australia.",
        )
    if seen.has("option", '"In two weeks"'):
        return tool_reply([{"action": "click", "index": seen.index("option", '"In two weeks"')}])
    if seen.has("combobox", 'value="Choose one"'):
        return tool_reply([{"action": "click", "index": seen.index("combobox")}])
    return tool_reply(
        [
            {"action": "fill", "index": seen.index('"Email"'), "value": "{{email}}"},
            {
                "action": "fill",
                "index": seen.index("textarea"),
                "value": "I like building dependable software for people.",
            },
            {
                "action": "click",
                "index": seen.index_any('"Submit application"', '"Send application"'),
            },
        ]
    )
