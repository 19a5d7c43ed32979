"""``ghosthands deploy release|rollback|drain|resume|status|health`` for one host."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

from ghosthands.config import EX_CONFIG, ConfigError
from ghosthands.deploy.config import RUNTIMES, DeployConfig, load_deploy_config
from ghosthands.deploy.fleet import (
    FleetHost,
    HostResult,
    HostsFileError,
    RolloutResult,
    load_hosts,
    rollout,
)
from ghosthands.deploy.flow import EXIT_LOCKED, FAILED, Deployer, Outcome
from ghosthands.deploy.lock import LockHeld
from ghosthands.logs import configure_logging, get_logger

log = get_logger(__name__)


def _logs_to_stderr(role: str, level: str) -> None:
    """JSON logs on stderr: stdout carries only the lines VALET and CI parse."""
    configure_logging(role, level)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)


def _deployer(root: Path | None, runtime: str | None, verbose: bool) -> Deployer:
    _logs_to_stderr("deploy", "info" if verbose else "warning")
    env = dict(os.environ)
    if runtime:
        env["GH_DEPLOY_RUNTIME"] = runtime
    try:
        config: DeployConfig = load_deploy_config(env, root=root)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EX_CONFIG)
    from ghosthands.deploy.runtimes import make_runtime

    return Deployer(config, make_runtime(config), say=lambda line: click.echo(line, err=True))


def _finish(outcome: Outcome) -> NoReturn:
    for line in outcome.lines():
        click.echo(line)
    if outcome.message:
        click.echo(f"deploy: {outcome.message}", err=True)
    sys.exit(outcome.exit_code)


def _act(action: Callable[[], Outcome], tag: str | None) -> NoReturn:
    """Run a deploy action and report it; even a bug ends with DEPLOY_STATUS=failed."""
    try:
        outcome = action()
    except LockHeld as exc:
        _refused(exc, tag)
    except Exception as exc:
        log.exception("deploy_crashed", tag=tag)
        outcome = Outcome(FAILED, tag, None, None, f"crashed: {type(exc).__name__}: {exc}")
    _finish(outcome)


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
    _act(lambda: deployer.release(tag), tag)


@deploy.command()
@click.option("--to", "to", default=None, help="Release to return to (default: the previous).")
@dir_option
@runtime_option
@verbose_option
def rollback(to: str | None, root: Path | None, runtime: str | None, verbose: bool) -> None:
    """Return to the previous release, health-gated like a release."""
    deployer = _deployer(root, runtime, verbose)
    _act(lambda: deployer.rollback(to), to)


@deploy.command()
@dir_option
@runtime_option
@verbose_option
def drain(root: Path | None, runtime: str | None, verbose: bool) -> None:
    """Stop the worker for maintenance once its jobs are done; `resume` starts it."""
    deployer = _deployer(root, runtime, verbose)
    _act(deployer.drain, None)


@deploy.command()
@dir_option
@runtime_option
@verbose_option
def resume(root: Path | None, runtime: str | None, verbose: bool) -> None:
    """Start the worker of the current release again after `drain`."""
    deployer = _deployer(root, runtime, verbose)
    _act(deployer.resume, None)


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


@click.command("notify-deploy")
@click.option("--image-tag", required=True, help="The tag CI pushed (usually the commit SHA).")
@click.option("--image-repository", default=None, help="Default: $ECR_REGISTRY/$ECR_REPOSITORY.")
@click.option("--commit-sha", default=None, help="Default: $GITHUB_SHA.")
@click.option("--commit-message", default=None, help="Default: the last commit's subject.")
@click.option("--branch", default=None, help="Default: $GITHUB_REF_NAME.")
@click.option("--repository", default=None, help="Default: $GITHUB_REPOSITORY.")
@click.option("--run-id", default=None, help="Default: $GITHUB_RUN_ID.")
@click.option("--run-url", default=None, help="Default: built from $GITHUB_SERVER_URL.")
@click.option("--url", default=None, help="Default: $VALET_DEPLOY_WEBHOOK_URL.")
@click.option("--attempts", default=5, show_default=True, type=click.IntRange(1, 20))
@click.option("--backoff", default=2.0, show_default=True, help="First retry delay (s), doubled.")
def notify_deploy(
    image_tag: str,
    image_repository: str | None,
    commit_sha: str | None,
    commit_message: str | None,
    branch: str | None,
    repository: str | None,
    run_id: str | None,
    run_url: str | None,
    url: str | None,
    attempts: int,
    backoff: float,
) -> None:
    """Send VALET the signed deploy_ready webhook; exit 0 only when it was accepted.

    The secret is $VALET_DEPLOY_WEBHOOK_SECRET (never an option, so it stays out of
    process listings and CI logs).
    """
    from ghosthands.config import load_settings
    from ghosthands.deploy.notify import build_payload, deliver

    _logs_to_stderr("notify-deploy", "warning")
    try:
        settings = load_settings()
        if url is None:
            settings.require("deploy_webhook_url")
        settings.require("deploy_webhook_secret")
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EX_CONFIG)
    target = url or settings.deploy_webhook_url
    assert target is not None and settings.deploy_webhook_secret is not None
    payload = build_payload(
        image_tag,
        os.environ,
        image_repository=image_repository,
        commit_sha=commit_sha,
        commit_message=commit_message,
        branch=branch,
        repository=repository,
        run_id=run_id,
        run_url=run_url,
    )
    result = deliver(
        target, settings.deploy_webhook_secret, payload, attempts=attempts, backoff=backoff
    )
    click.echo(f"NOTIFY_STATUS={'accepted' if result.accepted else 'rejected'}")
    click.echo(f"NOTIFY_IMAGE={payload.image}")
    click.echo(f"notify-deploy: {result.detail} after {result.attempts} attempt(s)", err=True)
    sys.exit(0 if result.accepted else 1)


@click.group()
def fleet() -> None:
    """Roll a release across hosts, or receive deploy_ready webhooks and do so."""


hosts_option = click.option(
    "--hosts",
    "hosts_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file listing the hosts ([[host]] name, ssh, dir, health_url, env).",
)
parallel_option = click.option(
    "--parallel", default=1, show_default=True, type=click.IntRange(1, 100), help="Hosts at once."
)
continue_option = click.option(
    "--continue-on-rollback",
    is_flag=True,
    help="Go on past a host that failed its gate but rolled back cleanly.",
)


def _hosts(path: Path) -> list[FleetHost]:
    try:
        return load_hosts(path)
    except HostsFileError as exc:
        click.echo(f"fleet: {exc}", err=True)
        sys.exit(EX_CONFIG)


@fleet.command("rollout")
@click.argument("tag")
@hosts_option
@parallel_option
@continue_option
def fleet_rollout(tag: str, hosts_file: Path, parallel: int, continue_on_rollback: bool) -> None:
    """Deploy TAG to every host, health-gated, halting on a host that fails."""
    import anyio

    _logs_to_stderr("fleet", "warning")
    hosts = _hosts(hosts_file)

    def progress(result: HostResult) -> None:
        click.echo(f"fleet: {result.name}: {result.status} in {result.seconds:.1f} s", err=True)

    result = anyio.run(
        lambda: rollout(
            tag,
            hosts,
            parallel=parallel,
            continue_on_rollback=continue_on_rollback,
            on_host=progress,
        )
    )
    for line in result.lines():
        click.echo(line)
    click.echo(_summary(result), err=True)
    sys.exit(result.exit_code)


def _summary(result: RolloutResult) -> str:
    rows = [f"{'host':<20} {'status':<12} {'tag':<14} {'previous':<14} seconds"]
    for h in result.hosts:
        rows.append(
            f"{h.name:<20} {h.status:<12} {h.tag or '-':<14} {h.previous_tag or '-':<14} "
            f"{h.seconds:.1f}"
        )
        if h.status not in ("success", "skipped") and h.detail:
            rows.extend(f"    {line}" for line in h.detail.splitlines()[-3:])
    rows.append(f"rollout of {result.tag}: {result.status}")
    return "\n".join(rows)


@fleet.command("serve")
@hosts_option
@parallel_option
@continue_option
@click.option("--listen", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=3200, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where seen delivery ids are kept across restarts (default: in memory only).",
)
@click.option("--drain-seconds", default=600.0, show_default=True, help="Shutdown wait for hosts.")
def fleet_serve(
    hosts_file: Path,
    parallel: int,
    continue_on_rollback: bool,
    listen: str,
    port: int,
    state_dir: Path | None,
    drain_seconds: float,
) -> None:
    """Receive signed deploy_ready webhooks ($VALET_DEPLOY_WEBHOOK_SECRET) and roll out."""
    from ghosthands import supervisor
    from ghosthands.config import load_settings
    from ghosthands.deploy.receiver import FleetReceiver, FleetRole

    try:
        settings = load_settings()
        settings.require("deploy_webhook_secret")
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EX_CONFIG)
    configure_logging("fleet", settings.log_level, settings.secret_values())
    assert settings.deploy_webhook_secret is not None
    replay_file = None
    if state_dir is not None:
        state_dir.mkdir(parents=True, exist_ok=True)
        replay_file = state_dir / "seen-webhooks.jsonl"
    receiver = FleetReceiver(
        settings.deploy_webhook_secret,
        _hosts(hosts_file),
        parallel=parallel,
        continue_on_rollback=continue_on_rollback,
        replay_file=replay_file,
    )
    sys.exit(supervisor.run(FleetRole(receiver, listen, port, drain_seconds)))


def register(main: click.Group) -> None:
    """Add the deploy commands to the ``ghosthands`` group (one line in ``cli.py``)."""
    main.add_command(deploy)
    main.add_command(notify_deploy)
    main.add_command(fleet)
