"""Wall time per application on the sample site's forms, against a script that knows them.

GhostHands: an ``apply`` job run by a real ``ghosthands work`` process (warm browser, a
fresh context for the job), timed from the job's ``started_at`` to its ``completed_at``:
everything the product does for an application (find and map the fields, fill, upload
the resume, walk the steps, submit, read the confirmation, screenshots).

Baseline: a script that already knows every answer and every field name, the floor
for any automation of these forms. It replays, field by field, exactly what the site
received from GhostHands' run (checked: the site must receive the same fields again),
in a fresh context of a warm browser of its own. Forms whose fields a replay by name
cannot reach (the widgets form's iframe) are not measured.
"""

from __future__ import annotations

import asyncio
import functools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ghosthands.jobs.states import TERMINAL
from ghosthands.sample_site import SAMPLE_PROFILE, SAMPLE_QA_ANSWERS, SampleSite, create_app
from ghosthands.sample_site.app import Submission
from ghosthands.sample_site.profile import sample_resume_pdf
from ghosthands.sample_site.server import SiteServer

FORMS = ("classic", "wizard")
RESUME = "ada-lovelace-resume.pdf"
CHROMIUM = "/usr/bin/chromium"
#: The wizard's visible step (the replay knows the forms: it waits for the next step).
CURRENT_STEP = "() => document.querySelector('.step:not([hidden])')?.dataset.step"


def _insert_apply(dsn: str, user: str, url: str, resume_url: str) -> str:
    data = {
        "user_data": SAMPLE_PROFILE,
        "qa_answers": SAMPLE_QA_ANSWERS,
        "resume": {"download_url": resume_url, "file_name": RESUME},
    }
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "INSERT INTO gh_automation_jobs (user_id, job_type, target_url, input_data,"
            " max_retries, created_by) VALUES (%s, 'apply', %s, %s, 0, 'api') RETURNING id",
            (user, url, json.dumps(data)),
        ).fetchone()
    assert row is not None
    return str(row[0])


def _finished(dsn: str, job_id: str) -> tuple[str, float] | None:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT status, extract(epoch FROM completed_at - started_at)::float8"
            " FROM gh_automation_jobs WHERE id = %s AND status = ANY(%s)",
            (job_id, [*sorted(s.value for s in TERMINAL), "awaiting_review", "paused"]),
        ).fetchone()
    return None if row is None else (str(row[0]), float(row[1] or 0.0))


async def _replay(browser: Any, url: str, sent: Submission, resume: Path) -> None:
    """Fill ``url`` with exactly the fields of ``sent``, step by step, and submit."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(url)
        pending = dict(sent.fields)
        pending.update({name: "" for name in sent.files})
        while True:
            for name in list(pending):
                field = page.locator(f'[name="{name}"]:visible')
                if await field.count() == 0:
                    continue
                value = pending.pop(name)
                values = value if isinstance(value, list) else [value]
                tag, kind = await field.first.evaluate("e => [e.tagName, e.type]")
                if kind == "file":
                    if name in sent.files:  # an empty file input was sent as ""
                        await field.first.set_input_files(str(resume))
                elif tag == "SELECT":
                    await field.first.select_option(values)
                elif kind in ("checkbox", "radio"):
                    for v in values:
                        await page.locator(f'[name="{name}"][value="{v}"]').check()
                else:
                    await field.first.fill(values[0])
            step = page.locator("#next:visible")
            if await step.count():
                shown = await page.evaluate(CURRENT_STEP)
                await step.click()
                await page.wait_for_function(f"s => ({CURRENT_STEP})() !== s", arg=shown)
                continue
            await page.locator("button[type=submit]:visible").first.click()
            await page.wait_for_url("**/applications/**")
            return
    finally:
        await context.close()


def bench_applications(dsn: str, gh_env: dict[str, str], rounds: int) -> list[Any]:
    from bench.__main__ import Row, processes, scalar, wait_for

    site = SampleSite()
    resume_pdf = sample_resume_pdf()

    async def serve_resume(request: Request) -> Response:
        return Response(resume_pdf, media_type="application/pdf")

    ours: dict[str, list[float]] = {f: [] for f in FORMS}
    replayed: dict[str, list[float]] = {f: [] for f in FORMS}
    with (
        SiteServer(create_app(site, [Route(f"/files/{RESUME}", serve_resume)])) as server,
        tempfile.TemporaryDirectory(prefix="gh-bench-apply-") as tmp,
    ):
        resume_file = Path(tmp) / RESUME
        resume_file.write_bytes(resume_pdf)
        env = {**gh_env, "MAX_CONCURRENT_JOBS": "1", "GH_ALLOW_PRIVATE_NETWORKS": "true"}
        with processes([([sys.executable, "-m", "ghosthands", "work"], env)]):
            wait_for(
                lambda: scalar(dsn, "SELECT count(*) FROM gh_worker_registry") == 1,
                60,
                "worker registered",
            )
            for n in range(rounds + 1):  # the first round warms the browser up
                for form in FORMS:
                    job = _insert_apply(
                        dsn,
                        "00000000-0000-4000-8000-00000000a991",
                        f"{server.url}/apply/{form}",
                        f"{server.url}/files/{RESUME}",
                    )
                    status, seconds = wait_for(
                        functools.partial(_finished, dsn, job), 120, f"{form} job"
                    )
                    if status != "completed":
                        raise RuntimeError(f"the {form} application ended {status}")
                    if n:
                        ours[form].append(seconds * 1000)

        async def baseline() -> None:
            from playwright.async_api import async_playwright

            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                try:
                    for n in range(rounds + 1):
                        for form in FORMS:
                            sent = site.received(form)[0]
                            before = len(site.received(form))
                            started = time.perf_counter()
                            await _replay(browser, f"{server.url}/apply/{form}", sent, resume_file)
                            elapsed = (time.perf_counter() - started) * 1000
                            again = site.received(form)[before]
                            if again.fields.keys() != sent.fields.keys():
                                raise RuntimeError(f"the {form} replay sent other fields")
                            if n:
                                replayed[form].append(elapsed)
                finally:
                    await browser.close()

        asyncio.run(baseline())
    return [
        Row(
            "browser",
            f"wall time per application, {form} form (median of {rounds})",
            statistics.median(ours[form]),
            "a script that knows every field and answer",
            statistics.median(replayed[form]),
            "ms",
            False,
            "",
        )
        for form in FORMS
    ]
