"""Versioned schema migrations, safe to run from many hosts at once.

Migrations are the ``NNNN_name.sql`` files beside this module, applied in order, each
in its own transaction, and recorded in ``gh_schema_migrations`` with a checksum. The
whole run holds a session advisory lock, so N hosts starting together apply each file
exactly once; a later run finds nothing to do. An applied file whose text changed is an
error, never silently re-run.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

from ghosthands.logs import get_logger

log = get_logger(__name__)

#: pg_advisory_lock key: the first 8 bytes of sha256("ghosthands.migrate").
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"ghosthands.migrate").digest()[:8], "big", signed=True
)

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(Exception):
    """The database's recorded migrations disagree with the shipped files."""


def shipped_migrations() -> list[Migration]:
    """The migration files shipped in the package, in version order."""
    found = []
    for entry in resources.files("ghosthands.db.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a version: {versions}")
    return found


def migrate(dsn: str, migrations: list[Migration] | None = None) -> list[int]:
    """Apply pending migrations; return the versions applied by this call.

    Uses a direct (session) connection: advisory locks do not survive a
    transaction-mode pooler.
    """
    migrations = shipped_migrations() if migrations is None else migrations
    applied_now: list[int] = []
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as conn:
        conn.execute("SET lock_timeout = '0'")
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            conn.execute(
                """
                CREATE TABLE IF NOT EXISTS gh_schema_migrations (
                    version    int PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
            )
            done = {
                row[0]: row[1]
                for row in conn.execute("SELECT version, checksum FROM gh_schema_migrations")
            }
            for migration in migrations:
                recorded = done.get(migration.version)
                if recorded is not None:
                    if recorded != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.version:04d}_{migration.name} was changed "
                            "after it was applied; add a new migration instead"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO gh_schema_migrations (version, name, checksum)"
                        " VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                log.info("migration_applied", version=migration.version, name=migration.name)
                applied_now.append(migration.version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied_now
