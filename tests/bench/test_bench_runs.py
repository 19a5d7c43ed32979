"""``bench/run`` works end to end on its cheapest benchmark and prints its table.
(No timing assertions: the benchmarks' figures are not part of the test suite.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_run_quick_prints_a_ratio_table() -> None:
    result = subprocess.run(
        [str(REPO / "bench" / "run"), "--quick", "--only", "browser"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert (
        "| Benchmark | Measure | GhostHands | Baseline | Baseline value | Ratio | Target |" in lines
    )
    rows = [line for line in lines if line.startswith("| browser |")]
    assert len(rows) == 2
    for row in rows:
        ratio = row.split("|")[6].strip()
        assert ratio.endswith("×") and float(ratio[:-1]) > 0
