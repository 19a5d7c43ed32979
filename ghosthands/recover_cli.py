"""``ghosthands jobs recover``: hand stuck jobs back (dry run by default).

The operator's tool for when no worker runs recovery. It runs the workers' own
statement (``JobQueue.recover_stale``: the one hand-back rule, migration 0007), so a
job with submission evidence goes to ``awaiting_review``, never ``pending``, paused
jobs are included, and a retry is counted; the dry run makes the same decisions and
rolls them back.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import click
import psycopg

from ghosthands.config import EX_CONFIG, ConfigError, load_settings

#: Who the status-change events name.
ACTOR = "manual_recovery"


@click.command()
@click.option(
    "--stale-seconds",
    default=120,
    show_default=True,
    type=click.IntRange(10, 7 * 86400),
    help="A held job whose heartbeat is older than this is stuck (GH_STALE_SECONDS).",
)
@click.option("--apply", is_flag=True, help="Change the jobs (without it: only list them).")
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Read DATABASE_URL from this KEY=VALUE file (e.g. /opt/ghosthands/.env).",
)
def recover(stale_seconds: int, apply: bool, env_file: Path | None) -> None:
    """Hand back held jobs with a stale heartbeat, by the workers' own rule."""
    from ghosthands.db.pool import Database
    from ghosthands.jobs.errors import ErrorCode
    from ghosthands.jobs.queue import JobQueue, RecoveredJob

    try:
        settings = load_settings(env_file=env_file)
        settings.require("database_url")
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EX_CONFIG)

    async def run() -> list[RecoveredJob] | None:
        db = Database(settings, pool_size=1, name="recover")
        await db.open()
        try:
            return await JobQueue(db, ACTOR).recover_stale(
                stale_seconds=stale_seconds,
                code=ErrorCode.WORKER_LOST.value,
                limit=10_000,
                dry_run=not apply,
            )
        finally:
            await db.close()

    try:
        jobs = anyio.run(run)
    except (psycopg.Error, OSError) as exc:
        click.echo(f"recover: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    if jobs is None:
        click.echo("recover: a worker is recovering jobs right now; try again in a moment")
        sys.exit(75)
    verb = "handed back" if apply else "would hand back"
    for job in jobs:
        why = " (submission evidence: a person checks it)" if job.submission_evidence else ""
        click.echo(
            f"{verb} {job.job_id} -> {job.status.value}{why}, "
            f"was on {job.lost_worker_id or 'no worker'}"
        )
    if apply:
        click.echo(f"recover: {len(jobs)} job(s) handed back")
    else:
        click.echo(
            f"recover: {len(jobs)} stuck job(s) older than {stale_seconds} s; "
            + ("run again with --apply to hand them back" if jobs else "nothing to do")
        )
