"""``ghosthands demo``: one job application, end to end, on the embedded default.

What runs is the product itself, not a shortcut through it: a throwaway PostgreSQL
(unless ``DATABASE_URL`` is set), ``ghosthands serve`` and ``ghosthands work`` as child
processes (:class:`ghosthands.devstack.DevStack`), and the bundled sample careers site
on loopback in this process. The application goes in through the API the way VALET
sends one (``POST /api/v1/gh/valet/apply``, the resume as a ``download_url`` this
process serves), the progress shown is the job's live event stream, and the outcome
is read back from ``/valet/status`` and from what the site itself received.

Exit 0 only when the site received the application and the job reports its
confirmation id; 1 otherwise, 78 when the machine cannot run it (no PostgreSQL, no
display for ``--headed``). Whatever happens, Ctrl-C included, everything started here
is stopped: the site, the API, the worker and its Chromium, and the database.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import click
import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ghosthands.api.decoding import ValidationFailed, validate
from ghosthands.api.schemas import ValetApplyRequest, ValetJobAccepted, ValetStatus
from ghosthands.config import EX_CONFIG, ConfigError, load_settings
from ghosthands.db.embedded import EmbeddedPostgresError, PostgresNotFound
from ghosthands.devstack import DevStack, dev_secret_file
from ghosthands.jobs.states import TERMINAL, JobStatus
from ghosthands.jobs_cli import ApiClient, follow_events
from ghosthands.logs import configure_logging, get_logger
from ghosthands.sample_site import SAMPLE_PROFILE, SAMPLE_QA_ANSWERS, SampleSite, create_app
from ghosthands.sample_site.app import FORMS
from ghosthands.sample_site.profile import sample_resume_pdf
from ghosthands.sample_site.server import SiteServer

log = get_logger(__name__)

#: The forms a demo can fill: ``form`` -> what the site calls it.
DEMO_FORMS = {
    "wizard": "a four-step wizard with client-side validation and a review page",
    "classic": "a single-page form",
    "widgets": "custom widgets: shadow DOM, an iframe, a live combobox, a date picker",
}
DEFAULT_FORM = "wizard"
RESUME_NAME = "ada-lovelace-resume.pdf"
#: Give up on the job after this long (the whole demo should take well under a minute).
JOB_DEADLINE_SECONDS = 120.0
#: The demo's children: quick to stop, quick to notice the job, a stream that ticks.
CHILD_SETTINGS = {
    "GH_ALLOW_PRIVATE_NETWORKS": "true",
    "GH_WORKER_DRAIN_SECONDS": "5",
    "GH_API_DRAIN_SECONDS": "1",
    "GH_POLL_SECONDS": "1",
    "GH_SSE_KEEPALIVE_SECONDS": "1",
}


class DemoFailed(Exception):
    """The demo could not show a submitted application; the message says why."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while the demo ran (a BaseException, like Ctrl-C)."""


@dataclass
class Outcome:
    status: ValetStatus
    confirmation_id: str | None
    saved: list[Path]


def say(text: str = "") -> None:
    click.echo(text)


class Demo:
    def __init__(self, form: str, headed: bool, keep_running: bool, out: Path) -> None:
        self.form = form
        self.headed = headed
        self.keep_running = keep_running
        self.out = out
        self.site = SampleSite()
        self.resume = sample_resume_pdf()
        self.stack: DevStack | None = None
        self.started = time.monotonic()
        self.signals = 0

    # -- signals ----------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals += 1
        if self.signals == 1:
            raise Interrupted(signum)
        # Further signals while stopping: cleanup is already bounded; let it finish.

    # -- the run ------------------------------------------------------------------------

    def run(self) -> int:
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        server = SiteServer(create_app(self.site, [Route(f"/files/{RESUME_NAME}", self._resume)]))
        try:
            try:
                server.start()
                outcome = self._run(server)
                code = self._report(outcome)
                if self.keep_running:
                    self._stay_up(server)
                return code
            except DemoFailed as exc:
                say(f"\ndemo failed: {exc}")
                say(f"logs: {self.out}")
                return 1
            except Interrupted:
                say("\ninterrupted")
                return 130
            finally:
                # No interruptions from here on: a half-done cleanup is what leaves
                # processes behind. (Interrupted is raised at most once, so if it lands
                # in the first attempt the second one succeeds.)
                try:
                    _ignore_signals()
                except Interrupted:
                    _ignore_signals()
                say("stopping the worker, the API, the site and the database ...")
                self._stop(server)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _stop(self, server: SiteServer) -> None:
        try:
            if self.stack is not None:
                self.stack.stop()
        finally:
            server.stop()
        say(f"everything stopped; the demo took {time.monotonic() - self.started:.1f}s")

    async def _resume(self, request: Request) -> Response:
        return Response(self.resume, media_type="application/pdf")

    def _run(self, server: SiteServer) -> Outcome:
        spec = FORMS[self.form]
        say("GhostHands demo")
        own_db = not os.environ.get("DATABASE_URL")
        say(
            "  database  "
            + (
                "a throwaway PostgreSQL (deleted on exit)"
                if own_db
                else "DATABASE_URL (yours; the demo's job stays in it)"
            )
        )
        overrides = {
            **CHILD_SETTINGS,
            # The site is on loopback: the browser's network guard lets through exactly it.
            "GH_BROWSER_ALLOWED_HOSTS": server.host_port,
            "GH_API_PORT": os.environ.get("GH_API_PORT") or str(_api_port(self.keep_running)),
            "GH_WORKER_PORT": os.environ.get("GH_WORKER_PORT") or "0",
        }
        overrides["GH_BROWSER_HEADLESS"] = "false" if self.headed else "true"
        self.stack = DevStack(name="ghosthands-demo", env=overrides, log_dir=self.out)
        try:
            self.stack.start()
        except (PostgresNotFound, EmbeddedPostgresError):
            raise  # the machine cannot run it: reported by the command (exit 78)
        except Exception as exc:  # DATABASE_URL unreachable, a failed migration, ...
            raise DemoFailed(f"could not start: {type(exc).__name__}: {exc}") from None
        if self.stack.pg is not None:
            say(f"            on 127.0.0.1:{self.stack.pg.port}")
        if not self.stack.wait_api(60):
            raise DemoFailed(
                f"the API did not become healthy within 60s (see {self._log('serve')})"
            )
        say(f"  API       {self.stack.api_url}  (ghosthands serve)")
        say(f"  worker    ghosthands work, Chromium {'headed' if self.headed else 'headless'}")
        say(f"  site      {server.url}  (the bundled sample careers site)")
        target = f"{server.url}/apply/{self.form}"
        say()
        say(f"Applying to {spec['title']} at {spec['company']}: {DEMO_FORMS[self.form]}")
        say(
            f"  as        {SAMPLE_PROFILE['first_name']} {SAMPLE_PROFILE['last_name']}, "
            f"{SAMPLE_PROFILE['email']}"
        )
        say(f"  form      {target}")

        client = ApiClient(
            self.stack.api_url, None, service_key=self.stack.env["GH_SERVICE_SECRET"]
        )
        body = {
            "user_id": str(uuid.uuid4()),
            "target_url": target,
            "profile": SAMPLE_PROFILE,
            "resume": {
                "download_url": f"{server.url}/files/{RESUME_NAME}",
                "file_name": RESUME_NAME,
            },
            "qa_answers": SAMPLE_QA_ANSWERS,
            "timeout_seconds": int(JOB_DEADLINE_SECONDS),
            "max_retries": 0,
            "tags": ["demo"],
        }
        try:
            request = validate(body, ValetApplyRequest)  # the API's own rules
        except ValidationFailed as exc:
            problems = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            raise DemoFailed(f"the sample application is not valid: {problems}") from None
        accepted = client.call(
            "POST",
            "/valet/apply",
            ValetJobAccepted,
            content=msgspec.json.encode(request),
            headers={"Content-Type": "application/json"},
        )
        job_id = str(accepted.job_id)
        say(f"  job       {job_id} ({accepted.status.value})")
        say()
        self._follow(client, job_id)
        status = client.call("GET", f"/valet/status/{job_id}", ValetStatus)
        saved = self._save_screenshots(client, status)
        data = status.result.data if status.result and status.result.data else {}
        confirmation = data.get("confirmation_id")
        return Outcome(status, confirmation if isinstance(confirmation, str) else None, saved)

    def _follow(self, client: ApiClient, job_id: str) -> None:
        deadline = time.monotonic() + JOB_DEADLINE_SECONDS
        assert self.stack is not None
        stack = self.stack

        def check() -> None:
            for role, child in stack.children.items():
                if child.poll() is not None:
                    raise DemoFailed(
                        f"ghosthands {role} exited with code {child.returncode} "
                        f"(see {self._log(role)})"
                    )
            if time.monotonic() > deadline:
                raise DemoFailed(f"the job did not finish within {JOB_DEADLINE_SECONDS:.0f}s")

        began = time.monotonic()
        for event in follow_events(client, job_id, on_line=check):
            line = describe_step(event.event_type, event.to_status, event.metadata, event.message)
            if line:
                say(f"  {time.monotonic() - began:5.1f}s  {line}")
            if event.to_status == JobStatus.PAUSED:
                return  # a person would have to answer (POST /valet/resume): report that

    def _save_screenshots(self, client: ApiClient, status: ValetStatus) -> list[Path]:
        saved = []
        urls = status.result.screenshot_urls if status.result else []
        for number, path in enumerate(urls, 1):
            response = client.http.get(path)
            if response.status_code != 200:
                say(f"  could not fetch {path}: HTTP {response.status_code}")
                continue
            name = _filename(
                response.headers.get("content-disposition", ""), f"screenshot-{number}.png"
            )
            target = self.out / name
            target.write_bytes(response.content)
            saved.append(target)
        return saved

    def _report(self, outcome: Outcome) -> int:
        status = outcome.status
        received = self.site.received(self.form)
        say()
        say("Result")
        say(
            f"  status        {status.status.value}"
            + (f": {status.result.summary}" if status.result and status.result.summary else "")
        )
        if status.error is not None:
            first_line = (status.error.message or "").strip().splitlines()[:1]
            say(f"  error         {status.error.code}: {''.join(first_line)[:300]}")
        if status.interaction is not None:
            say(f"  waiting for   a person: {status.interaction.type}")
        say(f"  confirmation  {outcome.confirmation_id or '(none)'}")
        submission = received[-1] if received else None
        if submission is not None:
            say(
                f"  the site received ({FORMS[self.form]['company']}, "
                f"{FORMS[self.form]['title']}, {submission.confirmation_id}):"
            )
            width = max(len(k) for k in [*submission.fields, *submission.files]) + 2
            for key, value in submission.fields.items():
                shown = ", ".join(value) if isinstance(value, list) else value
                say(f"    {key:<{width}}{shown if shown else '(left empty)'}")
            for key, upload in submission.files.items():
                same = "the resume sent" if upload.data == self.resume else "NOT the resume sent"
                say(f"    {key:<{width}}{upload.filename}, {len(upload.data)} bytes ({same})")
        else:
            say("  the site received nothing")
        cost = status.cost_breakdown
        say(
            f"  cost          ${cost.total_cost_usd:.4f} ({cost.total_tokens} LLM tokens, "
            f"{cost.action_count} browser actions)"
            + ("; the form engine needed no model" if cost.total_tokens == 0 else "")
        )
        urls = status.result.screenshot_urls if status.result else []
        if urls:
            say("  screenshots   " + f"\n{'':16}".join(f"{self._api_url()}{u}" for u in urls))
            say("  saved to      " + f"\n{'':16}".join(str(p) for p in outcome.saved))
        say(f"  logs          {self.out}")
        say()
        ok = (
            status.status == JobStatus.COMPLETED
            and outcome.confirmation_id is not None
            and submission is not None
            and submission.confirmation_id == outcome.confirmation_id
            and len(received) == 1
        )
        if ok:
            say(f"Application submitted and confirmed: {outcome.confirmation_id}")
            return 0
        reasons = []
        if status.status != JobStatus.COMPLETED:
            ended = "ended" if status.status in TERMINAL else "is"
            reasons.append(f"the job {ended} {status.status.value}")
        if outcome.confirmation_id is None:
            reasons.append("no confirmation id was recognised")
        if submission is None:
            reasons.append("the site received no application")
        elif submission.confirmation_id != outcome.confirmation_id:
            reasons.append("the confirmation id differs from the site's")
        if len(received) > 1:
            reasons.append(f"the site received {len(received)} applications")
        say("The application was NOT confirmed: " + "; ".join(reasons) + ".")
        return 1

    def _stay_up(self, server: SiteServer) -> None:
        assert self.stack is not None
        say("Still running (--keep-running); Ctrl-C stops everything.")
        say(f"  API           {self.stack.api_url}  (GET /openapi.json for the contract)")
        say(f"  service key   {dev_secret_file()}  (header X-GH-Service-Key)")
        say(f"  site          {server.url}/")
        say(
            f"  try           GH_SERVICE_SECRET=$(cat {dev_secret_file()}) "
            f"ghosthands jobs list --url {self.stack.api_url}"
        )
        try:
            while all(child.poll() is None for child in self.stack.children.values()):
                time.sleep(0.5)
            say("a ghosthands process exited; stopping the rest")
        except Interrupted:
            say()

    def _api_url(self) -> str:
        return self.stack.api_url if self.stack is not None else ""

    def _log(self, role: str) -> Path:
        return self.out / f"{role}.log"


#: One human line per step the job reports (``metadata.step`` of progress events).
_STEPS: dict[str, Callable[[dict[str, Any]], str]] = {
    "navigating": lambda m: f"opening {m.get('url', 'the page')}",
    "filling_form": lambda m: f"filling in step {m.get('form_step', '?')} of the form",
    "uploading_resume": lambda m: (
        f"attached the resume ({m.get('filename', 'resume')}, {m.get('size', '?')} bytes)"
    ),
    "fixing_validation": lambda m: (
        "the site flagged "
        + (", ".join(str(e) for e in (m.get("errors") or [])[:3]) or "some answers")
        + "; correcting"
    ),
    "submitting": lambda m: f'submitting (the "{m.get("button", "submit")}" button)',
    "submitted": lambda m: "submitted",
    "confirmed": lambda m: f"confirmation page recognised: {m.get('confirmation_id') or '(no id)'}",
    "blocked": lambda m: f"blocked by a {m.get('kind', 'blocker')}: waiting for a person",
    "resumed": lambda m: f"a person answered ({m.get('action')}); carrying on",
    "browser_recovered": lambda m: f"the browser crashed; recovered (attempt {m.get('attempt')})",
    "signing_in": lambda m: "signing in",
    "signed_in": lambda m: "signed in",
}
_STATUSES = {
    "queued": "claimed by the worker",
    "running": "running in Chromium",
    "completed": "completed",
    "failed": "failed",
    "paused": "paused for a person",
    "cancelled": "cancelled",
    "awaiting_review": "awaiting review",
    "pending": "back in the queue",
}


def _ignore_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def describe_step(
    event_type: str, to_status: str | None, metadata: dict[str, Any], message: str | None
) -> str | None:
    """A line for a person, or None for events nobody watching the demo needs."""
    if event_type == "progress":
        step = str(metadata.get("step") or "")
        render = _STEPS.get(step)
        return render(metadata) if render else (message or step or None)
    if event_type == "status_changed" and to_status:
        return _STATUSES.get(to_status, to_status)
    return None


def _filename(disposition: str, fallback: str) -> str:
    marker = 'filename="'
    if marker in disposition:
        name = disposition.split(marker, 1)[1].split('"', 1)[0]
        if name and "/" not in name and not name.startswith("."):
            return name
    return fallback


def _api_port(keep_running: bool) -> int:
    """A free port; the usual 3100 when the stack stays up for a person to use, if free."""
    for port in (3100, 0) if keep_running else (0,):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise DemoFailed("no free port for the API")


@click.command()
@click.option(
    "--form",
    type=click.Choice(list(DEMO_FORMS)),
    default=DEFAULT_FORM,
    show_default=True,
    help="Which sample application form to fill.",
)
@click.option("--headed", is_flag=True, help="Show the browser window (needs a display).")
@click.option(
    "--keep-running",
    is_flag=True,
    help="Leave the API, worker and site up afterwards (Ctrl-C stops them).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("ghosthands-demo"),
    show_default=True,
    help="Where screenshots and logs go (a new subdirectory per run).",
)
def demo(form: str, headed: bool, keep_running: bool, out: Path) -> None:
    """Apply to a job on the bundled sample site, end to end, and print the outcome."""
    if headed and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        click.echo(
            "error: --headed needs a display (DISPLAY or WAYLAND_DISPLAY is unset)", err=True
        )
        sys.exit(EX_CONFIG)
    run_dir = out / dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    run_dir.mkdir(parents=True)
    run_dir = run_dir.resolve()
    try:
        settings = load_settings()
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EX_CONFIG)
    # This process's own log lines go to a file: the terminal is for the person.
    with open(run_dir / "demo.log", "a") as demo_log:
        configure_logging("demo", settings.log_level, settings.secret_values(), stream=demo_log)
        try:
            code = Demo(form, headed, keep_running, run_dir).run()
        except (PostgresNotFound, EmbeddedPostgresError) as exc:
            click.echo(f"error: {exc}", err=True)
            code = EX_CONFIG
    sys.exit(code)
