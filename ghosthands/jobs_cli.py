"""``ghosthands jobs ...``: a client for people, against a running API.

Uses the API's own Structs (``ghosthands.api.schemas``) for what it sends and reads, so
a bad field is reported before anything is sent, with the server's wording. The caller
is the service (``GH_SERVICE_SECRET``) unless ``--token`` gives a user's JWT.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
import httpx
import msgspec

from ghosthands.api.decoding import ValidationFailed, validate
from ghosthands.api.errors import ErrorBody
from ghosthands.api.schemas import Job, JobChanged, JobCreated, JobCreateRequest, JobList
from ghosthands.jobs.states import TERMINAL, JobStatus
from ghosthands.recover_cli import recover

PREFIX = "/api/v1/gh"
T = TypeVar("T")


class ApiClient:
    """A small synchronous client: one httpx.Client, answers decoded into Structs."""

    def __init__(
        self, url: str, token: str | None, timeout: float = 15.0, service_key: str | None = None
    ) -> None:
        headers: dict[str, str] = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif secret := service_key or os.environ.get("GH_SERVICE_SECRET"):
            headers["X-GH-Service-Key"] = secret
        else:
            fail("no credentials: set GH_SERVICE_SECRET or pass --token")
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def call(self, method: str, path: str, model: type[T], **kwargs: Any) -> T:
        try:
            response = self.http.request(method, PREFIX + path, **kwargs)
        except httpx.HTTPError as exc:
            fail(f"cannot reach {self.url}: {type(exc).__name__}: {exc}")
        if response.status_code >= 400:
            report_error(response)
        return msgspec.json.decode(response.content, type=model)


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def report_error(response: httpx.Response) -> NoReturn:
    try:
        body = msgspec.json.decode(response.content, type=ErrorBody)
    except msgspec.DecodeError:
        fail(f"HTTP {response.status_code}: {response.text[:200]}")
    lines = [f"{body.error} ({response.status_code}): {body.message}"]
    lines += [f"  {d.get('field')}: {d.get('message')}" for d in body.details or []]
    if body.existing_job_id:
        lines.append(f"  existing job: {body.existing_job_id}")
    fail("\n".join(lines))


def default_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('GH_API_PORT', '3100')}"


def emit_json(value: Any) -> None:
    click.echo(msgspec.json.encode(value).decode())


url_option = click.option(
    "--url",
    envvar="GH_API_URL",
    default=default_url,
    show_default="http://127.0.0.1:$GH_API_PORT",
    help="Base URL of the API.",
)
token_option = click.option(
    "--token",
    envvar="GH_TOKEN",
    default=None,
    help="A user's JWT (default: act as the service with GH_SERVICE_SECRET).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the raw JSON answer.")


@click.group()
def jobs() -> None:
    """Submit, inspect and follow jobs on a running API."""


@jobs.command()
@click.option("--type", "job_type", required=True, help="Job type, e.g. http_check or apply.")
@click.option("--target-url", required=True)
@click.option("--user-id", default=None, help="Required when acting as the service.")
@click.option("--description", "task_description", default=None)
@click.option("--input", "input_data", default=None, help="input_data as JSON, or @file.json.")
@click.option("--priority", type=int, default=None, help="1 (first) to 10.")
@click.option("--timeout", "timeout_seconds", type=int, default=None, help="30-1800 s.")
@click.option("--max-retries", type=int, default=None)
@click.option("--tag", "tags", multiple=True)
@click.option("--callback-url", default=None)
@click.option("--idempotency-key", default=None)
@url_option
@token_option
@json_option
def submit(url: str, token: str | None, as_json: bool, **fields: Any) -> None:
    """Create a job and print its id."""
    raw = fields.pop("input_data")
    if raw is not None:
        text = Path(raw[1:]).read_text() if raw.startswith("@") else raw
        try:
            fields["input_data"] = json.loads(text)
        except ValueError as exc:
            fail(f"--input is not JSON: {exc}")
    fields["tags"] = list(fields["tags"]) or None
    body = {k: v for k, v in fields.items() if v is not None}
    try:
        request = validate(body, JobCreateRequest)  # the server's own rules, before sending
    except ValidationFailed as exc:
        fail("invalid job:\n" + "\n".join(f"  {e.field}: {e.message}" for e in exc.errors))
    created = ApiClient(url, token).call(
        "POST",
        "/jobs",
        JobCreated,
        content=msgspec.json.encode(request),
        headers={"Content-Type": "application/json"},
    )
    if as_json:
        emit_json(created)
    else:
        click.echo(f"{created.id} {created.status.value}")


@jobs.command()
@click.argument("job_id")
@url_option
@token_option
@json_option
def get(job_id: str, url: str, token: str | None, as_json: bool) -> None:
    """Show one job."""
    job = ApiClient(url, token).call("GET", f"/jobs/{job_id}", Job)
    if as_json:
        emit_json(job)
        return
    rows = [
        ("id", job.id),
        ("status", job.status.value),
        ("type", job.job_type),
        ("target", job.target_url),
        ("user", job.user_id),
        ("priority", job.priority),
        ("retries", f"{job.retry_count}/{job.max_retries}"),
        ("created", job.created_at),
        ("started", job.started_at),
        ("completed", job.completed_at),
        ("message", job.status_message),
        ("error", job.error_code),
        ("summary", job.result_summary),
        ("cost", f"{job.llm_cost_cents:.4f} cents"),
    ]
    for name, value in rows:
        if value is not None:
            click.echo(f"{name:>10}  {value}")


@jobs.command(name="list")
@click.option("--status", default=None, help="Comma-separated statuses.")
@click.option("--type", "job_type", default=None)
@click.option("--user-id", default=None)
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--offset", type=int, default=0, show_default=True)
@click.option("--sort", default="-created_at", show_default=True)
@url_option
@token_option
@json_option
def list_jobs(url: str, token: str | None, as_json: bool, **filters: Any) -> None:
    """List jobs, newest first."""
    params = {k: v for k, v in filters.items() if v is not None}
    page = ApiClient(url, token).call("GET", "/jobs", JobList, params=params)
    if as_json:
        emit_json(page)
        return
    for job in page.jobs:
        click.echo(
            f"{job.id}  {job.status.value:<15} {job.job_type:<10} p{job.priority:<2} "
            f"{job.created_at:%Y-%m-%d %H:%M:%S}  {job.target_url}"
        )
    click.echo(f"{len(page.jobs)} of {page.total} job(s)")


@jobs.command()
@click.argument("job_id")
@url_option
@token_option
def cancel(job_id: str, url: str, token: str | None) -> None:
    """Cancel a pending, queued, running or paused job."""
    changed = ApiClient(url, token).call("POST", f"/jobs/{job_id}/cancel", JobChanged)
    click.echo(f"{changed.id} {changed.status.value}")


@jobs.command()
@click.argument("job_id")
@click.option(
    "--force",
    is_flag=True,
    help="Run it again although its last attempt may have submitted the application.",
)
@url_option
@token_option
def retry(job_id: str, force: bool, url: str, token: str | None) -> None:
    """Put a failed or cancelled job back in the queue."""
    path = f"/jobs/{job_id}/retry" + ("?force=true" if force else "")
    changed = ApiClient(url, token).call("POST", path, JobChanged)
    click.echo(f"{changed.id} {changed.status.value} (retry {changed.retry_count})")


class _Event(msgspec.Struct):
    id: int
    event_type: str
    from_status: str | None = None
    to_status: str | None = None
    message: str | None = None
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    created_at: str = ""


def describe(event: _Event) -> str:
    """One human line per event."""
    at = event.created_at[11:19]
    if event.event_type == "progress":
        step = event.metadata.get("step")
        percent = event.metadata.get("percent")
        parts = [
            p
            for p in (step and str(step), percent is not None and f"{percent}%", event.message)
            if p
        ]
        return f"{at}  progress  {'  '.join(parts)}"
    if event.to_status:
        move = f"{event.from_status} -> {event.to_status}" if event.from_status else event.to_status
        return f"{at}  {event.event_type}  {move}" + (
            f"  ({event.message})" if event.message else ""
        )
    return f"{at}  {event.event_type}" + (f"  {event.message}" if event.message else "")


def follow_events(
    client: ApiClient,
    job_id: str,
    *,
    reconnects: int = 5,
    on_line: Callable[[], None] | None = None,
) -> Iterator[_Event]:
    """The job's events from its live stream, until the job reaches a terminal status.

    Reconnects with ``Last-Event-ID`` when the stream drops (at most ``reconnects``
    times in a row). ``on_line`` is called for every line received, keepalives
    included: a hook for the caller to give up (by raising) while the job is quiet.
    """
    last_id: str | None = None
    attempts = 0
    while True:
        headers = {"Last-Event-ID": last_id} if last_id else {}
        try:
            with client.http.stream(
                "GET",
                f"{PREFIX}/jobs/{job_id}/events/stream",
                headers=headers,
                timeout=httpx.Timeout(15, read=None),
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    report_error(response)
                data: list[str] = []
                event_id: str | None = None
                name = "message"
                for line in response.iter_lines():
                    if on_line is not None:
                        on_line()
                    if line.startswith("id:"):
                        event_id = line[3:].strip()
                    elif line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif line == "" and data:
                        if name == "end":  # the server closes the stream after this
                            break
                        try:
                            event = msgspec.json.decode("\n".join(data), type=_Event)
                        except msgspec.DecodeError:  # ValidationError is a subclass
                            data, event_id, name = [], None, "message"
                            continue
                        attempts = 0
                        last_id = event_id or last_id
                        yield event
                        if event.event_type == "status_changed" and event.to_status in TERMINAL:
                            return
                        data, event_id, name = [], None, "message"
        except httpx.HTTPError as exc:
            click.echo(f"stream interrupted ({type(exc).__name__})", err=True)
        # The server ended the stream (drain) or the job was already finished.
        if client.call("GET", f"/jobs/{job_id}", Job).status in TERMINAL:
            return
        attempts += 1
        if attempts > reconnects:
            fail("gave up reconnecting to the event stream")
        time.sleep(min(5.0, 0.5 * attempts))


@jobs.command()
@click.argument("job_id")
@click.option(
    "--reconnects",
    default=5,
    show_default=True,
    help="Reconnect this many times if the stream drops (resumes after the last event).",
)
@url_option
@token_option
def watch(job_id: str, reconnects: int, url: str, token: str | None) -> None:
    """Follow a job's events live until it finishes. Exit 0 if it completed."""
    client = ApiClient(url, token)
    for event in follow_events(client, job_id, reconnects=reconnects):
        click.echo(describe(event))
    final = client.call("GET", f"/jobs/{job_id}", Job).status
    click.echo(f"job {job_id} {final.value}")
    sys.exit(0 if final == JobStatus.COMPLETED else 1)


jobs.add_command(recover)  # the runbook's stuck-job recovery (operators)
