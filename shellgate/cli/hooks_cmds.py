"""``shellgate hook AGENT`` (answer an agent's pre-execution hook) and ``hook-install`` /
``hook-uninstall AGENT`` (write or remove shellgate's entry in that agent's config; the
``install``/``uninstall --agent`` commands call the same functions)."""

from __future__ import annotations

import os
import pwd
import sys
from pathlib import Path

import click

from shellgate.config import Config
from shellgate.errors import ConfigError


def user_home() -> Path:
    """The home directory from the password database (never $HOME, which agents set)."""
    try:
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError as exc:
        raise ConfigError("cannot find this user's home directory in the password "
                          "database") from exc


@click.command("hook")
@click.argument("agent")
@click.pass_context
def hook(ctx: click.Context, agent: str) -> None:
    """Answer AGENT's pre-execution hook: JSON on stdin, the agent's answer on stdout.

    Gated commands wait for a key touch; anything unreadable is refused. AGENT is one
    of: claude-code, codex, cursor, gemini, copilot, windsurf, cline, opencode."""
    from shellgate.surfaces.hooks.run import finish, main

    config: Config = ctx.find_root().obj
    finish(main(agent, lambda: config, str(config.directory)))


_home = click.option("--home", "home", type=click.Path(file_okay=False, path_type=Path),
                     hidden=True, help="Home directory to install into (tests).")


@click.command("hook-install")
@click.argument("agent", default="auto")
@click.option("--hook-timeout", type=click.IntRange(5, 3600), default=120, show_default=True,
              help="Hook timeout written into the agent's config, in seconds; shellgate "
              "answers well inside it.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@_home
@click.pass_context
def hook_install(ctx: click.Context, agent: str, hook_timeout: int, dry_run: bool,
                 home: Path | None) -> None:
    """Add shellgate's hook to AGENT's config (default: every agent found under the home
    directory): claude-code, codex, cursor, gemini, copilot, windsurf, cline, opencode.
    Replacing an installed entry needs a key touch."""
    from shellgate.install.agents import install_agent
    from shellgate.install.protect import approve_hook_change, replaces_entries

    config: Config = ctx.find_root().obj
    home = home or user_home()
    if not dry_run and replaces_entries(config, agent, home, sys.executable, hook_timeout):
        approve_hook_change(config, agent, home, "hook-install", sys.argv[1:])
    for line in install_agent(config, agent, home, dry_run, timeout=hook_timeout):
        click.echo(line)


@click.command("hook-uninstall")
@click.argument("agent", default="auto")
@_home
@click.pass_context
def hook_uninstall(ctx: click.Context, agent: str, home: Path | None) -> None:
    """Remove shellgate's hook from AGENT's config, restoring it byte for byte when it
    has not changed since (default: every agent shellgate installed into). Needs a touch
    of a key enrolled where the installed hook points."""
    from shellgate.install.agents import uninstall_agent
    from shellgate.install.protect import approve_hook_change

    config: Config = ctx.find_root().obj
    home = home or user_home()
    approve_hook_change(config, agent, home, "hook-uninstall", sys.argv[1:])
    for line in uninstall_agent(config, agent, home):
        click.echo(line)


def register(group: click.Group) -> None:
    """Add this module's commands to the `shellgate` group."""
    for command in (hook, hook_install, hook_uninstall):
        group.add_command(command)
