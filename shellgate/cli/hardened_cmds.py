"""Hardened mode on the command line: ``install --hardened --user NAME`` and
``uninstall --hardened`` (their options are added to ``install``/``uninstall``), and
``shellgate broker``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from shellgate.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def register(group: click.Group) -> None:
    """Add ``broker`` to the `shellgate` group."""
    group.add_command(broker)


def _layout(root: str | None, broker_user: str | None, runner_user: str | None) -> Any:
    from shellgate.hardened.layout import Layout

    broker, runner = broker_user or "shellgate-broker", runner_user or "shellgate-run"
    if root:
        return Layout.under(Path(os.path.abspath(root)), broker, runner)
    return Layout(broker_user=broker, runner_user=runner)


def install_options(command: F) -> F:
    """The ``--hardened`` options of ``shellgate install``."""
    for option in reversed([
            click.option("--hardened", is_flag=True,
                         help="As root: install hardened mode for --user (root-owned code, "
                         "policy and keys; a broker approves and records)."),
            click.option("--user", "hardened_user", help="The user hardened mode guards."),
            click.option("--keys", "keys_file", type=click.Path(dir_okay=False, exists=True),
                         help="Copy hardware keys from this keys.json into the policy."),
            click.option("--systemd/--no-systemd", "systemd", default=None,
                         help="Install and start the broker's units (default: if systemd "
                         "runs here)."),
            click.option("--layout-root", hidden=True, type=click.Path(file_okay=False)),
            click.option("--broker-user", hidden=True),
            click.option("--runner-user", hidden=True)]):
        command = option(command)
    return command


def uninstall_options(command: F) -> F:
    """The ``--hardened`` options of ``shellgate uninstall``."""
    for option in reversed([
            click.option("--hardened", is_flag=True, help="As root: remove hardened mode."),
            click.option("--layout-root", hidden=True, type=click.Path(file_okay=False)),
            click.option("--broker-user", hidden=True),
            click.option("--runner-user", hidden=True)]):
        command = option(command)
    return command


def hardened_install(user: str | None, keys_file: str | None, systemd: bool | None,
                     layout_root: str | None, broker_user: str | None,
                     runner_user: str | None) -> None:
    """``shellgate install --hardened --user NAME``."""
    from shellgate.install.hardened import SetupError, install

    if not user:
        raise SetupError("--hardened needs --user NAME (the user whose agents are guarded)")
    layout = _layout(layout_root, broker_user, runner_user)
    for line in install(layout, user, Path(keys_file) if keys_file else None, systemd):
        click.echo(line)
    click.echo(f"hardened mode installed for {user}; `shellgate doctor` (as {user}) checks it")


def hardened_uninstall(layout_root: str | None, broker_user: str | None,
                       runner_user: str | None) -> None:
    """``shellgate uninstall --hardened``."""
    from shellgate.install.hardened import uninstall

    for line in uninstall(_layout(layout_root, broker_user, runner_user), quiet=True):
        click.echo(line)


@click.command()
@click.option("--test-key", type=click.Path(dir_okay=False),
              help="TESTS ONLY: accept this software key (owned by the broker user, mode "
              "0600; only a broker started by root can take it).")
def broker(test_key: str | None) -> None:
    """Run the hardened-mode broker in the foreground (where there is no systemd)."""
    from shellgate.broker.server import main
    from shellgate.hardened.state import marker_path

    marker = marker_path()
    if marker is None:
        raise ConfigError("hardened mode is not installed here "
                          "(`sudo shellgate install --hardened --user NAME`)")
    from shellgate.hardened.state import load

    layout = load(marker).layout
    print(f"shellgate broker: policy {layout.etc}, state {layout.state}", file=sys.stderr)
    main(layout, test_key)
