"""Encrypted site logins and saved browser sessions, per user and domain.

The only code that reads or writes ``gh_user_credentials`` and ``gh_browser_sessions``.
Every value is sealed with :class:`ghosthands.crypto.KeyRing`; the associated data
binds a ciphertext to its row and field (``credential:<user>:<domain>:password``), so a
blob copied into another row or column does not open.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from ghosthands.crypto import KeyRing
from ghosthands.db.pool import Database
from ghosthands.db.queries import load_queries
from ghosthands.logs import get_logger

log = get_logger(__name__)

Q = load_queries("ghosthands.db.sql", "credentials.sql")

#: How long a saved browser session is offered to later jobs.
SESSION_TTL = dt.timedelta(days=30)

_NIL = uuid.UUID(int=0)


def credential_context(user_id: uuid.UUID, domain: str, part: str) -> bytes:
    return f"credential:{user_id}:{domain}:{part}".encode()


def session_context(user_id: uuid.UUID, domain: str) -> bytes:
    return f"session:{user_id}:{domain}".encode()


class CredentialStore:
    """Loads and saves encrypted logins and sessions through the pool."""

    def __init__(self, db: Database, keyring: KeyRing) -> None:
        self.db = db
        self.keyring = keyring

    async def get_credentials(self, user_id: uuid.UUID, domain: str) -> tuple[str, str] | None:
        async with self.db.connection() as conn:
            cur = await conn.execute(Q.get_credentials, {"user_id": user_id, "domain": domain})
            row = await cur.fetchone()
        if row is None:
            return None
        username = self.keyring.decrypt(
            bytes(row["username_enc"]), credential_context(user_id, domain, "username")
        ).decode()
        password = self.keyring.decrypt(
            bytes(row["password_enc"]), credential_context(user_id, domain, "password")
        ).decode()
        return username, password

    async def save_credentials(
        self, user_id: uuid.UUID, domain: str, username: str, password: str
    ) -> None:
        params = {
            "user_id": user_id,
            "domain": domain,
            "username_enc": self.keyring.encrypt(
                username.encode(), credential_context(user_id, domain, "username")
            ),
            "password_enc": self.keyring.encrypt(
                password.encode(), credential_context(user_id, domain, "password")
            ),
            "key_id": self.keyring.primary_id,
        }
        async with self.db.connection() as conn:
            await conn.execute(Q.upsert_credentials, params)
        log.info("credentials_saved", user_id=str(user_id), domain=domain)

    async def load_session(self, user_id: uuid.UUID, domain: str) -> dict[str, Any] | None:
        async with self.db.connection() as conn:
            cur = await conn.execute(Q.get_session, {"user_id": user_id, "domain": domain})
            row = await cur.fetchone()
            if row is None:
                return None
            await conn.execute(Q.touch_session, {"user_id": user_id, "domain": domain})
        state: dict[str, Any] = json.loads(
            self.keyring.decrypt(bytes(row["storage_state_enc"]), session_context(user_id, domain))
        )
        return state

    async def save_session(self, user_id: uuid.UUID, domain: str, state: dict[str, Any]) -> None:
        blob = self.keyring.encrypt(
            json.dumps(state, separators=(",", ":")).encode(), session_context(user_id, domain)
        )
        async with self.db.connection() as conn:
            await conn.execute(
                Q.upsert_session,
                {
                    "user_id": user_id,
                    "domain": domain,
                    "storage_state_enc": blob,
                    "key_id": self.keyring.primary_id,
                    "expires_at": dt.datetime.now(dt.UTC) + SESSION_TTL,
                },
            )

    async def rotate(self, batch_size: int = 100) -> dict[str, int]:
        """Re-encrypt every row not sealed by the primary key, one batch per transaction.

        Rows sealed with any configured key are read; keys not configured fail loudly
        (DecryptionError) rather than leaving rows behind silently.
        """
        counts = {"credentials": 0, "sessions": 0}
        primary = self.keyring.primary_id
        after = _NIL
        while True:
            async with self.db.connection() as conn:
                cur = await conn.execute(
                    Q.credentials_to_rotate,
                    {"primary_key_id": primary, "after": after, "limit": batch_size},
                )
                rows = await cur.fetchall()
                for row in rows:
                    uid, domain = row["user_id"], row["domain"]
                    await conn.execute(
                        Q.rotate_credentials_row,
                        {
                            "id": row["id"],
                            "username_enc": self.keyring.reencrypt(
                                bytes(row["username_enc"]),
                                credential_context(uid, domain, "username"),
                            ),
                            "password_enc": self.keyring.reencrypt(
                                bytes(row["password_enc"]),
                                credential_context(uid, domain, "password"),
                            ),
                            "key_id": primary,
                        },
                    )
            counts["credentials"] += len(rows)
            if len(rows) < batch_size:
                break
            after = rows[-1]["id"]
        after = _NIL
        while True:
            async with self.db.connection() as conn:
                cur = await conn.execute(
                    Q.sessions_to_rotate,
                    {"primary_key_id": primary, "after": after, "limit": batch_size},
                )
                rows = await cur.fetchall()
                for row in rows:
                    await conn.execute(
                        Q.rotate_session_row,
                        {
                            "id": row["id"],
                            "storage_state_enc": self.keyring.reencrypt(
                                bytes(row["storage_state_enc"]),
                                session_context(row["user_id"], row["domain"]),
                            ),
                            "key_id": primary,
                        },
                    )
            counts["sessions"] += len(rows)
            if len(rows) < batch_size:
                break
            after = rows[-1]["id"]
        log.info("keys_rotated", **counts, key_id=primary)
        return counts
