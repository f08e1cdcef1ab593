"""``shellgate install`` and ``shellgate uninstall`` (the work is in
``shellgate.install.shims``)."""

from __future__ import annotations

import os
import pwd
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from shellgate.cli import hardened_cmds
from shellgate.config import Config
from shellgate.errors import ShellgateError
from shellgate.install.shims import Plan
from shellgate.rules.ruleset import RuleSet
from shellgate.surfaces.hooks.dialect import HOOK_TIMEOUT


def register(group: click.Group) -> None:
    """Add this module's commands to the `shellgate` group."""
    group.add_command(install)
    group.add_command(uninstall)


def _home(option: str | None) -> Path:
    """The user's home from the password database (``--home`` only for tests), never $HOME."""
    if option:
        return Path(os.path.abspath(option))
    try:
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError as exc:
        raise ShellgateError("cannot find this user's home directory in the password "
                             "database", 2) from exc


def _config(ctx: click.Context, home: str | None) -> Config:
    """``--config DIR`` when given; with only ``--home``, that home's ``.config/shellgate``."""
    if home and not ctx.find_root().params.get("config_dir"):
        return Config.at(_home(home) / ".config" / "shellgate")
    config: Config = ctx.find_root().obj
    return config


def _missing(directory: Path) -> list[str]:
    missing = []
    while not directory.exists():
        missing.append(str(directory))
        directory = directory.parent
    return missing


def _rules(config: Config, dry_run: bool) -> RuleSet:
    """The rules; a dry run reads the pattern files without writing the rule cache."""
    return config.rules(write_cache=not dry_run)


def _approve(config: Config, what: str) -> None:
    """Weakening an installation is a gated command once a key is enrolled."""
    from shellgate.approve.keystore import KeyStore

    if not KeyStore(config.keys_path).load():
        return
    from shellgate.classify.core import core_finding
    from shellgate.decide import decide
    from shellgate.guard import Ask, guard
    from shellgate.surfaces.procs import detect_agent

    argv = ["shellgate", *sys.argv[1:]]
    command = shlex.join(argv)
    decision = decide([core_finding("self-protection", f"{what}: {command}")])
    guard(config, Ask(command, tuple(argv), lambda: decision, asker=detect_agent))


@click.command()
@click.option("--shims-dir", type=click.Path(file_okay=False),
              help="Where to write the shims (default ~/.local/share/shellgate/shims).")
@click.option("--tools", help="Comma-separated tools to shim (default: every tool an enabled "
              "rule names, database/HTTP clients, sudo/doas/ssh; never shells or python).")
@click.option("--no-shell-config", is_flag=True,
              help="Write the shims only; leave shell startup files alone.")
@click.option("--no-agent-config", is_flag=True, help="Touch no agent configuration file.")
@click.option("--agent", "agents", multiple=True,
              help="Also install the pre-execution hook into this agent's config "
              "(claude-code, codex, cursor, gemini, copilot, windsurf, cline, opencode, auto).")
@click.option("--hook-timeout", type=click.IntRange(5, 3600), default=HOOK_TIMEOUT,
              show_default=True, help="Hook timeout written into the agents' configs, in "
              "seconds; shellgate answers well inside it.")
@click.option("--dry-run", is_flag=True, help="Print what would change and change nothing.")
@click.option("--home", type=click.Path(file_okay=False), hidden=True)
@hardened_cmds.install_options
@click.pass_context
def install(ctx: click.Context, /, shims_dir: str | None, tools: str | None,
            no_shell_config: bool, no_agent_config: bool, agents: tuple[str, ...],
            hook_timeout: int, dry_run: bool, home: str | None,
            **hardened: Any) -> None:
    """Write a shim per guarded tool and put the shims first on PATH for bash and zsh;
    with --agent, also install that agent's pre-execution hook."""
    from shellgate.install.shims import apply, default_tools, parse_tools, plan_install

    if hardened.pop("hardened"):
        hardened_cmds.hardened_install(hardened.pop("hardened_user"), **hardened)
        return
    config = _config(ctx, home)
    home_dir = _home(home)
    shims = Path(os.path.abspath(shims_dir)) if shims_dir else \
        home_dir / ".local" / "share" / "shellgate" / "shims"
    config_dirs = _missing(config.directory)
    names = parse_tools(tools) if tools else default_tools(_rules(config, dry_run))
    plan = plan_install(config, home_dir, shims, names, sys.executable,
                        shell_config=not no_shell_config, agent_config=not no_agent_config,
                        config_dirs=config_dirs)
    if dry_run:
        for line in describe(plan) or ["nothing would change"]:
            click.echo(line)
        return
    if plan.weakens:
        _approve(config, "replaces an installation and takes shims or PATH entries away")
    apply(plan)
    for line in plan.notes:
        click.echo(f"note: {line}")
    rc = [p for p, e in (plan.manifest or {}).get("files", {}).items() if e["kind"] == "rc"]
    click.echo(f"shellgate: {len(names)} shims and {Path(shims, 'shellgate-sh')} in {shims} "
               f"(config {config.directory})")
    if rc:
        click.echo(f"PATH: the shims come first in new shells via {', '.join(rc)}")
        click.echo("Open a new terminal and start agents from it: an agent keeps the PATH it "
                   "was started with (Claude Code freezes it in its shell snapshot).")
    else:
        click.echo(f"PATH: put {shims} first on PATH yourself (no startup file was changed)")
    if not no_agent_config:
        for agent in agents:
            for line in _agent_hooks(config, agent, home_dir, install=True,
                                     timeout=hook_timeout):
                click.echo(line)


@click.command()
@click.option("--dry-run", is_flag=True, help="Print what would change and change nothing.")
@click.option("--home", type=click.Path(file_okay=False), hidden=True)
@hardened_cmds.uninstall_options
@click.pass_context
def uninstall(ctx: click.Context, /, dry_run: bool, home: str | None, **hardened: Any) -> None:
    """Remove the shims and restore every file install changed (needs a key touch)."""
    from shellgate.install.shims import apply, plan_uninstall

    if hardened.pop("hardened"):
        hardened_cmds.hardened_uninstall(**hardened)
        return
    config = _config(ctx, home)
    plan = plan_uninstall(config)
    if dry_run or not plan.manifest_path.exists():
        for line in describe(plan) or ["nothing would change"]:
            click.echo(line)
        return
    _approve(config, "removes shellgate's shims and PATH entries from the agent's shells")
    apply(plan)
    for line in describe(plan, "did"):
        click.echo(line)
    for line in _agent_hooks(config, "auto", _home(home), install=False):
        click.echo(line)


def _agent_hooks(config: Config, agent: str, home: Path, install: bool,
                 timeout: int = HOOK_TIMEOUT) -> list[str]:
    """Install or remove agent hook entries (shellgate/install/agents.py)."""
    from shellgate.install.agents import install_agent, uninstall_agent
    from shellgate.install.protect import approve_hook_change, replaces_entries

    if install:
        if replaces_entries(config, agent, home, sys.executable, timeout):
            approve_hook_change(config, agent, home, "install --agent", sys.argv[1:])
        return install_agent(config, agent, home, timeout=timeout)
    return uninstall_agent(config, agent, home)


def describe(plan: Plan, verb: str = "would") -> list[str]:
    """One line per change (all shims on one line), then the plan's notes."""
    lines = [f"{verb} create directory {d}" for d in plan.mkdirs]
    shims = [c for c in plan.changes if c.kind in ("shim", "marker")]
    derived = [c.path for c in plan.changes if c.kind == "derived"]
    written = [c.what for c in shims if c.after is not None and c.kind == "shim"]
    removed = [Path(c.path).name for c in shims if c.after is None]
    if written:
        where = Path(shims[0].path).parent
        lines.append(f"{verb} write {len(written)} shim(s) into {where}: {', '.join(written)}")
    if removed:
        lines.append(f"{verb} remove {len(removed)} shim file(s): {', '.join(removed)}")
    actions = {"restore": "restore", "unmark": "remove the shellgate block from",
               "remove": "delete"}
    for change in plan.changes:
        if change.kind != "rc":
            continue
        if change.what in actions:
            action = actions[change.what]
            if change.what == "restore" and change.after is None:
                action = "delete (shellgate created it)"
            lines.append(f"{verb} {action} {change.path}")
        else:
            lines.append(f"{verb} put the shims first on PATH in {change.path} ({change.what})")
    lines += [f"{verb} delete {p} (derived from the pattern files)" for p in derived]
    lines += [f"{verb} remove directory {d} (if empty)" for d in plan.rmdirs]
    if plan.manifest is not None and (plan.changes or plan.mkdirs):
        lines.append(f"{verb} record the installation in {plan.manifest_path}")
    elif plan.manifest is None and (plan.changes or plan.rmdirs):
        lines.append(f"{verb} delete {plan.manifest_path}")
    return lines + plan.notes
