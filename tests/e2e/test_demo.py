"""``ghosthands demo`` as a person runs it: a real process, real children, real Chromium.

Every process the demo starts (API, worker, Playwright's driver, Chromium, PostgreSQL)
inherits its environment, so a marker variable finds them all in /proc: while it runs
they must be there, and once it has exited none may be left.
"""

from __future__ import annotations

import json
import re
import signal
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.support import GhProcess, free_port, wait_until
from tests.worker.helpers import execute

PNG = b"\x89PNG\r\n\x1a\n"
MARK = "GHOSTHANDS_DEMO_TEST_MARK"


def marked_processes(mark: str) -> dict[int, str]:
    """pid -> command line of every live process whose environment carries ``mark``."""
    needle = f"{MARK}={mark}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found[int(entry.name)] = cmdline
    return found


def start_demo(
    gh_process: Callable[..., GhProcess], tmp_path: Path, *args: str, **env: str
) -> tuple[GhProcess, str]:
    mark = uuid.uuid4().hex
    proc = gh_process(
        "demo",
        "--out",
        str(tmp_path / "out"),
        *args,
        XDG_DATA_HOME=str(tmp_path),
        **env,
        **{MARK: mark},
    )
    return proc, mark


def run_dir(tmp_path: Path) -> Path:
    [found] = (tmp_path / "out").iterdir()
    return found


def demo_events(tmp_path: Path) -> list[dict[str, object]]:
    lines = (run_dir(tmp_path) / "demo.log").read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def assert_nothing_left(mark: str) -> None:
    wait_until(lambda: not marked_processes(mark), 10, "every process the demo started has exited")


def test_demo_submits_an_application_and_leaves_nothing_running(
    gh_process: Callable[..., GhProcess], tmp_path: Path
) -> None:
    proc, mark = start_demo(gh_process, tmp_path)
    code = proc.wait(timeout=90)
    out = proc.output
    assert code == 0, out

    confirmed = re.search(r"Application submitted and confirmed: (APP-[0-9A-F]{8})", out)
    assert confirmed, out
    confirmation = confirmed.group(1)
    assert f"confirmation  {confirmation}" in out
    assert f"the site received (Globex, Data Analyst, {confirmation}):" in out
    # What the site received, field by field, and the resume it got.
    for line in (
        "full_name            Ada Lovelace",
        "phone                (415) 555-0132",
        "school               University of London",
        "tools                python, postgresql",
        "anything_else        (left empty)",
    ):
        assert line in out, out
    assert re.search(r"resume\s+ada-lovelace-resume\.pdf, \d+ bytes \(the resume sent\)", out)
    # Progress as it happened, one line per step.
    for step in (
        "opening http://127.0.0.1:",
        "filling in step 4",
        "attached the resume",
        "submitting",
        f"confirmation page recognised: {confirmation}",
        "completed",
    ):
        assert step in out, out
    assert re.search(r"cost\s+\$0\.0000 \(0 LLM tokens, \d+ browser actions\)", out)
    # Screenshots: served by the API, and saved where the demo says.
    assert re.search(
        r"screenshots\s+http://127\.0\.0\.1:\d+/api/v1/gh/jobs/[0-9a-f-]{36}/"
        r"artifacts/[0-9a-f-]{36}",
        out,
    ), out
    saved = Path(re.search(r"saved to\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    assert saved.read_bytes().startswith(PNG) and saved.stat().st_size > 5000
    assert saved.parent == run_dir(tmp_path)
    # Nothing JSON on the terminal: the processes' logs went to files.
    assert not [line for line in proc.lines if line.startswith("{")]
    assert "role_ready" in (saved.parent / "work.log").read_text()

    assert "everything stopped" in out
    assert_nothing_left(mark)
    [started] = [e for e in demo_events(tmp_path) if e["event"] == "embedded_postgres_started"]
    assert not Path(str(started["datadir"])).exists()


def test_demo_interrupted_mid_application_stops_everything(
    gh_process: Callable[..., GhProcess], tmp_path: Path
) -> None:
    proc, mark = start_demo(gh_process, tmp_path, "--form", "widgets")
    wait_until(
        lambda: "filling in step" in proc.output or proc.proc.poll() is not None,
        60,
        "the demo filling the form",
    )
    running = marked_processes(mark)
    # The scan sees what the demo started: so its emptiness below means something.
    assert any("postgres" in cmd for cmd in running.values()), running
    assert any("chromium" in cmd for cmd in running.values()), running
    assert any("ghosthands work" in cmd for cmd in running.values()), running

    proc.send(signal.SIGINT)
    assert proc.wait(timeout=30) == 130, proc.output
    assert "interrupted" in proc.output and "everything stopped" in proc.output
    assert_nothing_left(mark)
    [started] = [e for e in demo_events(tmp_path) if e["event"] == "embedded_postgres_started"]
    assert not Path(str(started["datadir"])).exists()


def test_demo_uses_database_url_when_set(
    gh_process: Callable[..., GhProcess], tmp_path: Path, database_url: str
) -> None:
    proc, mark = start_demo(gh_process, tmp_path, "--form", "classic", DATABASE_URL=database_url)
    assert proc.wait(timeout=90) == 0, proc.output
    assert "DATABASE_URL (yours" in proc.output
    assert not any(e["event"] == "embedded_postgres_started" for e in demo_events(tmp_path))
    [job] = execute(database_url, "SELECT status, job_type, created_by FROM gh_automation_jobs")
    assert job == {"status": "completed", "job_type": "apply", "created_by": "valet"}
    assert_nothing_left(mark)


def test_demo_headed_without_a_display_says_so(
    gh_process: Callable[..., GhProcess], tmp_path: Path
) -> None:
    proc, _ = start_demo(gh_process, tmp_path, "--headed", DISPLAY="", WAYLAND_DISPLAY="")
    assert proc.wait(timeout=30) == 78
    assert "--headed needs a display" in proc.output


def test_demo_with_an_unreachable_database_fails_clearly(
    gh_process: Callable[..., GhProcess], tmp_path: Path
) -> None:
    dsn = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    proc, mark = start_demo(gh_process, tmp_path, DATABASE_URL=dsn)
    assert proc.wait(timeout=30) == 1
    assert "demo failed: could not start: OperationalError" in proc.output
    assert "Traceback" not in proc.output
    assert "everything stopped" in proc.output
    assert_nothing_left(mark)
