"""``ghosthands jobs ...``: operator and client commands about jobs."""

from __future__ import annotations

import click

from ghosthands.deploy.recover_cli import recover


@click.group()
def jobs() -> None:
    """Work with jobs: recover stuck ones (and, with the API client, submit and inspect)."""


jobs.add_command(recover)
