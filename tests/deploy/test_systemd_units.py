"""The systemd units pass ``systemd-analyze verify`` silently and score at most 3.0 on
``systemd-analyze security`` (lower is better), with the settings the design asks for."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "systemd"
SERVICES = ("ghosthands-api.service", "ghosthands-worker.service")
ANALYZE = shutil.which("systemd-analyze")
assert ANALYZE, "systemd-analyze is missing: bin/setup installs it (apt package systemd)"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root with the system's units, ours, and the ExecStart binary they name."""
    root = tmp_path_factory.mktemp("sdroot")
    system_units = next(
        p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")) if p.is_dir()
    )
    shutil.copytree(system_units, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in UNITS.iterdir():
        shutil.copy(unit, root / "etc/systemd/system" / unit.name)
    binary = root / "opt/ghosthands/current/bin/ghosthands"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    return root


def verify(root: Path, *units: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ANALYZE, "verify", f"--root={root}", *units],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_units_verify_without_any_output(root: Path) -> None:
    result = verify(root, *SERVICES, "ghosthands.target")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr == "", result.stdout + result.stderr


def test_verify_does_complain_about_a_broken_unit(root: Path) -> None:
    """Guards the test above: a bad setting must produce output here."""
    broken = root / "etc/systemd/system/ghosthands-broken.service"
    text = (UNITS / "ghosthands-api.service").read_text()
    broken.write_text(text.replace("KillMode=mixed", "KillMode=bogus"))
    result = verify(root, "ghosthands-broken.service")
    assert "bogus" in result.stdout + result.stderr
    broken.unlink()


@pytest.mark.parametrize("service", SERVICES)
def test_security_exposure_is_at_most_3(service: str) -> None:
    result = subprocess.run(
        [ANALYZE, "security", "--offline=true", str(UNITS / service)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 3.0, result.stdout


def _service_section(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    current = None
    for line in (UNITS / name).read_text().splitlines():
        if line.startswith("["):
            current = line.strip("[]")
        elif current == "Service" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


@pytest.mark.parametrize(
    ("service", "stop_seconds", "drain_seconds"),
    [("ghosthands-api.service", 15, 5), ("ghosthands-worker.service", 45, 30)],
)
def test_units_carry_the_process_contract(
    service: str, stop_seconds: int, drain_seconds: int
) -> None:
    s = _service_section(service)
    assert s["Type"] == ["notify"]
    assert s["KillMode"] == ["mixed"]
    assert s["Restart"] == ["on-failure"]
    assert s["RestartPreventExitStatus"] == ["78"]
    assert s["EnvironmentFile"] == ["/opt/ghosthands/.env"]
    assert s["User"] == ["ghosthands"]
    # The drain, the supervisor's grace and abort (1 + 3 s) fit inside the stop timeout.
    assert int(s["TimeoutStopSec"][0]) >= drain_seconds + 4 + 5
    assert int(s["TimeoutStopSec"][0]) == stop_seconds
    for hardening in ("NoNewPrivileges", "ProtectSystem", "PrivateTmp", "RestrictAddressFamilies"):
        assert hardening in s
    assert s["ProtectSystem"] == ["strict"]


def test_the_worker_keeps_what_chromium_needs() -> None:
    worker = _service_section("ghosthands-worker.service")
    assert "MemoryDenyWriteExecute" not in worker  # V8's JIT
    assert worker["RestrictNamespaces"] == ["user pid net"]  # Chromium's sandbox
    assert "PrivateUsers" not in worker
