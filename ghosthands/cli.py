"""The ``ghosthands`` command. Thin: parse settings, wire a role, hand it to the supervisor."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click
import httpx

from ghosthands import __version__
from ghosthands.config import EX_CONFIG, ConfigError, Settings, load_settings
from ghosthands.logs import configure_logging

env_file_option = click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Read settings from this KEY=VALUE file (the environment wins over it).",
)


def _config_failure(exc: ConfigError) -> NoReturn:
    click.echo(str(exc), err=True)
    sys.exit(EX_CONFIG)


def _settings(env_file: Path | None, role: str) -> Settings:
    try:
        settings = load_settings(env_file=env_file)
    except ConfigError as exc:
        _config_failure(exc)
    configure_logging(role, settings.log_level, settings.secret_values())
    return settings


def _run_role(build: Callable[[Settings], Any], settings: Settings) -> NoReturn:
    from ghosthands import supervisor

    try:
        role = build(settings)
    except ConfigError as exc:
        _config_failure(exc)
    sys.exit(supervisor.run(role))


@click.group()
@click.version_option(__version__, prog_name="ghosthands")
def main() -> None:
    """GhostHands: browser automation jobs for VALET."""


@main.command()
@env_file_option
def serve(env_file: Path | None) -> None:
    """Run the HTTP API (Hypercorn, GH_API_PORT). SIGTERM drains within 5 s."""
    from ghosthands.api.server import ApiRole

    _run_role(ApiRole, _settings(env_file, "api"))


@main.command()
@env_file_option
def work(env_file: Path | None) -> None:
    """Run the worker: claim and run jobs. SIGTERM drains within 30 s."""
    from ghosthands.worker.role import WorkerRole

    _run_role(WorkerRole, _settings(env_file, "worker"))


@main.command()
@env_file_option
def dev(env_file: Path | None) -> None:
    """API and worker under one supervisor; an embedded PostgreSQL when DATABASE_URL is unset."""
    from ghosthands.db.embedded import PostgresNotFound
    from ghosthands.devstack import DevStack

    _settings(env_file, "dev")
    try:
        sys.exit(DevStack().run())
    except PostgresNotFound as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EX_CONFIG)


@main.command()
@env_file_option
def migrate(env_file: Path | None) -> None:
    """Apply the database schema (idempotent; safe from many hosts at once)."""
    from ghosthands.db import migrate as migrations

    settings = _settings(env_file, "migrate")
    try:
        settings.require("database_url")
    except ConfigError as exc:
        _config_failure(exc)
    assert settings.database_url is not None
    try:
        applied = migrations.migrate(settings.database_url)
    except migrations.MigrationError as exc:
        click.echo(f"migrate: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # connection refused, auth failure, SQL error
        click.echo(f"migrate: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)
    if applied:
        click.echo(f"migrate: applied {', '.join(f'{v:04d}' for v in applied)}")
    else:
        click.echo("migrate: schema is up to date")


@main.command()
@click.option(
    "--url", default=None, help="Health URL (default: http://127.0.0.1:$GH_API_PORT/health)."
)
@click.option("--timeout", default=3.0, show_default=True, help="Seconds to wait for an answer.")
@click.option("--deep", is_flag=True, help="Ask /monitoring/health (database, workers) instead.")
def health(url: str | None, timeout: float, deep: bool) -> None:
    """Exit 0 when the API answers 200, 1 otherwise (a container HEALTHCHECK)."""
    if url is None:
        try:
            port = load_settings().api_port
        except ConfigError:
            port = 3100
        url = f"http://127.0.0.1:{port}" + ("/monitoring/health" if deep else "/health")
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        click.echo(f"unhealthy: {url}: {type(exc).__name__}: {exc or 'no answer'}")
        sys.exit(1)
    if response.status_code != 200:
        click.echo(f"unhealthy: {url} answered {response.status_code}")
        sys.exit(1)
    click.echo(f"healthy: {url} answered 200")


from ghosthands.demo import demo  # noqa: E402
from ghosthands.deploy.cli import register as _register_deploy_commands  # noqa: E402
from ghosthands.jobs_cli import jobs  # noqa: E402  (command groups live in their own modules)
from ghosthands.keys_cli import keys  # noqa: E402

main.add_command(jobs)
main.add_command(keys)
_register_deploy_commands(main)
main.add_command(demo)
