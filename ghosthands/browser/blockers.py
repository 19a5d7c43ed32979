"""Recognise what stops an automated application: captchas, bot checks, logins, 2FA."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ghosthands.jobs.errors import ErrorCode

_DETECT_JS = r"""
() => {
  const clean = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const visible = (el) => { const r = el.getBoundingClientRect(); const cs = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && cs.visibility !== 'hidden' && cs.display !== 'none'; };
  const text = clean(document.body ? document.body.innerText : '').slice(0, 4000).toLowerCase();
  const title = (document.title || '').toLowerCase();
  const frames = [...document.querySelectorAll('iframe')].map((f) => ({ src: f.src || '', title: f.title || '' }));
  const widgets = [...document.querySelectorAll('.g-recaptcha, .h-captcha, .cf-turnstile, [data-sitekey], #px-captcha, #arkose, [id*=funcaptcha], [class*=captcha i]')]
      .filter(visible).map((e) => e.className || e.id || e.tagName);
  const pw = [...document.querySelectorAll('input[type=password]')].filter(visible).length;
  const otp = [...document.querySelectorAll('input')].filter(visible).filter((i) => {
    const label = clean([...(i.labels || [])].map((l) => l.textContent).join(' ') + ' ' + (i.getAttribute('aria-label') || '') + ' ' + (i.placeholder || '') + ' ' + (i.name || '') + ' ' + (i.id || '')).toLowerCase();
    return i.autocomplete === 'one-time-code' || /verification code|one[- ]time|2fa|two[- ]factor|authentication code|security code|otp\b/.test(label);
  }).length;
  const inputs = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(visible).length;
  return { text, title, frames, widgets, pw, otp, inputs, url: location.href };
}
"""

_CAPTCHA_FRAMES = (
    "recaptcha",
    "hcaptcha",
    "challenges.cloudflare.com",
    "turnstile",
    "arkoselabs",
    "funcaptcha",
    "captcha-delivery",
    "geo.captcha",
)
_BOT_CHECK = (
    "just a moment",
    "checking your browser",
    "verify you are human",
    "are you a robot",
    "attention required",
    "press & hold",
    "access denied",
    "unusual traffic",
)


@dataclass
class Blocker:
    """Something only a person can get past."""

    #: captcha | bot_check | login | two_factor (the job's ``interaction_type``)
    kind: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def error_code(self) -> ErrorCode:
        return {
            "captcha": ErrorCode.CAPTCHA_BLOCKED,
            "bot_check": ErrorCode.CAPTCHA_BLOCKED,
            "login": ErrorCode.LOGIN_REQUIRED,
            "two_factor": ErrorCode.TWO_FACTOR_REQUIRED,
        }[self.kind]

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, str(self.details.get("url", "")).split("#")[0])


async def detect_blocker(page: Any) -> Blocker | None:
    """The first blocker on ``page``, or None. Never raises for a page it cannot read."""
    try:
        seen = await page.evaluate(_DETECT_JS)
    except Exception:
        return None
    url = seen.get("url", "")
    for frame in seen["frames"]:
        blob = (frame["src"] + " " + frame["title"]).lower()
        if any(marker in blob for marker in _CAPTCHA_FRAMES):
            return Blocker("captcha", "captcha widget", {"url": url, "frame": frame["src"]})
    if seen["widgets"]:
        return Blocker("captcha", "captcha widget", {"url": url, "widget": str(seen["widgets"][0])})
    text, title = seen["text"], seen["title"]
    if seen["inputs"] <= 3 and any(m in title or m in text[:600] for m in _BOT_CHECK):
        return Blocker("bot_check", "bot check page", {"url": url, "title": title})
    if seen["otp"]:
        return Blocker("two_factor", "one-time code requested", {"url": url})
    if seen["pw"] and seen["inputs"] <= 4:
        return Blocker("login", "sign-in form", {"url": url})
    return None
