"""The ``compose`` runtime: images from a registry, the roles as compose services.

The host directory holds ``compose.yaml`` (this repository's) and ``.env``. A release
is an image tag: ``$ECR_REGISTRY/$ECR_REPOSITORY:$TAG`` (or ``$GH_IMAGE_REPOSITORY``),
handed to compose as ``GH_IMAGE``. The engine is docker or podman, chosen by
``GH_CONTAINER_ENGINE`` or found (docker first). Logging in to ECR pipes ``aws ecr
get-login-password`` into ``<engine> login`` without the password touching a log.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

from ghosthands.deploy.config import DeployConfig
from ghosthands.deploy.runtime import ROLES, RoleStatus, RuntimeFailure, run_command
from ghosthands.deploy.state import load_state
from ghosthands.logs import get_logger

log = get_logger(__name__)

PROJECT = "ghosthands"
_ECR = re.compile(r"^\d+\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
#: Compose's stop timeout for the worker: its 30 s drain plus the supervisor's margin.
WORKER_STOP_SECONDS = 40
API_STOP_SECONDS = 10


def _works(argv: list[str]) -> bool:
    if shutil.which(argv[0]) is None:
        return False
    try:
        return subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_compose(engine: str | None) -> tuple[str, list[str]]:
    """The engine and the compose command to drive it."""
    candidates = {
        "docker": [["docker", "compose"]],
        "podman": [["podman", "compose"], ["podman-compose"]],
    }
    for name in [engine] if engine else ["docker", "podman"]:
        for command in candidates[name]:
            if _works([*command, "version"]):
                return name, command
    wanted = engine or "docker or podman"
    raise RuntimeFailure(f"no working compose found for {wanted} (docker compose, podman-compose)")


class ComposeRuntime:
    name = "compose"

    def __init__(self, config: DeployConfig) -> None:
        self.config = config
        self._found: tuple[str, list[str]] | None = None

    @property
    def engine(self) -> str:
        return self._compose_command()[0]

    def _compose_command(self) -> tuple[str, list[str]]:
        if self._found is None:
            self._found = find_compose(self.config.engine)
        return self._found

    def artefact(self, tag: str) -> str:
        return f"{self.config.image_repository}:{tag}"

    def _env(self, tag: str | None) -> dict[str, str]:
        """compose.yaml names its image ``${ECR_REGISTRY}/${ECR_REPOSITORY}:${GH_IMAGE_TAG}``."""
        env = dict(os.environ)
        registry, _, repository = self.config.image_repository.rpartition("/")
        env["ECR_REGISTRY"], env["ECR_REPOSITORY"] = registry, repository
        if tag is not None:
            env["GH_IMAGE_TAG"] = tag
        return env

    def _compose(self, *args: str, tag: str | None = None, timeout: float = 600) -> str:
        _, command = self._compose_command()
        assert self.config.compose_file is not None
        argv = [*command, "-p", PROJECT, "-f", str(self.config.compose_file), *args]
        return run_command(argv, env=self._env(tag), timeout=timeout, what=f"compose {args[0]}")

    # -- releases ------------------------------------------------------------------------

    def login(self) -> None:
        registry = self.config.image_repository.split("/", 1)[0]
        match = _ECR.match(registry)
        if match is None:
            return
        region = self.config.ecr_region or match.group(1)
        password = run_command(
            ["aws", "ecr", "get-login-password", "--region", region],
            what="aws ecr get-login-password",
            timeout=60,
        ).strip()
        run_command(
            [self.engine, "login", "--username", "AWS", "--password-stdin", registry],
            input=password.encode(),
            what=f"{self.engine} login {registry}",
            timeout=60,
        )

    def pull(self, tag: str) -> str:
        if self.config.pull_policy == "missing" and self.available(tag):
            log.info("deploy_image_present", image=self.artefact(tag))
            return tag
        self.login()
        run_command([self.engine, "pull", self.artefact(tag)], what=f"pull {self.artefact(tag)}")
        return tag

    def available(self, tag: str) -> bool:
        result = subprocess.run(
            [self.engine, "image", "inspect", self.artefact(tag)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        return result.returncode == 0

    def _containers(self, role: str, running_only: bool) -> list[dict[str, object]]:
        argv = [
            self.engine,
            "ps",
            "--filter",
            f"label=com.docker.compose.project={PROJECT}",
            "--filter",
            f"label=com.docker.compose.service={role}",
            "--format",
            "json",
        ]
        if not running_only:
            argv.insert(2, "-a")
        out = run_command(argv, what=f"{self.engine} ps", timeout=60).strip()
        if not out:
            return []
        if out.startswith("["):  # podman: one JSON array
            return list(json.loads(out))
        return [json.loads(line) for line in out.splitlines() if line.strip()]  # docker

    def running_release(self) -> str | None:
        state = load_state(self.config.state_file)
        if state.current:
            return state.current
        for container in self._containers("api", running_only=True):
            image = str(container.get("Image", ""))
            if image.startswith(self.config.image_repository + ":"):
                return image.rsplit(":", 1)[1]
        return None

    def expected_version(self, tag: str) -> str | None:
        return None  # an image tag is a commit, not the package version

    # -- switching -----------------------------------------------------------------------

    def _remove(self, role: str) -> None:
        """Remove the role's containers, stopped or crash-looping, before recreating them.

        compose's own recreate can lose a race with a restart policy (a container of a
        broken release restarting in a loop), leaving the old container in place.
        """
        ids = [str(c.get("Id") or c.get("ID")) for c in self._containers(role, running_only=False)]
        if ids:
            run_command([self.engine, "rm", "-f", *ids], what=f"remove the {role} containers")

    def migrate(self, tag: str) -> None:
        # The one-shot service of compose.yaml, on the new image, before anything stops.
        self._compose("run", "--rm", "--no-deps", "migrate", tag=tag, timeout=300)

    def switch(self, tag: str) -> None:
        # The worker first: it drains (stop timeout covers 30 s of jobs), then the API.
        self._compose("stop", "-t", str(WORKER_STOP_SECONDS), "worker", tag=tag)
        self._compose("stop", "-t", str(API_STOP_SECONDS), "api", tag=tag)
        for role in ROLES:
            self._remove(role)
        self._compose("up", "-d", "--no-deps", "api", tag=tag)
        self._compose("up", "-d", "--no-deps", "worker", tag=tag)

    def stop_worker(self) -> None:
        self._compose("stop", "-t", str(WORKER_STOP_SECONDS), "worker", tag=self.running_release())

    def start_worker(self) -> None:
        self._compose("start", "worker", tag=self.running_release())

    def dead_role(self) -> str | None:
        for role in ROLES:
            if not self._containers(role, running_only=True):
                return f"the {role} container is not running ({self.engine} ps)"
        return None

    def roles(self) -> list[RoleStatus]:
        found = []
        for role in ROLES:
            containers = self._containers(role, running_only=False)
            if not containers:
                found.append(RoleStatus(role=role, running=False, detail="no container"))
                continue
            c = containers[0]
            state = str(c.get("State", ""))
            image = str(c.get("Image", ""))
            found.append(
                RoleStatus(
                    role=role,
                    running=state.lower().startswith("running") or state == "running",
                    release=image.rsplit(":", 1)[1] if ":" in image else image,
                    pid=int(str(c["Pid"])) if str(c.get("Pid", "")).isdigit() else None,
                    detail=f"{c.get('Names') or c.get('Name')}: {c.get('Status') or state}",
                )
            )
        return found

    def prune(self, keep: int, protect: set[str]) -> list[str]:
        """Images are left to ``<engine> image prune``; nothing is removed here."""
        return []
