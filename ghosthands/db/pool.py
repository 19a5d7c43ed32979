"""Connections to PostgreSQL: a small pool for queries and direct connections.

Pooled connections may go through a transaction-mode pooler (PgBouncer, Supabase's
pooler), so they use no server-side prepared statements and no session state. LISTEN /
NOTIFY and advisory locks need a real session: :meth:`Database.connect_direct` opens one
on ``DATABASE_URL``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from ghosthands.config import ConfigError, Settings

Conn = psycopg.AsyncConnection[DictRow]


class Database:
    """Owns one role's connection pool. Open it in the role's lifespan, close it after."""

    def __init__(self, settings: Settings, *, pool_size: int, name: str) -> None:
        if not settings.database_url:
            raise ConfigError("DATABASE_URL", "is required but not set")
        self.direct_url: str = settings.database_url
        self._pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            settings.pool_url or settings.database_url,
            min_size=1,
            max_size=pool_size,
            open=False,
            name=name,
            timeout=10.0,
            kwargs={"prepare_threshold": None, "row_factory": dict_row},
            check=AsyncConnectionPool.check_connection,
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
            yield conn

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
