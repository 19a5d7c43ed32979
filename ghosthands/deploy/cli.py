"""``ghosthands deploy release|rollback|drain|resume|status|health`` for one host."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import NoReturn

import click

from ghosthands.config import EX_CONFIG, ConfigError
from ghosthands.deploy.config import RUNTIMES, DeployConfig, load_deploy_config
from ghosthands.deploy.flow import EXIT_LOCKED, Deployer, Outcome
from ghosthands.deploy.lock import LockHeld
from ghosthands.logs import configure_logging


def _deployer(root: Path | None, runtime: str | None, verbose: bool) -> Deployer:
    configure_logging("deploy", "info" if verbose else "warning")
    # Progress and logs on stderr; stdout carries only what VALET parses.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
    import os

    env = dict(os.environ)
    if runtime:
        env["GH_DEPLOY_RUNTIME"] = runtime
    try:
        config: DeployConfig = load_deploy_config(env, root=root)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EX_CONFIG)
    from ghosthands.deploy.runtime import make_runtime

    return Deployer(config, make_runtime(config), say=lambda line: click.echo(line, err=True))


def _finish(outcome: Outcome) -> NoReturn:
    for line in outcome.lines():
        click.echo(line)
    if outcome.message:
        click.echo(f"deploy: {outcome.message}", err=True)
    sys.exit(outcome.exit_code)


def _refused(exc: LockHeld, tag: str | None) -> NoReturn:
    click.echo(f"deploy: {exc}", err=True)
    click.echo("DEPLOY_STATUS=failed")
    click.echo(f"DEPLOY_TAG={tag or ''}")
    click.echo(f"DEPLOY_LOCKED_BY={exc.holder.describe() if exc.holder else 'unknown'}")
    sys.exit(EXIT_LOCKED)


dir_option = click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Host directory (default: $GHOSTHANDS_DIR or /opt/ghosthands).",
)
runtime_option = click.option(
    "--runtime",
    type=click.Choice(RUNTIMES),
    default=None,
    help="compose, systemd or local (default: $GH_DEPLOY_RUNTIME, else detected).",
)
verbose_option = click.option("-v", "--verbose", is_flag=True, help="JSON logs on stderr.")


@click.group()
def deploy() -> None:
    """Deploy GhostHands on this host: release, rollback, drain, status, health."""


@deploy.command()
@click.argument("tag", default="latest")
@dir_option
@runtime_option
@verbose_option
def release(tag: str, root: Path | None, runtime: str | None, verbose: bool) -> None:
    """Pull TAG, drain the worker, restart, health-gate; roll back if the gate fails."""
    deployer = _deployer(root, runtime, verbose)
    try:
        _finish(deployer.release(tag))
    except LockHeld as exc:
        _refused(exc, tag)


@deploy.command()
@click.option("--to", "to", default=None, help="Release to return to (default: the previous).")
@dir_option
@runtime_option
@verbose_option
def rollback(to: str | None, root: Path | None, runtime: str | None, verbose: bool) -> None:
    """Return to the previous release, health-gated like a release."""
    deployer = _deployer(root, runtime, verbose)
    try:
        _finish(deployer.rollback(to))
    except LockHeld as exc:
        _refused(exc, to)


@deploy.command()
@dir_option
@runtime_option
@verbose_option
def drain(root: Path | None, runtime: str | None, verbose: bool) -> None:
    """Stop the worker for maintenance once its jobs are done; `resume` starts it."""
    deployer = _deployer(root, runtime, verbose)
    try:
        _finish(deployer.drain())
    except LockHeld as exc:
        _refused(exc, None)


@deploy.command()
@dir_option
@runtime_option
@verbose_option
def resume(root: Path | None, runtime: str | None, verbose: bool) -> None:
    """Start the worker of the current release again after `drain`."""
    deployer = _deployer(root, runtime, verbose)
    try:
        _finish(deployer.resume())
    except LockHeld as exc:
        _refused(exc, None)


@deploy.command()
@dir_option
@runtime_option
def status(root: Path | None, runtime: str | None) -> None:
    """The running release, the previous one, health, processes, the lock."""
    for line in _deployer(root, runtime, False).status():
        click.echo(line)


@deploy.command()
@dir_option
@runtime_option
def health(root: Path | None, runtime: str | None) -> None:
    """Exit 0 when the API answers /health 200 and the worker runs, 1 otherwise."""
    ok, message = _deployer(root, runtime, False).health()
    click.echo(message)
    sys.exit(0 if ok else 1)
