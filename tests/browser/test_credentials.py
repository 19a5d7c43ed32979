"""Encrypted logins and sessions in the real database; `ghosthands keys` end to end."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest

from ghosthands.config import Settings
from ghosthands.crypto import DecryptionError, KeyRing
from ghosthands.db.credentials import CredentialStore
from ghosthands.db.pool import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(Settings(database_url=database_url), pool_size=2, name="test")
    await db.open()
    try:
        yield db
    finally:
        await db.close()


async def test_round_trip_and_nothing_in_clear(database: Database, database_url: str) -> None:
    store = CredentialStore(database, KeyRing([os.urandom(32)]))
    user = uuid.uuid4()
    await store.save_credentials(user, "jobs.example.com", "ada@example.com", "hunter2-secret")
    await store.save_session(
        user, "jobs.example.com", {"cookies": [{"name": "sid", "value": "s3cr3t"}]}
    )
    assert await store.get_credentials(user, "jobs.example.com") == (
        "ada@example.com",
        "hunter2-secret",
    )
    assert (await store.load_session(user, "jobs.example.com"))["cookies"][0]["value"] == "s3cr3t"
    assert await store.get_credentials(user, "other.example.com") is None
    with psycopg.connect(database_url) as conn:
        raw = conn.execute(
            "SELECT username_enc || password_enc FROM gh_user_credentials"
        ).fetchone()[0]
        session = conn.execute("SELECT storage_state_enc FROM gh_browser_sessions").fetchone()[0]
    assert b"hunter2" not in bytes(raw) and b"ada@" not in bytes(raw)
    assert b"s3cr3t" not in bytes(session)


async def test_tampered_wrong_key_and_wrong_context_all_fail(
    database: Database, database_url: str
) -> None:
    key = os.urandom(32)
    store = CredentialStore(database, KeyRing([key]))
    alice, bob = uuid.uuid4(), uuid.uuid4()
    await store.save_credentials(alice, "jobs.example.com", "alice", "alice-password")
    await store.save_credentials(bob, "jobs.example.com", "bob", "bob-password")

    # A wrong key: the blob names a key this ring does not have.
    with pytest.raises(DecryptionError, match="not configured"):
        await CredentialStore(database, KeyRing([os.urandom(32)])).get_credentials(
            alice, "jobs.example.com"
        )

    with psycopg.connect(database_url, autocommit=True) as conn:
        # Wrong associated data: Alice's password sealed into Bob's row does not open.
        conn.execute(
            "UPDATE gh_user_credentials SET password_enc = "
            "(SELECT password_enc FROM gh_user_credentials WHERE user_id = %s) WHERE user_id = %s",
            (alice, bob),
        )
    with pytest.raises(DecryptionError, match="integrity"):
        await store.get_credentials(bob, "jobs.example.com")

    with psycopg.connect(database_url, autocommit=True) as conn:
        # Tampered ciphertext: one flipped bit in the last byte (the tag).
        blob = bytearray(
            conn.execute(
                "SELECT password_enc FROM gh_user_credentials WHERE user_id = %s", (alice,)
            ).fetchone()[0]
        )
        blob[-1] ^= 0x01
        conn.execute(
            "UPDATE gh_user_credentials SET password_enc = %s WHERE user_id = %s",
            (bytes(blob), alice),
        )
    with pytest.raises(DecryptionError, match="integrity"):
        await store.get_credentials(alice, "jobs.example.com")


async def test_rotation_in_batches_keeps_everything_readable(
    database: Database, database_url: str
) -> None:
    old, new = os.urandom(32), os.urandom(32)
    old_store = CredentialStore(database, KeyRing([old]))
    users = [uuid.uuid4() for _ in range(23)]
    for i, user in enumerate(users):
        await old_store.save_credentials(user, "jobs.example.com", f"user{i}", f"password-{i}")
        await old_store.save_session(user, "jobs.example.com", {"cookies": [], "n": i})

    rotating = CredentialStore(database, KeyRing([new, old]))
    # During rotation both keys read everything.
    assert await rotating.get_credentials(users[5], "jobs.example.com") == ("user5", "password-5")
    counts = await rotating.rotate(batch_size=5)
    assert counts == {"credentials": 23, "sessions": 23}
    assert await rotating.rotate(batch_size=5) == {"credentials": 0, "sessions": 0}

    new_only = CredentialStore(database, KeyRing([new]))
    for i, user in enumerate(users):
        assert await new_only.get_credentials(user, "jobs.example.com") == (
            f"user{i}",
            f"password-{i}",
        )
        assert (await new_only.load_session(user, "jobs.example.com"))["n"] == i
    with psycopg.connect(database_url) as conn:
        key_ids = {r[0] for r in conn.execute("SELECT key_id FROM gh_user_credentials").fetchall()}
    assert key_ids == {KeyRing([new]).primary_id}
    with pytest.raises(DecryptionError):
        await CredentialStore(database, KeyRing([old])).get_credentials(
            users[0], "jobs.example.com"
        )


async def test_keys_cli_generate_and_rotate(
    database: Database, database_url: str, gh_process
) -> None:
    generated = gh_process("keys", "generate")
    assert generated.wait(30) == 0
    new_key = generated.output.strip().splitlines()[-1]
    assert len(base64.b64decode(new_key)) == 32

    old = os.urandom(32)
    user = uuid.uuid4()
    await CredentialStore(database, KeyRing([old])).save_credentials(user, "a.example", "u", "p")
    old_b64 = base64.b64encode(old).decode()
    rotate = gh_process(
        "keys", "rotate", DATABASE_URL=database_url, GH_ENCRYPTION_KEY=f"{new_key},{old_b64}"
    )
    assert rotate.wait(60) == 0, rotate.output
    assert "re-encrypted 1 credentials and 0 sessions" in rotate.output
    fresh = CredentialStore(database, KeyRing([base64.b64decode(new_key)]))
    assert await fresh.get_credentials(user, "a.example") == ("u", "p")
