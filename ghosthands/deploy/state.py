"""Which release a host runs and which it ran before: ``deploy-state.json``.

Written atomically (temporary file, fsync, rename) after a release or rollback settles,
so a crash mid-deploy leaves the last settled state, never half a file.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import msgspec


class ReleaseState(msgspec.Struct):
    current: str | None = None
    current_image: str | None = None
    previous: str | None = None
    previous_image: str | None = None
    updated_at: str | None = None


def load_state(path: Path) -> ReleaseState:
    try:
        return msgspec.json.decode(path.read_bytes(), type=ReleaseState)
    except FileNotFoundError:
        return ReleaseState()


def save_state(path: Path, state: ReleaseState) -> None:
    state.updated_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with open(tmp, "wb") as out:
        out.write(msgspec.json.format(msgspec.json.encode(state)) + b"\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
