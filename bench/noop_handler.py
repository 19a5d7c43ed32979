"""The benchmark's no-op job type, installed as a handler plugin for the workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import msgspec

from ghosthands.jobs.contract import HandlerResult, JobContext

JOB_TYPE = "bench_noop"


class NoopInput(msgspec.Struct):
    pass


class NoopHandler:
    job_type: ClassVar[str] = JOB_TYPE
    input_type: ClassVar[type[msgspec.Struct]] = NoopInput
    needs_browser: ClassVar[bool] = False

    async def run(self, ctx: JobContext, params: Any) -> HandlerResult:
        return HandlerResult()


def write_plugin(directory: Path) -> Path:
    """A minimal installed distribution whose entry point is the no-op handler."""
    dist = directory / "ghosthands_bench-0.0.0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ghosthands-bench\nVersion: 0.0.0\n"
    )
    (dist / "entry_points.txt").write_text(
        f"[ghosthands.handlers]\n{JOB_TYPE} = bench.noop_handler:NoopHandler\n"
    )
    return directory
