"""``ghosthands keys``: generate secrets the service needs.

``keys generate --webhook`` prints a fresh ``GH_WEBHOOK_SECRET`` (``whsec_<base64>``, the
Standard Webhooks form) that signs callbacks. Encryption-key commands join this group.
"""

from __future__ import annotations

import click

from ghosthands.callbacks.signing import generate_secret


@click.group()
def keys() -> None:
    """Generate and rotate secrets."""


@keys.command()
@click.option("--webhook", is_flag=True, help="A callback signing secret (GH_WEBHOOK_SECRET).")
def generate(webhook: bool) -> None:
    """Print a fresh secret on stdout."""
    if not webhook:
        raise click.UsageError("say which key to generate: --webhook")
    click.echo(generate_secret())
