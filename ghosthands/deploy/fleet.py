"""Rolling a release across a fleet of hosts, and the webhook receiver that starts it.

Hosts are listed in a TOML file::

    [[host]]
    name = "ec2-1"
    ssh = "ubuntu@10.0.1.17"        # omit to run the host deploy locally
    dir = "/opt/ghosthands"
    health_url = "http://10.0.1.17:3100/health"   # optional extra gate after the deploy
    env = { GH_DEPLOY_RUNTIME = "compose" }       # optional, passed to the host deploy

Each host runs ``ghosthands deploy release TAG`` (over SSH or locally), whose
``DEPLOY_STATUS=`` line is its result. Hosts go one at a time, or N at a time; the
rollout halts after a batch with any host that did not succeed (a host that rolled back
cleanly may be passed with ``continue_on_rollback``), and the hosts not reached are
reported ``skipped``.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path

import anyio
import httpx
import msgspec

from ghosthands.logs import get_logger

log = get_logger(__name__)

#: Settings a host deploy needs from the controller's environment (the seed passes these).
FORWARDED = ("ECR_REGISTRY", "ECR_REPOSITORY", "AWS_REGION", "GH_IMAGE_REPOSITORY")
HOST_TIMEOUT = 1800.0


class FleetHost(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    dir: str = "/opt/ghosthands"
    ssh: str | None = None
    health_url: str | None = None
    env: dict[str, str] = {}
    timeout: float = HOST_TIMEOUT


class _HostsFile(msgspec.Struct):
    host: list[FleetHost]


class HostsFileError(Exception):
    pass


def load_hosts(path: Path) -> list[FleetHost]:
    try:
        raw = tomllib.loads(path.read_text())
        hosts = msgspec.convert(raw, _HostsFile).host
    except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise HostsFileError(f"{path}: {exc}") from None
    names = [h.name for h in hosts]
    if not hosts or len(set(names)) != len(names):
        raise HostsFileError(f"{path}: needs at least one host, each with a unique name")
    return hosts


class HostResult(msgspec.Struct):
    name: str
    status: str  # success | rolled_back | failed | skipped
    tag: str | None = None
    previous_tag: str | None = None
    exit_code: int | None = None
    seconds: float = 0.0
    detail: str = ""


class RolloutResult(msgspec.Struct):
    tag: str
    status: str  # success | halted | degraded (finished, some hosts rolled back)
    hosts: list[HostResult]

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "success" else 1

    def lines(self) -> list[str]:
        out = [
            f"FLEET_HOST={h.name} STATUS={h.status} TAG={h.tag or ''} "
            f"PREVIOUS_TAG={h.previous_tag or ''} SECONDS={h.seconds:.1f}"
            for h in self.hosts
        ]
        return [*out, f"FLEET_TAG={self.tag}", f"FLEET_STATUS={self.status}"]


def host_command(
    host: FleetHost, tag: str, env: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that deploy ``tag`` on ``host``."""
    forwarded = {k: env[k] for k in FORWARDED if env.get(k)}
    settings = {**forwarded, **host.env, "GHOSTHANDS_DIR": host.dir}
    if host.ssh is None:
        argv = [sys.executable, "-m", "ghosthands", "deploy", "release", tag]
        return argv, {**env, **settings}
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in settings.items())
    remote = (
        f"cd {shlex.quote(host.dir)} && {assignments} ghosthands deploy release {shlex.quote(tag)}"
    )
    argv = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=15", host.ssh, remote]
    return argv, dict(env)


def _fields(stdout: str) -> dict[str, str]:
    found = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("DEPLOY_"):
            found[key] = value.strip()
    return found


async def deploy_host(host: FleetHost, tag: str, env: Mapping[str, str]) -> HostResult:
    argv, proc_env = host_command(host, tag, env)
    started = time.monotonic()
    log.info("fleet_host_started", host=host.name, tag=tag)
    try:
        with anyio.fail_after(host.timeout):
            proc = await anyio.run_process(argv, env=proc_env, check=False)
    except TimeoutError:
        return HostResult(host.name, "failed", tag, None, None, host.timeout, "timed out")
    except OSError as exc:
        return HostResult(host.name, "failed", tag, None, None, 0.0, str(exc))
    seconds = time.monotonic() - started
    fields = _fields(proc.stdout.decode(errors="replace"))
    stderr = proc.stderr.decode(errors="replace").strip().splitlines()
    status = fields.get("DEPLOY_STATUS") or "failed"
    if status not in ("success", "rolled_back", "failed"):
        status = "failed"
    detail = "\n".join(stderr[-5:])
    if status == "success" and host.health_url:
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                code = (await client.get(host.health_url)).status_code
        except httpx.HTTPError as exc:
            code, detail = None, f"{host.health_url}: {type(exc).__name__}"
        if code != 200:
            status, detail = "failed", f"deploy said success but {host.health_url} gave {code}"
    result = HostResult(
        host.name,
        status,
        fields.get("DEPLOY_TAG") or tag,
        fields.get("DEPLOY_PREVIOUS_TAG") or None,
        proc.returncode,
        seconds,
        detail,
    )
    log.info("fleet_host_finished", host=host.name, status=status, seconds=round(seconds, 1))
    return result


async def rollout(
    tag: str,
    hosts: list[FleetHost],
    *,
    parallel: int = 1,
    continue_on_rollback: bool = False,
    env: Mapping[str, str] | None = None,
    on_host: Callable[[HostResult], None] = lambda result: None,
    stop: anyio.Event | None = None,
) -> RolloutResult:
    """Deploy ``tag`` host by host (``parallel`` at a time), halting on a failure.

    Setting ``stop`` (a shutdown) halts the rollout before its next batch.
    """
    env = dict(os.environ if env is None else env)
    results: dict[str, HostResult] = {}
    passable = {"success", "rolled_back"} if continue_on_rollback else {"success"}
    halted = False
    for start in range(0, len(hosts), max(1, parallel)):
        batch = hosts[start : start + max(1, parallel)]
        if stop is not None and stop.is_set():
            halted = True
            log.warning("fleet_rollout_stopped", tag=tag, before=[h.name for h in batch])
            break

        async def one(host: FleetHost) -> None:
            result = await deploy_host(host, tag, env)
            results[host.name] = result
            on_host(result)

        async with anyio.create_task_group() as tg:
            for host in batch:
                tg.start_soon(one, host)
        if any(results[h.name].status not in passable for h in batch):
            halted = True
            log.error("fleet_rollout_halted", tag=tag, after=[h.name for h in batch])
            break
    ordered = [
        results.get(h.name) or HostResult(h.name, "skipped", detail="rollout halted before it")
        for h in hosts
    ]
    if halted:
        status = "halted"
    elif any(r.status != "success" for r in ordered):
        status = "degraded"
    else:
        status = "success"
    return RolloutResult(tag, status, ordered)
