"""Fixtures for deploy tests: real wheels of this source tree, real host directories.

``wheelhouse`` builds, once per session, wheels of this package as versions 1.0.0,
2.0.0 and a broken 3.0.0 (its ``serve`` exits at start), plus every dependency, into a
directory the ``local`` runtime installs releases from. ``broken_v2_wheelhouse`` is the
same with a broken 2.0.0, for the host of a fleet that must fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.deploy.hosts import Host
from tests.support import free_port

REPO = Path(__file__).resolve().parents[2]

BREAK_SERVE = '''

@main.command("serve")
def _broken_serve() -> None:
    """A release whose API cannot start: exits at once, as a bad build would."""
    click.echo("this release is broken on purpose", err=True)
    sys.exit(3)
'''


#: The migration a later release brings (4.0.0), and one that fails (5.0.0).
NEW_MIGRATION = ("0900_release_test.sql", "CREATE TABLE gh_release_test (id int);\n")
BAD_MIGRATION = ("0901_broken.sql", "CREATE TABLE gh_broken (id int REFERENCES nowhere);\n")


def _build_wheel(
    out: Path,
    work: Path,
    version: str,
    *,
    broken: bool,
    deps: bool,
    migrations: tuple[tuple[str, str], ...] = (),
) -> None:
    src = work / f"src-{version}{'-broken' if broken else ''}"
    shutil.copytree(
        REPO / "ghosthands", src / "ghosthands", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name, sql in migrations:
        (src / "ghosthands" / "db" / "migrations" / name).write_text(sql)
    shutil.copy(REPO / "README.md", src / "README.md")
    pyproject = (REPO / "pyproject.toml").read_text()
    (src / "pyproject.toml").write_text(
        pyproject.replace('version = "0.1.0"', f'version = "{version}"', 1)
    )
    assert f'version = "{version}"' in (src / "pyproject.toml").read_text()
    if broken:
        with open(src / "ghosthands" / "cli.py", "a") as cli:
            cli.write(BREAK_SERVE)
    argv = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check"]
    argv += ["-w", str(out)] + ([] if deps else ["--no-deps"]) + [str(src)]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture(scope="session")
def release_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels: dependencies, ghosthands 1.0.0, 2.0.0, 3.0.0 (broken) and 2.0.0 (broken)."""
    work = tmp_path_factory.mktemp("wheels")
    good = work / "good"
    _build_wheel(good, work, "1.0.0", broken=False, deps=True)
    _build_wheel(good, work, "2.0.0", broken=False, deps=False)
    _build_wheel(good, work, "3.0.0", broken=True, deps=False)
    bad2 = work / "broken-2"
    bad2.mkdir()
    for wheel in good.iterdir():
        if not wheel.name.startswith(("ghosthands-2.", "ghosthands-3.")):
            os.link(wheel, bad2 / wheel.name)
    _build_wheel(bad2, work, "2.0.0", broken=True, deps=False)
    upto2 = work / "up-to-2"
    upto2.mkdir()
    for wheel in good.iterdir():
        if not wheel.name.startswith("ghosthands-3."):
            os.link(wheel, upto2 / wheel.name)
    return work


@pytest.fixture(scope="session")
def migrating_wheelhouse(release_wheels: Path) -> Path:
    """1.0.0, a 4.0.0 that brings a migration, and a 5.0.0 whose migration fails."""
    work = release_wheels / "migrating"
    work.mkdir()
    for wheel in (release_wheels / "good").iterdir():
        if not wheel.name.startswith(("ghosthands-2.", "ghosthands-3.")):
            os.link(wheel, work / wheel.name)
    _build_wheel(work, release_wheels, "4.0.0", broken=False, deps=False,
                 migrations=(NEW_MIGRATION,))  # fmt: skip
    _build_wheel(work, release_wheels, "5.0.0", broken=False, deps=False,
                 migrations=(NEW_MIGRATION, BAD_MIGRATION))  # fmt: skip
    return work


@pytest.fixture(scope="session")
def wheelhouse(release_wheels: Path) -> Path:
    return release_wheels / "good"


@pytest.fixture(scope="session")
def healthy_wheelhouse(release_wheels: Path) -> Path:
    """1.0.0 and 2.0.0 only, so ``latest`` is a good release."""
    return release_wheels / "up-to-2"


@pytest.fixture(scope="session")
def broken_v2_wheelhouse(release_wheels: Path) -> Path:
    return release_wheels / "broken-2"


@pytest.fixture
def make_host(tmp_path: Path, database_url: str, wheelhouse: Path) -> Iterator[Callable[..., Host]]:
    """Host directories for the ``local`` runtime; every role they start is stopped after."""
    hosts: list[Host] = []

    def make(name: str = "host", *, wheels: Path | None = None, **env: str) -> Host:
        host = Host(
            root=tmp_path / name,
            api_port=free_port(),
            worker_port=free_port(),
            database_url=database_url,
            wheelhouse=wheels or wheelhouse,
            extra_env=env,
        )
        host.write_env_file()
        hosts.append(host)
        return host

    yield make
    for host in hosts:
        host.stop_roles()
