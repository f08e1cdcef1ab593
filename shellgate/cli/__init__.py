"""The ``shellgate`` command: the only module that imports click. Thin: it parses
arguments, calls the engine, and turns ShellgateError into ``shellgate: …`` lines."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import click

from shellgate.config import Config
from shellgate.decide import decision_json, dumps, explain
from shellgate.engine import evaluate, evaluate_argv
from shellgate.errors import ShellgateError
from shellgate.fsutil import read_payload_file
from shellgate.parse.context import mapping_reader
from shellgate.rules.ruleset import RuleSet


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_dir", type=click.Path(file_okay=False),
              help="Configuration directory (default ~/.config/shellgate of this user).")
@click.version_option(package_name="shellgate")
@click.pass_context
def cli(ctx: click.Context, config_dir: str | None) -> None:
    """Gate destructive shell commands behind a FIDO2 key touch."""
    hardened_setup = os.geteuid() == 0 and "--hardened" in sys.argv \
        and ctx.invoked_subcommand in ("install", "uninstall")
    if hardened_setup or ctx.invoked_subcommand == "broker":
        # root repairing or removing hardened mode, or the broker (which checks the
        # install itself): a broken install must not stop them before they start
        try:
            ctx.obj = Config.at(config_dir)
        except ShellgateError:
            ctx.obj = None
        return
    ctx.obj = Config.at(config_dir)


def _rules(ctx: click.Context) -> RuleSet:
    config: Config = ctx.obj
    return config.rules()


@cli.command()
@click.option("-c", "command", help="A command line, as a shell would run it.")
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@click.argument("argv", nargs=-1)
@click.pass_context
def check(ctx: click.Context, command: str | None, as_json: bool, argv: tuple[str, ...]) -> None:
    """Explain the decision for -c STRING or for -- ARGV…"""
    if (command is None) == (not argv):
        raise click.UsageError("give exactly one of -c STRING or -- ARGV…")
    rules = _rules(ctx)
    if command is not None:
        shown, decision = command, evaluate(command, rules, read_payload_file,
                                           environ=os.environ)
    else:
        shown, decision = " ".join(argv), evaluate_argv(list(argv), rules, read_payload_file,
                                                       environ=os.environ)
    click.echo(dumps(decision_json(shown, decision)) if as_json else explain(shown, decision))


@cli.command(context_settings={"ignore_unknown_options": True,
                               "allow_interspersed_args": False})
@click.option("--timeout", type=click.FloatRange(1, 600),
              help="Seconds to wait for a key touch (default: approval_timeout, 60).")
@click.option("--secret", "requested", multiple=True,
              help="Give the program this vault secret (refused unless its policy allows); "
                   "without it, every secret whose policy names the program is given.")
@click.argument("argv", nargs=-1, type=click.UNPROCESSED, required=True)
@click.pass_context
def run(ctx: click.Context, timeout: float | None, requested: tuple[str, ...],
        argv: tuple[str, ...]) -> None:
    """Decide on ARGV, get a key touch if it is gated (or receives vault secrets: the same
    touch unlocks them), then exec the real program with them in its environment only."""
    import shlex

    from shellgate.errors import ConfigError, RuleFileError
    from shellgate.execute import exec_real, find_program
    from shellgate.guard import Ask, decide_argv, guard
    from shellgate.surfaces.procs import detect_agent

    config: Config = ctx.obj
    try:
        rules = config.rules()
    except (RuleFileError, ConfigError) as exc:  # the command is refused (126), not misused
        raise ShellgateError(f"{exc.message}; not run") from exc
    data, decision, redecide = decide_argv(list(argv), rules, read_payload_file)
    from shellgate.guard import vault_service

    seconds = timeout or config.approval_timeout
    command, agent = shlex.join(argv), detect_agent()
    program = find_program(argv[0])  # skips shim files, in directories marked or not
    if config.state:  # hardened: the broker's runner starts it when it gets a secret
        from shellgate.broker.sealed_client import run_sealed
        from shellgate.guard import _tell

        status = run_sealed(argv=list(argv), program=program, files=[
            p for p, _ in decision.files], stdin_data=data, agent=agent, timeout=seconds,
            tell=_tell, requested=list(requested), redeem=False)
        if status is not None:
            raise SystemExit(status)
        exec_real(program, list(argv), data)  # approved, no secret: the file it checked
    from shellgate.vault.leasing import try_lease

    leased = try_lease(config, list(argv), decision.verdict, data is not None) \
        if not requested else None
    if leased is not None:  # a live lease ran it: no touch, no value in this process
        raise SystemExit(leased)
    values, _ = vault_service(config, timeout=seconds, agent=agent).secrets_for_run(
        list(argv), command, decision, redecide, requested, program)
    if not values:  # a command that receives secrets was approved (and unlocked) above
        guard(config, Ask(command, tuple(argv), redecide, asker=lambda: agent,
                          timeout=seconds), decision)
    from shellgate.vault.headers import curl_argv

    exec_real(program, curl_argv(list(argv), values), data, values)


@cli.command()
@click.option("--soft", "soft_file", type=click.Path(dir_okay=False),
              help="Enrol a software key kept in this JSON file (tests and demos only).")
@click.option("--label", default="", help="A name for the key in `shellgate keys`.")
@click.option("--timeout", type=click.FloatRange(1, 600), help="Seconds to wait for a touch.")
@click.pass_context
def enroll(ctx: click.Context, soft_file: str | None, label: str, timeout: float | None) -> None:
    """Enrol a FIDO2 key (touch it when asked); later keys need an enrolled key's approval."""
    from shellgate.install.keys import enroll as do_enroll

    config: Config = ctx.obj
    credential = do_enroll(config, label, soft_file, timeout or config.approval_timeout,
                           sys.argv[1:])
    kind = "software key" if credential.kind == "soft" else "key"
    click.echo(f"enrolled {kind} {credential.short_id} ({credential.label})")
    if credential.protocol == "u2f" or not credential.hmac_secret:
        what = "a U2F-only key" if credential.protocol == "u2f" else "a key without hmac-secret"
        click.echo(f"note: this is {what}: it can approve commands but cannot hold a slot "
                   "in the secrets vault")
    elif (config.directory / "vault.json").exists():
        click.echo("note: run `shellgate secrets rotate` to give this key a slot in the "
                   "secrets vault")


@cli.group(invoke_without_command=True)
@click.pass_context
def keys(ctx: click.Context) -> None:
    """List enrolled keys (``keys remove ID`` removes one, with an enrolled key's approval)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(keys_list)


@keys.command("list")
@click.pass_context
def keys_list(ctx: click.Context) -> None:
    """List enrolled keys."""
    from shellgate.approve.keystore import KeyStore

    config: Config = ctx.find_root().obj
    credentials = KeyStore(config.keys_path).load()
    if not credentials:
        click.echo("no key enrolled: run `shellgate enroll` with a FIDO2 key plugged in")
    for cred in credentials:
        kind = "SOFTWARE" if cred.kind == "soft" else cred.protocol
        click.echo(f"{cred.short_id}  {kind:8}  counter {cred.sign_count:<6} {cred.label}")


@keys.command("remove")
@click.argument("key_id")
@click.option("--timeout", type=click.FloatRange(1, 600), help="Seconds to wait for a touch.")
@click.pass_context
def keys_remove(ctx: click.Context, key_id: str, timeout: float | None) -> None:
    """Remove an enrolled key (an enrolled key must approve)."""
    from shellgate.install.keys import remove

    config: Config = ctx.find_root().obj
    removed = remove(config, key_id, timeout or config.approval_timeout, sys.argv[1:])
    click.echo(f"removed key {removed.short_id} ({removed.label})")


@cli.command()
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), hidden=True,
              help="Home directory whose agents to check (tests).")
@click.pass_context
def doctor(ctx: click.Context, home: Path | None) -> None:
    """Report configuration, rules, enrolled keys, reachable hardware keys, and for each
    agent: its hook entry, its version's fail-closed facts, and what it would see from
    the installed hook (probed once with an allowed and a gated input)."""
    from shellgate.cli.hooks_cmds import user_home
    from shellgate.install.doctor import report

    lines, problems = report(ctx.obj, home or user_home())
    for line in lines:
        click.echo(line)
    raise SystemExit(1 if problems else 0)


@cli.group("audit")
def audit_group() -> None:
    """Check and read the audit trail."""


@audit_group.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Re-check the hash chain and every approval signature against the enrolled keys."""
    from shellgate.approve.keystore import KeyStore
    from shellgate.audit import trail as audit

    config: Config = ctx.find_root().obj
    report = audit.verify(config.audit_path, KeyStore(config.keys_path).load())
    torn = " (a torn last line from an interrupted write was ignored)" if report.torn_tail else ""
    if report.ok:
        click.echo(f"audit ok: {report.records} records verify{torn}")
        return
    click.echo(f"audit FAILED at record {report.first_bad}: {report.reason}", err=True)
    raise SystemExit(1)


@audit_group.command("show")
@click.option("--limit", type=int, default=None, help="Only the last N records.")
@click.pass_context
def audit_show(ctx: click.Context, limit: int | None) -> None:
    """Print a readable history."""
    from shellgate.audit import trail as audit

    config: Config = ctx.find_root().obj
    for line in audit.show(config.audit_path, limit):
        click.echo(line)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "text"]), default="jsonl",
              show_default=True)
@click.argument("source", type=click.File("r", encoding="utf-8", errors="surrogateescape"),
                default="-")
@click.pass_context
def scan(ctx: click.Context, fmt: str, source: IO[str]) -> None:
    """Decide on many commands: JSON Lines with a "cmd" string, or plain lines."""
    rules = _rules(ctx)
    for cmd, files in _scan_inputs(source):
        reader = mapping_reader(files) if files is not None else read_payload_file
        decision = evaluate(cmd, rules, reader)
        if fmt == "jsonl":
            click.echo(dumps(decision_json(cmd, decision, full=False)
                             | {"reasons": [f.summary for f in decision.findings]}))
        else:
            click.echo(f"{decision.verdict}\t{','.join(decision.rule_ids)}\t{cmd}")


def _scan_inputs(source: IO[str]) -> Iterator[tuple[str, dict[str, str] | None]]:
    for line in source:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            if isinstance(item, dict) and isinstance(item.get("cmd"), str):
                files = item.get("files")
                yield item["cmd"], files if isinstance(files, dict) else None
                continue
        yield line, None


def _register_modules() -> None:
    from shellgate.cli import (
        hardened_cmds,
        hooks_cmds,
        install_cmds,
        rules_cmds,
        secrets_cmds,
        watch_cmds,
    )

    for module in (install_cmds, hooks_cmds, watch_cmds, secrets_cmds, hardened_cmds, rules_cmds):
        module.register(cli)


_register_modules()


def main() -> None:
    """Console entry point: every ShellgateError becomes one ``shellgate: …`` line."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except click.Abort:
        click.echo("shellgate: cancelled", err=True)
        raise SystemExit(130) from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except ShellgateError as exc:
        click.echo(f"shellgate: {exc.message}", err=True)
        raise SystemExit(exc.exit_code) from None
    except Exception as exc:  # an internal error refuses (126); it never runs anything
        click.echo(f"shellgate: internal error, refusing: {type(exc).__name__}: {exc}",
                   err=True)
        raise SystemExit(126) from None


if __name__ == "__main__":
    main()
