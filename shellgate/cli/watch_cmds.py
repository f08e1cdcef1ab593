"""``shellgate watch`` (what waits for a touch, and what was decided) and ``shellgate wrap``
(start a hookless agent behind the restricted shell)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from shellgate.config import Config


@click.command()
@click.option("--once", is_flag=True, help="Print one snapshot and exit (for scripts).")
@click.option("--limit", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="How many recent decisions to show.")
@click.option("--interval", type=click.FloatRange(0.1, 60), default=0.5, show_default=True,
              help="Seconds between checks for changes.")
@click.pass_context
def watch(ctx: click.Context, once: bool, limit: int, interval: float) -> None:
    """List requests waiting for a key touch (command, rules, short hash) and recent
    decisions, refreshed live; compare the hash before you touch."""
    from shellgate.surfaces.watch import console

    config: Config = ctx.find_root().obj
    raise SystemExit(console(config, sys.stdout, once=once, limit=limit, interval=interval))


@click.command(context_settings={"ignore_unknown_options": True,
                                 "allow_interspersed_args": False})
@click.option("--shims-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Put this directory (written by `shellgate install --shims-dir`) first "
                   "on the agent's PATH.")
@click.argument("argv", nargs=-1, type=click.UNPROCESSED, required=True)
@click.pass_context
def wrap(ctx: click.Context, shims_dir: Path | None, argv: tuple[str, ...]) -> None:
    """Run an agent without hooks (Aider, Continue) with SHELL set to the restricted shell:
    shellgate wrap [--shims-dir DIR] -- AGENT-COMMAND…"""
    from shellgate.surfaces.hookless import exec_agent

    config: Config = ctx.find_root().obj
    exec_agent(config, list(argv), shims_dir)


def register(group: click.Group) -> None:
    """Add ``watch`` and ``wrap`` to the ``shellgate`` group."""
    group.add_command(watch)
    group.add_command(wrap)
