"""``ghosthands keys``: generate and rotate the secrets the service needs.

``keys generate`` prints a fresh ``GH_ENCRYPTION_KEY`` (32 bytes, base64);
``keys generate --webhook`` a fresh ``GH_WEBHOOK_SECRET`` (``whsec_<base64>``, the
Standard Webhooks form that signs callbacks); ``keys rotate`` re-encrypts stored
credentials and sessions under the first configured encryption key.
"""

from __future__ import annotations

import click

from ghosthands.browser.keys_commands import rotate
from ghosthands.callbacks.signing import generate_secret
from ghosthands.crypto import generate_key


@click.group()
def keys() -> None:
    """Generate and rotate secrets (encryption keys, webhook signing secrets)."""


@keys.command()
@click.option("--webhook", is_flag=True, help="A callback signing secret (GH_WEBHOOK_SECRET).")
def generate(webhook: bool) -> None:
    """Print a fresh GH_ENCRYPTION_KEY, or with --webhook a GH_WEBHOOK_SECRET."""
    click.echo(generate_secret() if webhook else generate_key())


keys.add_command(rotate)
