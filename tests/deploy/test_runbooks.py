"""Every command in docs/runbooks.md, run in order against a real host directory."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.deploy.hosts import Host, hosts_file

REPO = Path(__file__).resolve().parents[2]
RUNBOOK = REPO / "docs" / "runbooks.md"
PLACEHOLDERS = {"<tag>": "1.0.0", "<commit-sha>": "2.0.0"}
#: Every command the runbook gives, so a new one cannot slip in untested.
EXPECTED = [
    "bin/deploy.sh health",
    "ghosthands fleet rollout <tag> --hosts /opt/ghosthands/hosts.toml",
    "bin/deploy.sh deploy <commit-sha>",
    "bin/deploy.sh deploy",
    'cat /opt/ghosthands/deploy.lock 2>/dev/null || echo "no deploy holds the lock"',
    "bin/deploy.sh rollback",
    "bin/deploy.sh rollback --to <commit-sha>",
    "ghosthands jobs recover --stale-seconds 120 --env-file /opt/ghosthands/.env",
    "ghosthands jobs recover --stale-seconds 120 --apply --env-file /opt/ghosthands/.env",
    "bin/deploy.sh drain",
    "bin/deploy.sh resume",
    "bin/deploy.sh status",
    "tail -n 20 /opt/ghosthands/deploy-audit.jsonl",
]


def blocks() -> list[list[str]]:
    """The lines of each ```sh block, without comments, blanks and ssh."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", RUNBOOK.read_text(), flags=re.DOTALL):
        lines = [
            line.strip()
            for line in block.splitlines()
            if line.strip() and not line.startswith("#") and not line.startswith("ssh ")
        ]
        found.append(lines)
    return found


def test_the_runbook_lists_exactly_the_tested_commands() -> None:
    commands = [
        line for block in blocks() for line in block if not line.startswith(("cd ", "export "))
    ]
    assert commands == EXPECTED


def test_every_runbook_command_works_on_a_host(
    make_host: Callable[..., Host], healthy_wheelhouse: Path, tmp_path: Path
) -> None:
    host = make_host("opt-ghosthands", wheels=healthy_wheelhouse)
    (host.root / "bin").mkdir()
    shutil.copy(REPO / "bin" / "deploy.sh", host.root / "bin" / "deploy.sh")
    hosts_file(host.root / "hosts.toml", [host])
    # A host in service runs a release already.
    assert host.deploy("release", "1.0.0").code == 0

    env = host.env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    transcript = []
    for lines in blocks():
        script = "\n".join(["set -euo pipefail", *lines])
        script = script.replace("/opt/ghosthands", str(host.root))
        for placeholder, value in PLACEHOLDERS.items():
            script = script.replace(placeholder, value)
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=host.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        transcript.append(f"$ {script}\n{result.stdout}{result.stderr}")
        assert result.returncode == 0, "\n".join(transcript)

    output = "\n".join(transcript)
    assert "DEPLOY_STATUS=success\nDEPLOY_TAG=2.0.0" in output
    assert "FLEET_STATUS=success" in output
    assert "recover: 0 stuck job(s) older than 120 s" in output
    assert "no deploy holds the lock" in output
    assert (host.health() or {}).get("version") == "2.0.0"  # the last rollback --to 2.0.0
    assert [r.role for r in host.runtime().roles() if r.running] == ["api", "worker"]
