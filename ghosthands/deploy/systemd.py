"""The ``systemd`` runtime: versioned venvs, the ``current`` pointer, units restarted.

The units in ``systemd/`` start ``$GHOSTHANDS_DIR/current/bin/ghosthands``; switching a
release moves the pointer and restarts them. ``systemctl stop`` on the worker returns
once it has drained (``TimeoutStopSec`` covers the 30 s drain); both units are
``Type=notify``, so ``systemctl start`` returns once the role reported READY=1.
"""

from __future__ import annotations

from ghosthands.deploy.config import DeployConfig
from ghosthands.deploy.releases import ReleaseStore
from ghosthands.deploy.runtime import RoleStatus, run_command


class SystemdRuntime:
    name = "systemd"

    def __init__(self, config: DeployConfig) -> None:
        self.config = config
        self.store = ReleaseStore(config)
        self.units = {"api": config.api_unit, "worker": config.worker_unit}

    def artefact(self, tag: str) -> str:
        return self.store.requirement(tag)

    def pull(self, tag: str) -> str:
        return self.store.install(tag)

    def available(self, tag: str) -> bool:
        return self.store.installed(tag)

    def running_release(self) -> str | None:
        return self.store.current()

    def expected_version(self, tag: str) -> str | None:
        return tag

    def prune(self, keep: int, protect: set[str]) -> list[str]:
        return self.store.prune(keep, protect)

    def _systemctl(self, *args: str) -> str:
        return run_command(["systemctl", *args], what=f"systemctl {' '.join(args)}", timeout=120)

    def migrate(self, tag: str) -> None:
        self.store.migrate(tag)

    def switch(self, tag: str) -> None:
        self.store.activate(tag)
        self._systemctl("stop", self.units["worker"])
        self._systemctl("restart", self.units["api"])
        self._systemctl("start", self.units["worker"])

    def stop_worker(self) -> None:
        self._systemctl("stop", self.units["worker"])

    def start_worker(self) -> None:
        self._systemctl("start", self.units["worker"])

    def _show(self, unit: str) -> dict[str, str]:
        out = run_command(
            ["systemctl", "show", unit, "--property=ActiveState,SubState,MainPID"],
            what=f"systemctl show {unit}",
            timeout=30,
        )
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def dead_role(self) -> str | None:
        for unit in self.units.values():
            state = self._show(unit)
            if state.get("ActiveState") != "active":
                return f"{unit} is {state.get('ActiveState')} ({state.get('SubState')})"
        return None

    def roles(self) -> list[RoleStatus]:
        found = []
        for role, unit in self.units.items():
            state = self._show(unit)
            pid = int(state.get("MainPID", "0") or 0)
            found.append(
                RoleStatus(
                    role=role,
                    running=state.get("ActiveState") == "active",
                    release=self.store.current(),
                    pid=pid or None,
                    detail=f"{unit}: {state.get('ActiveState')}/{state.get('SubState')}",
                )
            )
        return found
