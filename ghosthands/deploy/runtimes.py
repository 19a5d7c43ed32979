"""Which runtime a host uses: the one place that knows all three implementations."""

from __future__ import annotations

from ghosthands.deploy.compose import ComposeRuntime
from ghosthands.deploy.config import DeployConfig
from ghosthands.deploy.local import LocalRuntime
from ghosthands.deploy.runtime import Runtime
from ghosthands.deploy.systemd import SystemdRuntime


def make_runtime(config: DeployConfig) -> Runtime:
    """The runtime the host is configured for (``GH_DEPLOY_RUNTIME``, else detected)."""
    if config.runtime == "compose":
        return ComposeRuntime(config)
    if config.runtime == "systemd":
        return SystemdRuntime(config)
    return LocalRuntime(config)
