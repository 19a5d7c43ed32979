"""``ghosthands jobs recover``: hand stuck jobs back to the queue (dry run by default).

An operator's command that sits with the deploy tooling; the rule and its SQL live in
:mod:`ghosthands.jobs.recovery`, which owns them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import click
import psycopg

from ghosthands.config import EX_CONFIG, ConfigError, load_settings


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
    """Put queued/running jobs with a stale heartbeat back to pending."""
    from ghosthands.jobs import recovery

    try:
        settings = load_settings(env_file=env_file)
        settings.require("database_url")
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EX_CONFIG)
    assert settings.database_url is not None
    url = settings.database_url

    async def run() -> list[dict[str, object]]:
        async with await psycopg.AsyncConnection.connect(url, prepare_threshold=None) as conn:
            if apply:
                return await recovery.requeue_stale(conn, stale_seconds)
            return await recovery.find_stale(conn, stale_seconds)

    try:
        rows = anyio.run(run)
    except psycopg.Error as exc:
        click.echo(f"recover: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    if apply:
        for row in rows:
            click.echo(
                f"requeued {row['id']} (was {row['previous_status']} "
                f"on {row['previous_worker_id'] or 'no worker'})"
            )
        click.echo(f"recover: {len(rows)} job(s) put back to pending")
        return
    for row in rows:
        click.echo(
            f"would requeue {row['id']}: {row['status']} on {row['worker_id'] or 'no worker'}, "
            f"silent for {row['silent_seconds']} s (retry_count {row['retry_count']})"
        )
    click.echo(
        f"recover: {len(rows)} stuck job(s) older than {stale_seconds} s; "
        + ("run again with --apply to requeue them" if rows else "nothing to do")
    )
