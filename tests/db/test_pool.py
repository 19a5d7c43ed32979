"""The pool: prepared statements only on a direct session, dead idle connections replaced."""

from __future__ import annotations

import psycopg
import pytest

import ghosthands.db.pool as pool_module
from ghosthands.config import Settings
from ghosthands.db.pool import Database

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("behind_pooler", [False, True])
async def test_statements_are_prepared_only_without_a_transaction_pooler(
    database_url: str, behind_pooler: bool
) -> None:
    settings = Settings(
        database_url=database_url, database_pool_url=database_url if behind_pooler else None
    )
    db = Database(settings, pool_size=1, name="test")
    await db.open()
    try:
        async with db.connection() as conn:
            threshold = conn.prepare_threshold
            for _ in range(8):
                await conn.execute("SELECT 1 AS one WHERE %s::int = 1", (1,))
        async with db.connection() as conn:
            cur = await conn.execute("SELECT count(*) AS n FROM pg_prepared_statements")
            row = await cur.fetchone()
    finally:
        await db.close()
    assert row is not None
    if behind_pooler:
        assert threshold is None and row["n"] == 0
    else:
        assert threshold is not None and row["n"] >= 1


async def test_an_idle_connection_killed_by_the_server_is_replaced_not_handed_out(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a database restart does to an idle pool: the check on checkout finds the dead
    connection and the caller gets a working one. (Connections used within the last
    CHECK_IDLE_SECONDS skip the check; here every connection counts as idle.)"""
    monkeypatch.setattr(pool_module, "CHECK_IDLE_SECONDS", 0.0)
    db = Database(Settings(database_url=database_url), pool_size=1, name="test")
    await db.open()
    try:
        async with db.connection() as conn:
            cur = await conn.execute("SELECT pg_backend_pid() AS pid")
            row = await cur.fetchone()
        assert row is not None
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (row["pid"],))
        async with db.connection() as conn:
            cur = await conn.execute("SELECT pg_backend_pid() AS pid")
            again = await cur.fetchone()
        assert again is not None and again["pid"] != row["pid"]
    finally:
        await db.close()
