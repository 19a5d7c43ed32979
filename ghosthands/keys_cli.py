"""``ghosthands keys``: generate and rotate the secrets the service needs.

``keys generate`` prints a fresh ``GH_ENCRYPTION_KEY`` (32 bytes, base64);
``keys generate --webhook`` a fresh ``GH_WEBHOOK_SECRET`` (``whsec_<base64>``, the
Standard Webhooks form that signs callbacks); ``keys rotate`` re-encrypts stored
credentials and sessions under the first configured encryption key.

Rotation: put the new key first in ``GH_ENCRYPTION_KEY`` (``new,old``), run
``ghosthands keys rotate`` (re-encrypts every credential and saved session under the new
key, in batches, while the old key keeps everything readable), then drop the old key.
"""

from __future__ import annotations

import sys

import anyio
import click

from ghosthands.config import EX_CONFIG, ConfigError, load_settings
from ghosthands.crypto import KeyRing, generate_key
from ghosthands.db.credentials import CredentialStore
from ghosthands.db.pool import Database
from ghosthands.signatures import generate_secret, user_secret


@click.group()
def keys() -> None:
    """Generate and rotate secrets (encryption keys, webhook signing secrets)."""


@keys.command()
@click.option("--webhook", is_flag=True, help="A callback signing secret (GH_WEBHOOK_SECRET).")
def generate(webhook: bool) -> None:
    """Print a fresh GH_ENCRYPTION_KEY, or with --webhook a GH_WEBHOOK_SECRET."""
    click.echo(generate_secret() if webhook else generate_key())


@keys.command("user-secret")
@click.argument("user_id", type=click.UUID)
def user_secret_command(user_id: object) -> None:
    """Print the secret that verifies callbacks of jobs USER_ID created themselves."""
    try:
        settings = load_settings()
        settings.require("webhook_secret")
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EX_CONFIG)
    assert settings.webhook_secret is not None
    click.echo(user_secret(settings.webhook_secret, user_id))


@keys.command("rotate")
@click.option("--batch-size", default=100, show_default=True, help="Rows per transaction.")
def rotate(batch_size: int) -> None:
    """Re-encrypt every stored credential and session under the first key."""
    try:
        settings = load_settings()
        settings.require("database_url", "encryption_keys")
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EX_CONFIG)
    keyring = KeyRing(settings.encryption_keys)

    async def main() -> dict[str, int]:
        db = Database(settings, pool_size=2, name="keys")
        await db.open()
        try:
            return await CredentialStore(db, keyring).rotate(batch_size)
        finally:
            await db.close()

    counts = anyio.run(main)
    click.echo(
        f"keys rotate: re-encrypted {counts['credentials']} credentials and "
        f"{counts['sessions']} sessions under key {keyring.primary_id}"
    )
