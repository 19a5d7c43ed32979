"""``ghosthands migrate``: idempotent, versioned, safe when many hosts run it at once."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from ghosthands.db.migrate import Migration, MigrationError, migrate, shipped_migrations
from tests.support import GhProcess

EXPECTED_TABLES = {
    "gh_automation_jobs",
    "gh_job_events",
    "gh_user_credentials",
    "gh_browser_sessions",
    "gh_user_usage",
    "gh_worker_registry",
    "gh_action_manuals",
    "gh_artifacts",
    "gh_callback_outbox",
    "gh_schema_migrations",
    "gh_rate_limits",  # 0003
}


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def _recorded(dsn: str) -> list[tuple[int, str]]:
    with psycopg.connect(dsn) as conn:
        return [
            (r[0], r[1])
            for r in conn.execute(
                "SELECT version, checksum FROM gh_schema_migrations ORDER BY version"
            )
        ]


def test_migrate_twice_applies_once(
    gh_process: Callable[..., GhProcess], empty_database_url: str
) -> None:
    first = gh_process("migrate", DATABASE_URL=empty_database_url)
    assert first.wait(timeout=60) == 0, first.output
    assert "applied 0001" in first.output
    second = gh_process("migrate", DATABASE_URL=empty_database_url)
    assert second.wait(timeout=60) == 0, second.output
    assert "schema is up to date" in second.output
    assert _tables(empty_database_url) == EXPECTED_TABLES
    expected = [(m.version, m.checksum) for m in shipped_migrations()]
    assert _recorded(empty_database_url) == expected


def test_four_hosts_migrating_at_once_leave_one_schema(
    gh_process: Callable[..., GhProcess], empty_database_url: str
) -> None:
    procs = [gh_process("migrate", DATABASE_URL=empty_database_url) for _ in range(4)]
    codes = [p.wait(timeout=90) for p in procs]
    assert codes == [0, 0, 0, 0], "\n".join(p.output for p in procs)
    applied = [p for p in procs if "applied 0001" in p.output]
    assert len(applied) == 1, "exactly one process applies the schema"
    assert _tables(empty_database_url) == EXPECTED_TABLES
    assert [v for v, _ in _recorded(empty_database_url)] == [
        m.version for m in shipped_migrations()
    ]


def test_changed_migration_is_refused(empty_database_url: str) -> None:
    migrate(empty_database_url)
    first = shipped_migrations()[0]
    tampered = Migration(first.version, first.name, first.sql + "\n-- edited\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(empty_database_url, [tampered])


def test_failed_migration_rolls_back_and_is_not_recorded(empty_database_url: str) -> None:
    migrate(empty_database_url)
    broken = Migration(999, "broken", "CREATE TABLE gh_half_done (id int); SELECT 1/0;")
    with pytest.raises(psycopg.errors.DivisionByZero):
        migrate(empty_database_url, [*shipped_migrations(), broken])
    assert "gh_half_done" not in _tables(empty_database_url)
    assert 999 not in [v for v, _ in _recorded(empty_database_url)]


def test_migrate_without_database_url_exits_78(gh_process: Callable[..., GhProcess]) -> None:
    proc = gh_process("migrate")
    assert proc.wait(timeout=20) == 78
    assert "DATABASE_URL" in proc.output


def test_migrate_against_unreachable_database_fails_clearly(
    gh_process: Callable[..., GhProcess],
) -> None:
    proc = gh_process("migrate", DATABASE_URL="postgresql://nobody:pw-hidden@127.0.0.1:1/x")
    assert proc.wait(timeout=20) == 1
    assert "migrate: OperationalError" in proc.output
    assert "pw-hidden" not in proc.output
