"""On a shared Supabase database the data API's roles (``anon``, ``authenticated``) read
nothing of GhostHands, while the service's role, owner or not, works unchanged.

The roles are made as Supabase makes them (no login; schema usage; every privilege on
new tables by default) before ``ghosthands migrate`` runs, in a real PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from tests.support import GhProcess

API_ROLES = ("anon", "authenticated")
SERVICE_ROLE = "gh_test_service"


def _gh_tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname LIKE 'gh\\_%' "
        "ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


@pytest.fixture
def supabase_like(empty_database_url: str) -> Iterator[str]:
    """An empty database on a cluster with Supabase's API roles and default grants."""
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        for role in (*API_ROLES, SERVICE_ROLE):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
            if exists.fetchone() is None:
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        for role in API_ROLES:
            name = sql.Identifier(role)
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(name))
            conn.execute(
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO {}"
                ).format(name)
            )
    yield empty_database_url


def test_the_data_api_roles_read_nothing_and_the_service_everything(
    gh_process: Callable[..., GhProcess], supabase_like: str
) -> None:
    migrated = gh_process("migrate", DATABASE_URL=supabase_like)
    assert migrated.wait(timeout=60) == 0, migrated.output

    with psycopg.connect(supabase_like, autocommit=True) as conn:
        tables = _gh_tables(conn)
        assert "gh_automation_jobs" in tables and "gh_schema_migrations" in tables
        shipped = conn.execute("SELECT count(*) FROM gh_schema_migrations").fetchone()
        assert shipped is not None and shipped[0] > 0

        # Every gh_* table, including any a later migration adds, has RLS on.
        off = conn.execute(
            "SELECT relname FROM pg_class WHERE relname LIKE 'gh\\_%' AND relkind = 'r' "
            "AND NOT relrowsecurity"
        ).fetchall()
        assert off == []

        for role in API_ROLES:
            for table in tables:
                conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
                try:
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))
                finally:
                    conn.execute("RESET ROLE")

        # Even with a grant given back (a dashboard click), row-level security shows
        # them no row, and lets them write none.
        conn.execute("GRANT SELECT, INSERT ON gh_schema_migrations TO anon")
        conn.execute("SET ROLE anon")
        try:
            seen = conn.execute("SELECT count(*) FROM gh_schema_migrations").fetchone()
            assert seen == (0,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(
                    "INSERT INTO gh_schema_migrations (version, name, checksum) "
                    "VALUES (9999, 'x', 'x')"
                )
        finally:
            conn.execute("RESET ROLE")

        # A service role that is not the tables' owner still sees and writes everything.
        conn.execute(
            sql.SQL("GRANT SELECT, INSERT, DELETE ON gh_schema_migrations TO {}").format(
                sql.Identifier(SERVICE_ROLE)
            )
        )
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(SERVICE_ROLE)))
        try:
            assert conn.execute("SELECT count(*) FROM gh_schema_migrations").fetchone() == shipped
        finally:
            conn.execute("RESET ROLE")
