"""HTTP load from wrk, a load generator written in C.

The API benchmark first drove both servers from one Python process (httpx, 32 clients):
that process used a whole core and became the limit, so GhostHands and the bare route
both measured the client (ratios of 1.00 whatever the servers did). wrk spends a small
fraction of a core at these rates, so the servers are what is measured.

:func:`run` returns throughput and latency percentiles; it refuses a run in which any
request failed (non-2xx or a socket error).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: Lua for wrk: POST one JSON body; GET paths built from a file of ids, in turn.
POST_SCRIPT = """
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/json"
"""
GET_SCRIPT = """
local ids = {}
for line in io.lines(os.getenv("WRK_IDS")) do ids[#ids + 1] = line end
local template = os.getenv("WRK_PATH")
local i = 0
request = function()
  i = i % #ids + 1
  return wrk.format("GET", (template:gsub("{job_id}", ids[i])))
end
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass
class Load:
    rate: float  # requests per second
    p50_ms: float
    p99_ms: float
    requests: int


def available() -> str | None:
    """The wrk executable, installed through apt-get when missing and possible."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "wrk"],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return shutil.which("wrk")


def run(
    wrk: str,
    base: str,
    *,
    path: str,
    seconds: float,
    clients: int,
    headers: dict[str, str],
    body: Mapping[str, object] | None = None,
    ids: list[str] | None = None,
) -> Load:
    """POST ``body`` to ``path``, or GET ``path`` (with ``{job_id}`` from ``ids``)."""
    with tempfile.TemporaryDirectory(prefix="gh-wrk-") as tmp:
        script = Path(tmp) / "load.lua"
        env = dict(os.environ)
        if body is not None:
            script.write_text(POST_SCRIPT)
            env["WRK_BODY"] = json.dumps(body)
            url = base + path
        else:
            assert ids, "GET needs ids"
            (Path(tmp) / "ids").write_text("\n".join(ids) + "\n")
            script.write_text(GET_SCRIPT)
            env.update(WRK_IDS=str(Path(tmp) / "ids"), WRK_PATH=path)
            url = base + "/"
        command = [wrk, "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", "-s", str(script)]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        out = subprocess.run(
            [*command, url], env=env, capture_output=True, text=True, check=True, timeout=600
        ).stdout
    return parse(out)


def parse(out: str) -> Load:
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if failed or errors:
        raise RuntimeError(f"wrk saw failed requests:\n{out}")
    latency = {
        int(p): float(v) * _UNITS[u]
        for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if rate is None or total is None or set(latency) != {50, 99}:
        raise RuntimeError(f"could not read wrk's report:\n{out}")
    return Load(float(rate.group(1)), latency[50], latency[99], int(total.group(1)))
