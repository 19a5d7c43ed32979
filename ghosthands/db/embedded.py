"""A throwaway PostgreSQL cluster made with the machine's own ``initdb`` / ``pg_ctl``.

Used by ``ghosthands dev`` / ``demo`` when ``DATABASE_URL`` is unset, and by the test
suite (one cluster per session). PostgreSQL refuses to run as root, so when we are root
the cluster is created in a private directory under /tmp owned by the ``postgres`` user
(root's own data dir is not reachable by that user) and every command runs through
``runuser``. The cluster listens on 127.0.0.1 and on a socket inside its data directory,
never touching a system cluster, and is stopped and deleted by :meth:`stop`.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from ghosthands.logs import get_logger

log = get_logger(__name__)

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with "
    "'sudo apt-get install postgresql' (Debian/Ubuntu), set GH_PG_BINDIR to their "
    "directory, or set DATABASE_URL to an existing database."
)


class PostgresNotFound(RuntimeError):
    """No usable initdb/pg_ctl on this machine."""


class EmbeddedPostgresError(RuntimeError):
    """The throwaway cluster could not be created or started."""


def _has_server(bindir: Path) -> bool:
    return all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))


def find_postgres_bindir(environ: dict[str, str] | None = None) -> Path:
    """Where ``initdb``, ``pg_ctl`` and ``postgres`` live, or PostgresNotFound."""
    env = os.environ if environ is None else environ
    candidates: list[Path] = []
    if env.get("GH_PG_BINDIR"):
        candidates.append(Path(env["GH_PG_BINDIR"]))
    for tool in ("pg_ctl", "initdb"):
        found = shutil.which(tool)
        if found:
            candidates.append(Path(os.path.realpath(found)).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass

    def version_key(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.parent.name)) or (0,)

    candidates.extend(
        sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version_key, reverse=True)
    )
    for bindir in candidates:
        if _has_server(bindir):
            return bindir
    raise PostgresNotFound(INSTALL_HINT)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedPostgres:
    """A private cluster: ``start()`` returns a DSN, ``stop()`` removes every trace."""

    def __init__(self, *, name: str = "ghosthands", port: int | None = None) -> None:
        self.bindir = find_postgres_bindir()
        self.name = name
        self.port = port
        self.run_as: str | None = None
        if os.geteuid() == 0:
            self.run_as = _unprivileged_user()
        self.base: Path | None = None
        self._started = False

    @property
    def datadir(self) -> Path:
        assert self.base is not None
        return self.base / "data"

    @property
    def dsn(self) -> str:
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        if self.run_as:
            return ["runuser", "-u", self.run_as, "--", *args]
        return list(args)

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            self._cmd(*args), capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(
                f"{Path(args[0]).name} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-2000:]}"
            )

    def _make_base(self) -> Path:
        if self.run_as:
            base = Path(tempfile.mkdtemp(prefix=f"{self.name}-pg-", dir="/tmp"))
            user = pwd.getpwnam(self.run_as)
            os.chown(base, user.pw_uid, user.pw_gid)
            return base
        data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        root = data_home / "ghosthands" / "embedded-postgres"
        root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=root))

    def start(self) -> str:
        """Create and start the cluster; return a DSN for the ``postgres`` database."""
        self.base = self._make_base()
        try:
            self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
            last_error: Exception | None = None
            for _ in range(3):  # a picked free port can be taken before postgres binds it
                port = self.port or free_port()
                try:
                    self._start_server(port)
                    self.port = port
                    break
                except EmbeddedPostgresError as exc:
                    last_error = exc
                    if self.port:
                        raise
            else:
                assert last_error is not None
                raise last_error
        except BaseException:
            # Interrupted after pg_ctl started the server but before it said so: the
            # server must not outlive its deleted data directory.
            pid = self.postmaster_pid()
            if pid is not None:
                _kill_and_wait(pid)
            self._remove()
            raise
        self._started = True
        log.info("embedded_postgres_started", port=self.port, datadir=str(self.datadir))
        return self.dsn

    def _start_server(self, port: int) -> None:
        options = " ".join(
            [
                f"-p {port}",
                "-h 127.0.0.1",
                f"-k {self.datadir}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=300",
                "-c shared_buffers=64MB",
            ]
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-l",
            str(self.datadir / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            timeout=90,
        )

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.datadir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError, AssertionError):
            return None

    def restart(self) -> None:
        """Stop and start the same cluster on the same port (for failure tests)."""
        assert self.port is not None
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        self._start_server(self.port)

    def stop(self) -> None:
        """Stop the server (fast, then immediate, then SIGKILL) and delete its files."""
        if self.base is None:
            return
        if self._started:
            pid = self.postmaster_pid()
            for mode in ("fast", "immediate"):
                try:
                    self._run(
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(self.datadir),
                        "-m",
                        mode,
                        "-w",
                        "-t",
                        "15",
                        "stop",
                        timeout=30,
                    )
                    break
                except (EmbeddedPostgresError, subprocess.TimeoutExpired):
                    continue
            if pid is not None:
                _kill_and_wait(pid)
            self._started = False
            log.info("embedded_postgres_stopped", port=self.port)
        self._remove()

    def _remove(self) -> None:
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise EmbeddedPostgresError(
        "running as root, and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL as"
    )


def _kill_and_wait(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    try:
        os.kill(pid, 0)
    except OSError:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.05)
