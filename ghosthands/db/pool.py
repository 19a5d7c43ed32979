"""Connections to PostgreSQL: a small pool for queries and direct connections.

Pooled connections may go through a transaction-mode pooler (PgBouncer, Supabase's
pooler) set by ``DATABASE_POOL_URL``: then they use no server-side prepared statements
and no session state. Without one, the pool connects to ``DATABASE_URL`` itself (a real
session), and psycopg prepares the statements it runs often. LISTEN / NOTIFY and
advisory locks need a real session: :meth:`Database.connect_direct` opens one on
``DATABASE_URL``.

A connection taken from the pool is checked (an empty query) only when it has been idle
for :data:`CHECK_IDLE_SECONDS`: that catches the connections a database restart left
dead without paying a round trip on every checkout of a busy pool. A connection that
breaks in use is discarded by the pool, and its caller's error is retried by the caller.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from ghosthands.config import ConfigError, Settings

Conn = psycopg.AsyncConnection[DictRow]

#: A pooled connection unused for this long is checked before it is handed out.
CHECK_IDLE_SECONDS = 1.0


class Database:
    """Owns one role's connection pool. Open it in the role's lifespan, close it after."""

    def __init__(self, settings: Settings, *, pool_size: int, name: str) -> None:
        if not settings.database_url:
            raise ConfigError("DATABASE_URL", "is required but not set")
        self.direct_url: str = settings.database_url
        # Behind a transaction-mode pooler a prepared statement may meet another
        # backend: never prepare there. On a direct session, prepare what repeats.
        prepare = None if settings.database_pool_url else 5
        self._last_used: weakref.WeakKeyDictionary[Conn, float] = weakref.WeakKeyDictionary()
        self._pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            settings.pool_url or settings.database_url,
            min_size=1,
            max_size=pool_size,
            open=False,
            name=name,
            timeout=10.0,
            kwargs={"prepare_threshold": prepare, "row_factory": dict_row},
            check=self._check_if_idle,
            reconnect_timeout=3600.0,
        )

    async def open(self) -> None:
        """Start the pool without waiting: the role comes up even while the DB is down."""
        await self._pool.open(wait=False)

    async def close(self) -> None:
        await self._pool.close(timeout=5.0)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        """A pooled connection; the block is one transaction, committed on success."""
        async with self._pool.connection() as conn:
            try:
                yield conn
            finally:
                self._last_used[conn] = time.monotonic()

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[Conn]:
        """A pooled connection on which every statement is its own transaction.

        One round trip per statement instead of BEGIN, statement, COMMIT: for the
        worker's hot path, whose writes are single statements. The connection goes
        back to the pool in transaction mode.
        """
        async with self.connection() as conn:
            await conn.set_autocommit(True)
            try:
                yield conn
            finally:
                if conn.info.transaction_status == TransactionStatus.IDLE:
                    await conn.set_autocommit(False)

    async def _check_if_idle(self, conn: Conn) -> None:
        used = self._last_used.get(conn)
        if used is None or time.monotonic() - used >= CHECK_IDLE_SECONDS:
            await AsyncConnectionPool.check_connection(conn)

    async def connect_direct(self, **kwargs: Any) -> Conn:
        """A new session connection (autocommit) for LISTEN and advisory locks."""
        return await psycopg.AsyncConnection.connect(
            self.direct_url,
            autocommit=True,
            prepare_threshold=None,
            row_factory=dict_row,
            **kwargs,
        )

    def stats(self) -> dict[str, int]:
        return dict(self._pool.get_stats())
