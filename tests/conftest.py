"""Session-wide fixtures: one real PostgreSQL cluster, a fresh database per test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest

from ghosthands.db.embedded import EmbeddedPostgres
from ghosthands.db.migrate import migrate
from tests.support import GhProcess, clean_env

TEMPLATE = "gh_template"


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[EmbeddedPostgres]:
    """A throwaway cluster for the whole session, with a migrated template database."""
    with EmbeddedPostgres(name="ghosthands-test") as pg:
        with psycopg.connect(pg.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        migrate(pg.dsn_for(TEMPLATE))
        yield pg


def _create_database(pg: EmbeddedPostgres, template: str) -> str:
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    return name


def _drop_database(pg: EmbeddedPostgres, name: str) -> None:
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def database_url(pg_cluster: EmbeddedPostgres) -> Iterator[str]:
    """A fresh database with the current schema, dropped after the test."""
    name = _create_database(pg_cluster, TEMPLATE)
    yield pg_cluster.dsn_for(name)
    _drop_database(pg_cluster, name)


@pytest.fixture
def empty_database_url(pg_cluster: EmbeddedPostgres) -> Iterator[str]:
    """A fresh database with no schema at all."""
    name = _create_database(pg_cluster, "template0")
    yield pg_cluster.dsn_for(name)
    _drop_database(pg_cluster, name)


@pytest.fixture
def gh_process() -> Iterator[Callable[..., GhProcess]]:
    """Start ``ghosthands`` subprocesses; every one is stopped after the test."""
    started: list[GhProcess] = []

    def start(*args: str, **env: str) -> GhProcess:
        proc = GhProcess(args, clean_env(**env))
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()
