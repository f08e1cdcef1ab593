"""Commands registered on the `shellgate` group (filled in by the watch_cmds work)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this module's commands to the `shellgate` group."""
    del group
