"""Applications to the ATS replicas (``ghosthands.sample_site.ats``): per replica, success,
required fields right, wall time, model calls and cost per application.

``python -m bench.ats [--rounds N] [--only NAME ...] [--held-out]``: a throwaway PostgreSQL
cluster, real ``ghosthands serve`` and ``ghosthands work`` processes (one job at a time, warm
browser), the replicas on two loopback origins and the scripted model
(:class:`~ghosthands.sample_site.ats.model.ScriptedModel`, priced as ``gpt-4o-mini``).
Each application goes in by ``POST /valet/apply`` exactly as in
``tests/e2e/test_ats_replicas.py`` (a sign-in pause is answered with the replica's
account) and is graded by :func:`~ghosthands.sample_site.ats.score`.

- **Success**: the job completed and the replica received exactly the right fields.
- **Fields right**: required fields (and the resume) received right / required.
- **Wall time**: the job's ``started_at`` → ``completed_at``, minus time paused for a
  person; median over rounds. Against it, the oracle: a script that knows the replica
  (every selector and answer), in a fresh context of a warm browser: the floor.
- **Model calls / cost**: billed calls to the scripted model and the job's
  ``llm_cost_cents`` (``agent`` counts requests for the browser agent, which the
  scripted model refuses).
- **With a learned replay**: each measured application is by a new applicant (nothing
  learned applies); then the last applicant of every replica applies to it again, and
  the model's answers of their first application are replayed
  (``ghosthands.browser.learned_answers``; ``final_mode`` ``form_engine+manual``). The
  second set of columns is that application.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field

import httpx
import psycopg

from ghosthands.sample_site.ats import (
    HELD_OUT,
    REPLICAS,
    ScriptedModel,
    ServedReplicas,
    serve_replicas,
)
from ghosthands.sample_site.ats.oracle import ORACLES
from ghosthands.sample_site.ats.runner import (
    MODEL,
    Outcome,
    apply_body,
    describe,
    run_application,
)

#: Every replica by name, the held-out ones (``--held-out``) included.
ALL = {**REPLICAS, **{r.name: r for r in HELD_OUT}}
SERVICE_KEY = "bench-ats-" + secrets.token_hex(8)
CHROMIUM = "/usr/bin/chromium"


@dataclass
class Row:
    name: str
    ats: str
    outcomes: list[Outcome] = field(default_factory=list)
    replayed: list[Outcome] = field(default_factory=list)
    replay_modes: list[str] = field(default_factory=list)
    oracle_seconds: list[float] = field(default_factory=list)


def _env(dsn: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "DATABASE_"))}
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY"):
        env.pop(name, None)
    env.update(DATABASE_URL=dsn, GH_SERVICE_SECRET=SERVICE_KEY, GH_LOG_LEVEL="warning", **extra)
    return env


def _final_mode(dsn: str, job_id: str) -> str:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT final_mode FROM gh_automation_jobs WHERE id = %s", (job_id,)
        ).fetchone()
    return str(row[0]) if row and row[0] else ""


def _uses_replay(mode: str) -> bool:
    return "manual" in mode or "replay" in mode


async def _oracle_times(
    served: ServedReplicas, names: list[str], rounds: int
) -> dict[str, list[float]]:
    from playwright.async_api import async_playwright

    times: dict[str, list[float]] = {n: [] for n in names}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for n in range(rounds + 1):  # the first round warms the browser up
                for name in names:
                    context = await browser.new_context()
                    page = await context.new_page()
                    started = time.perf_counter()
                    await ORACLES[name](page, served, None)
                    elapsed = time.perf_counter() - started
                    await context.close()
                    if n:
                        times[name].append(elapsed)
        finally:
            await browser.close()
    return times


def run(names: list[str], rounds: int) -> tuple[list[Row], bool]:
    from bench.__main__ import Cluster, processes, scalar, wait_for

    cluster = Cluster()
    rows = {name: Row(name, ALL[name].ats) for name in names}
    try:
        dsn = cluster.database()
        port = _free_port()
        key = secrets.token_hex(32)
        with serve_replicas() as served, ScriptedModel() as model:
            api_env = _env(
                dsn,
                GH_API_PORT=str(port),
                GH_ALLOW_PRIVATE_NETWORKS="true",
                GH_ENCRYPTION_KEY=key,
            )
            worker_env = _env(
                dsn,
                GH_WORKER_PORT="0",
                GH_POLL_SECONDS="0.2",
                MAX_CONCURRENT_JOBS="1",
                GH_BROWSER_HEADLESS="true",
                GH_BROWSER_TIMEOUT_SECONDS="15",
                GH_ALLOW_PRIVATE_NETWORKS="false",
                GH_BROWSER_ALLOWED_HOSTS=served.host_ports,
                GH_ENCRYPTION_KEY=key,
                OPENAI_BASE_URL=model.url,
                OPENAI_API_KEY="sk-scripted-model",
                GH_DEFAULT_MODEL=MODEL,
                GH_LLM_MAX_RETRIES="0",
            )
            commands = [
                ([sys.executable, "-m", "ghosthands", "serve"], api_env),
                ([sys.executable, "-m", "ghosthands", "work"], worker_env),
            ]
            with processes(commands):
                base = f"http://127.0.0.1:{port}"
                wait_for(lambda: _up(f"{base}/health"), 60, "ghosthands serve")
                wait_for(
                    lambda: scalar(dsn, "SELECT count(*) FROM gh_worker_registry") == 1,
                    60,
                    "worker registered",
                )
                with httpx.Client(
                    base_url=base, headers={"X-GH-Service-Key": SERVICE_KEY}, timeout=15
                ) as api:
                    # Warm-up: the worker's first job starts its browser (on a tuned
                    # replica, so a held-out page is first seen in the measured round).
                    warm = names[0] if names[0] in REPLICAS else next(iter(REPLICAS))
                    run_application(api, served, REPLICAS[warm], model)
                    # A new applicant for every application: nothing learned is replayed.
                    applicants: dict[str, str] = {}
                    for _ in range(rounds):
                        for name in names:
                            applicants[name] = str(uuid.uuid4())
                            body = apply_body(served, ALL[name], user_id=applicants[name])
                            outcome = run_application(api, served, ALL[name], model, body=body)
                            rows[name].outcomes.append(outcome)
                            print(describe(outcome), file=sys.stderr, flush=True)
                    # The last applicant applies to the same posting again: what their
                    # first application learned is replayed.
                    for name in names:
                        body = apply_body(served, ALL[name], user_id=applicants[name])
                        outcome = run_application(api, served, ALL[name], model, body=body)
                        rows[name].replayed.append(outcome)
                        rows[name].replay_modes.append(_final_mode(dsn, outcome.job_id))
            for name, times in asyncio.run(_oracle_times(served, names, rounds)).items():
                rows[name].oracle_seconds = times
    finally:
        cluster.stop()
    replay = any(_uses_replay(m) for r in rows.values() for m in r.replay_modes)
    return list(rows.values()), replay


def _free_port() -> int:
    from ghosthands.db.embedded import free_port

    return int(free_port())


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _columns(outcomes: list[Outcome]) -> list[str]:
    ok = sum(1 for o in outcomes if o.succeeded)
    right = [o.score.right for o in outcomes if o.score]
    required = outcomes[0].score.required if outcomes and outcomes[0].score else 0
    seconds = statistics.median(o.seconds for o in outcomes) if outcomes else 0.0
    calls = statistics.median(len(o.billed_calls) for o in outcomes) if outcomes else 0
    agent = sum(1 for o in outcomes for c in o.model_calls if c.status != 200)
    cost = statistics.median(float(o.cost_cents) for o in outcomes) if outcomes else 0.0
    return [
        f"{ok}/{len(outcomes)}",
        f"{min(right) if right else 0}/{required}",
        f"{seconds:.1f} s",
        f"{calls:g}" + (f" (+{agent} agent)" if agent else ""),
        f"{cost:.4f}¢",
    ]


def _ending(outcome: Outcome) -> str:
    error = (outcome.final.get("error") or {}).get("code")
    if outcome.succeeded:
        return "completed, all fields right"
    if outcome.status == "completed":
        return "completed, fields wrong"
    paused = f" after pause ({', '.join(outcome.paused_for)})" if outcome.paused_for else ""
    return f"{outcome.status}{': ' + error if error else ''}{paused}"


def render(rows: list[Row], replay: bool, rounds: int) -> str:
    head = [
        "Replica",
        "ATS",
        "Success",
        "Fields right",
        "Wall time",
        "Oracle",
        "Model calls",
        "Cost / application",
        "Ended",
    ]
    if replay:
        head[8:8] = [
            "Success (replay)",
            "Fields right (replay)",
            "Wall time (replay)",
            "Model calls (replay)",
            "Cost (replay)",
        ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cols = _columns(row.outcomes)
        oracle = f"{statistics.median(row.oracle_seconds):.1f} s" if row.oracle_seconds else "-"
        cells = [
            row.name,
            row.ats,
            cols[0],
            cols[1],
            cols[2],
            oracle,
            cols[3],
            cols[4],
            _ending(row.outcomes[-1]) if row.outcomes else "-",
        ]
        if replay:
            cells[8:8] = _columns(row.replayed)
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        "",
        f"{rounds} round(s); wall time and cost are medians; model `{MODEL}` (scripted).",
    ]
    if not replay:
        modes = sorted({m or "(none)" for r in rows for m in r.replay_modes})
        notes.append(
            "Learned replay: none for `apply` jobs yet. Every replica was applied to a second "
            f"time and no job ran from a recorded manual (final_mode: {', '.join(modes)}), so "
            "only the first set of columns is reported."
        )
    return "\n".join(lines + notes)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", nargs="*", choices=sorted(ALL), default=None)
    parser.add_argument(
        "--held-out", action="store_true", help="run only the held-out replicas (HELD_OUT)"
    )
    args = parser.parse_args(argv)
    names = [r.name for r in HELD_OUT] if args.held_out else args.only or list(REPLICAS)
    rows, replay = run(names, args.rounds)
    print(render(rows, replay, args.rounds))


if __name__ == "__main__":
    main()
