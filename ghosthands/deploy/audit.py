"""The append-only audit trail of a host's deploys: one JSON object per line.

Every step of every deploy writes a line (started, finished or failed, with its
duration), so ``tail deploy-audit.jsonl`` answers "what happened here, when, by whom".
Lines are written with ``O_APPEND`` in a single ``write``, so concurrent writers never
interleave within a line.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
from pathlib import Path
from typing import Any

import msgspec


class AuditLog:
    """Appends events for one deploy (``deploy_id``) to ``path``."""

    def __init__(self, path: Path, *, deploy_id: str, action: str) -> None:
        self.path = path
        self.deploy_id = deploy_id
        self.action = action
        self._base = {"host": socket.gethostname(), "user": getpass.getuser(), "pid": os.getpid()}

    def write(self, event: str, **fields: Any) -> None:
        record = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "deploy_id": self.deploy_id,
            "action": self.action,
            "event": event,
            **self._base,
            **{k: v for k, v in fields.items() if v is not None},
        }
        line = msgspec.json.encode(record) + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def read_audit(path: Path) -> list[dict[str, Any]]:
    """Every readable line of the audit log (a torn last line is ignored)."""
    records: list[dict[str, Any]] = []
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return records
    for line in lines:
        try:
            records.append(msgspec.json.decode(line))
        except msgspec.DecodeError:
            continue
    return records
