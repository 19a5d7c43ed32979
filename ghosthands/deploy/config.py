"""The deploy tool's settings: where the host keeps its releases and how to reach them.

These configure ``ghosthands deploy`` on a host, not the service itself, so they live
here rather than in :mod:`ghosthands.config`. They are read from the environment first
and then from the host's service env file (``$GHOSTHANDS_DIR/.env``), the file the
roles themselves read; the roles' own ports come from there through
:func:`ghosthands.config.load_settings`, so the deploy tool probes the ports the
service really uses.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from ghosthands.config import ConfigError, Settings, load_settings, read_env_file

RUNTIMES = ("compose", "systemd", "local")
ENGINES = ("docker", "podman")
DEFAULT_DIR = Path("/opt/ghosthands")


@dataclasses.dataclass(frozen=True)
class DeployConfig:
    """Everything one host's deploy needs. Build with :func:`load_deploy_config`."""

    root: Path
    runtime: str
    env_file: Path
    api_port: int
    worker_port: int
    health_url: str
    health_timeout: float = 60.0
    drain_timeout: float = 35.0
    settle_seconds: float = 2.0
    lock_max_age: float = 3600.0
    # compose
    image_repository: str = "ghosthands"
    engine: str | None = None
    compose_file: Path | None = None
    ecr_region: str | None = None
    pull_policy: str = "always"
    # systemd / local releases
    wheelhouse: Path | None = None
    index_url: str | None = None
    python: str = sys.executable
    keep_releases: int = 5
    api_unit: str = "ghosthands-api.service"
    worker_unit: str = "ghosthands-worker.service"

    @property
    def audit_log(self) -> Path:
        return self.root / "deploy-audit.jsonl"

    @property
    def lock_file(self) -> Path:
        return self.root / "deploy.lock"

    @property
    def state_file(self) -> Path:
        return self.root / "deploy-state.json"

    @property
    def worker_status_url(self) -> str:
        return f"http://127.0.0.1:{self.worker_port}"


def _float(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number between {lo} and {hi}") from None
    if not lo <= value <= hi:
        raise ConfigError(name, f"must be between {lo} and {hi}")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    raw = env.get(name, "").strip().lower()
    if not raw or raw == "auto":
        return None
    if raw not in choices:
        raise ConfigError(name, f"must be one of {', '.join(choices)} or auto")
    return raw


def detect_runtime(root: Path) -> str:
    """compose when the host has a compose file, systemd when systemd runs, else local."""
    if (root / "compose.yaml").exists():
        return "compose"
    if Path("/run/systemd/system").is_dir() and shutil.which("systemctl"):
        return "systemd"
    return "local"


def load_deploy_config(
    environ: Mapping[str, str] | None = None, root: Path | None = None
) -> DeployConfig:
    """Read the deploy settings for the host directory ``root`` (``$GHOSTHANDS_DIR``)."""
    env = dict(os.environ if environ is None else environ)
    root = (root or Path(env.get("GHOSTHANDS_DIR") or DEFAULT_DIR)).absolute()
    env_file = Path(env.get("GH_ENV_FILE") or root / ".env")
    merged = dict(env)
    if env_file.exists():
        for key, value in read_env_file(env_file).items():
            merged.setdefault(key, value)
    service: Settings = load_settings(merged)

    runtime = _choice(merged, "GH_DEPLOY_RUNTIME", RUNTIMES) or detect_runtime(root)
    registry = merged.get("ECR_REGISTRY", "").strip().rstrip("/")
    repository = merged.get("ECR_REPOSITORY", "").strip() or "ghosthands"
    image_repository = merged.get("GH_IMAGE_REPOSITORY", "").strip() or (
        f"{registry}/{repository}" if registry else f"localhost/{repository}"
    )
    if "/" not in image_repository:
        raise ConfigError("GH_IMAGE_REPOSITORY", "must name a registry, e.g. localhost/ghosthands")
    wheelhouse = merged.get("GH_DEPLOY_WHEELHOUSE", "").strip()
    keep = int(_float(merged, "GH_DEPLOY_KEEP_RELEASES", 5, 2, 100))
    return DeployConfig(
        root=root,
        runtime=runtime,
        env_file=env_file,
        api_port=service.api_port,
        worker_port=service.worker_port,
        health_url=merged.get("GH_DEPLOY_HEALTH_URL", "").strip()
        or f"http://127.0.0.1:{service.api_port}/health",
        health_timeout=_float(merged, "GH_DEPLOY_HEALTH_TIMEOUT", 60.0, 1, 3600),
        drain_timeout=_float(merged, "GH_DEPLOY_DRAIN_TIMEOUT", 35.0, 0, 3600),
        settle_seconds=_float(merged, "GH_DEPLOY_SETTLE_SECONDS", 2.0, 0, 600),
        lock_max_age=_float(merged, "GH_DEPLOY_LOCK_MAX_AGE", 3600.0, 10, 7 * 86400),
        image_repository=image_repository,
        engine=_choice(merged, "GH_CONTAINER_ENGINE", ENGINES),
        compose_file=Path(merged.get("GH_COMPOSE_FILE") or root / "compose.yaml"),
        ecr_region=merged.get("AWS_REGION", "").strip() or None,
        pull_policy=_choice(merged, "GH_DEPLOY_PULL", ("always", "missing")) or "always",
        wheelhouse=Path(wheelhouse).absolute() if wheelhouse else None,
        index_url=merged.get("GH_DEPLOY_INDEX_URL", "").strip() or None,
        python=merged.get("GH_DEPLOY_PYTHON", "").strip() or _base_python(),
        keep_releases=keep,
        api_unit=merged.get("GH_DEPLOY_API_UNIT", "").strip() or "ghosthands-api.service",
        worker_unit=merged.get("GH_DEPLOY_WORKER_UNIT", "").strip() or "ghosthands-worker.service",
    )


def _base_python() -> str:
    """The interpreter new release venvs are made from: this one's base installation."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return str(base)
