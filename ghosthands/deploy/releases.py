"""Releases installed side by side as versioned virtualenvs, and the ``current`` pointer.

Layout under the host directory::

    releases/1.4.0/            a venv with ghosthands 1.4.0 and its dependencies
    releases/1.4.0/.release    written last: the install is complete
    current -> releases/1.4.0  what the units / processes start

A release comes from a wheelhouse directory (``GH_DEPLOY_WHEELHOUSE``, no network) or a
package index (``GH_DEPLOY_INDEX_URL``). Installing is idempotent: a complete release is
never reinstalled, an interrupted one is removed and installed again. Switching is one
atomic ``rename`` of a symlink.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sys
from pathlib import Path

import msgspec

from ghosthands.deploy.config import DeployConfig
from ghosthands.deploy.runtime import RuntimeFailure, run_command
from ghosthands.logs import get_logger

log = get_logger(__name__)

PACKAGE = "ghosthands"
MARKER = ".release"
# PEP 440 versions, as a release directory name must be one (no slashes, no dots first).
_VERSION = re.compile(r"^[0-9][0-9A-Za-z.+!_-]*$")


class ReleaseInfo(msgspec.Struct):
    version: str
    requirement: str
    source: str
    installed_at: str


class ReleaseStore:
    """The releases of one host directory."""

    def __init__(self, config: DeployConfig) -> None:
        self.config = config
        self.dir = config.root / "releases"
        self.current_link = config.root / "current"

    # -- what is there -------------------------------------------------------------------

    def path(self, version: str) -> Path:
        if not _VERSION.match(version):
            raise RuntimeFailure(f"{version!r} is not a release version")
        return self.dir / version

    def installed(self, version: str) -> bool:
        return _VERSION.match(version) is not None and (self.path(version) / MARKER).exists()

    def executable(self, version: str) -> Path:
        return self.path(version) / "bin" / "ghosthands"

    def migrate(self, version: str, env: dict[str, str] | None = None) -> None:
        """Apply ``version``'s schema with its own code and the host's settings file."""
        argv = [str(self.executable(version)), "migrate"]
        if self.config.env_file.exists():
            argv += ["--env-file", str(self.config.env_file)]
        run_command(argv, env=env, timeout=300, what=f"migrate {version}")

    def current(self) -> str | None:
        try:
            return Path(os.readlink(self.current_link)).name
        except OSError:
            return None

    def versions(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        found = [p for p in self.dir.iterdir() if (p / MARKER).exists()]
        return [p.name for p in sorted(found, key=lambda p: (p / MARKER).stat().st_mtime)]

    # -- installing ----------------------------------------------------------------------

    def requirement(self, tag: str) -> str:
        return PACKAGE if tag == "latest" else f"{PACKAGE}=={tag}"

    def _source_args(self) -> list[str]:
        if self.config.wheelhouse is not None:
            return ["--no-index", "--find-links", str(self.config.wheelhouse)]
        if self.config.index_url is not None:
            return ["--index-url", self.config.index_url]
        raise RuntimeFailure(
            "no release source: set GH_DEPLOY_WHEELHOUSE (a directory of wheels) "
            "or GH_DEPLOY_INDEX_URL (a package index)"
        )

    def _pip(self) -> list[str]:
        return [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]

    def resolve(self, tag: str) -> str:
        """The version ``tag`` names; ``latest`` is asked of the source."""
        if tag != "latest":
            self.path(tag)  # validates
            return tag
        report = run_command(
            [
                *self._pip(),
                "install",
                "--dry-run",
                "--ignore-installed",
                "--no-deps",
                "--quiet",
                "--report",
                "-",
                *self._source_args(),
                PACKAGE,
            ],
            what="resolve the latest release",
        )
        for item in json.loads(report).get("install", []):
            if item["metadata"]["name"].lower() == PACKAGE:
                return str(item["metadata"]["version"])
        raise RuntimeFailure("the release source has no ghosthands package")

    def install(self, tag: str) -> str:
        """Install release ``tag`` unless it is there; return its version."""
        version = self.resolve(tag)
        target = self.path(version)
        if self.installed(version):
            log.info("deploy_release_present", version=version, path=str(target))
            return version
        if target.exists():
            log.warning("deploy_release_incomplete_removed", path=str(target))
            shutil.rmtree(target)
        self.dir.mkdir(parents=True, exist_ok=True)
        requirement = f"{PACKAGE}=={version}"
        try:
            run_command(
                [self.config.python, "-m", "venv", "--without-pip", str(target)],
                what=f"create the venv for {version}",
                timeout=120,
            )
            run_command(
                [
                    *self._pip(),
                    "--python",
                    str(target / "bin" / "python"),
                    "install",
                    "--quiet",
                    *self._source_args(),
                    requirement,
                ],
                what=f"install {requirement}",
            )
            if not self.executable(version).exists():
                raise RuntimeFailure(f"{requirement} installed no ghosthands command")
        except RuntimeFailure:
            shutil.rmtree(target, ignore_errors=True)
            raise
        info = ReleaseInfo(
            version=version,
            requirement=requirement,
            source=str(self.config.wheelhouse or self.config.index_url),
            installed_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        (target / MARKER).write_bytes(msgspec.json.encode(info))
        log.info("deploy_release_installed", version=version, path=str(target))
        return version

    # -- switching and pruning ----------------------------------------------------------

    def activate(self, version: str) -> None:
        """Point ``current`` at ``version`` in one atomic rename."""
        if not self.installed(version):
            raise RuntimeFailure(f"release {version} is not installed under {self.dir}")
        tmp = self.current_link.with_name(f".current.{os.getpid()}")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(Path("releases") / version)
        os.replace(tmp, self.current_link)
        log.info("deploy_current_switched", version=version)

    def prune(self, keep: int, protect: set[str]) -> list[str]:
        """Remove the oldest releases beyond ``keep``, never one in ``protect``."""
        versions = self.versions()
        removed = []
        for version in versions[: max(0, len(versions) - keep)]:
            if version in protect:
                continue
            shutil.rmtree(self.path(version), ignore_errors=True)
            removed.append(version)
        if removed:
            log.info("deploy_releases_pruned", removed=removed)
        return removed
