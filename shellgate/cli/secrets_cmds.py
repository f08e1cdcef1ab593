"""``shellgate secrets``: the credential vault (add, list, remove, rotate, scan, import).

Values are read from the terminal (hidden) or from stdin, never from argv or the
environment, and are never printed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from shellgate.config import Config
from shellgate.errors import ShellgateError


def _config(ctx: click.Context) -> Config:
    config: Config = ctx.find_root().obj
    return config


def _tell(line: str) -> None:
    click.echo(f"shellgate: {line}", err=True)


def read_value(name: str) -> bytes:
    """The value: typed at the terminal (hidden, twice) or piped on stdin."""
    if sys.stdin is not None and sys.stdin.isatty():
        text = click.prompt(f"value for {name}", hide_input=True, confirmation_prompt=True,
                            err=True)
        return str(text).encode("utf-8")
    data = sys.stdin.buffer.read(1 << 16) if sys.stdin is not None else b""
    if data.endswith(b"\n"):  # one line from echo/printf: the newline is not the value
        data = data[:-1]
        if data.endswith(b"\r"):
            data = data[:-1]
    return data


@click.group()
def secrets() -> None:
    """Secrets sealed to your keys, given only to the approved command that may use them."""


@secrets.command("add")
@click.argument("name")
@click.option("--for", "tools", required=True,
              help="Comma-separated tools that may receive it (e.g. railway,curl).")
@click.option("--host", "hosts", multiple=True,
              help="For HTTP clients (curl, wget, HTTPie, xh): a host it may be sent to.")
@click.option("--timeout", type=click.FloatRange(1, 600), help="Seconds to wait for a touch.")
@click.pass_context
def secrets_add(ctx: click.Context, name: str, tools: str, hosts: tuple[str, ...],
                timeout: float | None) -> None:
    """Seal NAME (value from the terminal or stdin) for --for TOOL[,TOOL…] [--host HOST…]."""
    from shellgate.guard import vault_service
    from shellgate.vault.store import check_name

    check_name(name)
    value = read_value(name)
    service = vault_service(_config(ctx), timeout=timeout)
    entry = service.add(name, tools.split(","), list(hosts), value, sys.argv[1:])
    click.echo(f"sealed {entry.describe()}")


@secrets.command("list")
@click.pass_context
def secrets_list(ctx: click.Context) -> None:
    """Names and where each may go; never values."""
    from shellgate.guard import vault_service

    service = vault_service(_config(ctx))
    vault = service.file()
    if vault is None or not vault.entries:
        click.echo("the vault is empty (add one with `shellgate secrets add NAME --for TOOL`)")
        return
    for entry in vault.entries:
        click.echo(entry.describe())
    click.echo(f"({len(vault.slots)} key slot(s), generation {vault.generation})")


@secrets.command("remove")
@click.argument("name")
@click.option("--timeout", type=click.FloatRange(1, 600), help="Seconds to wait for a touch.")
@click.pass_context
def secrets_remove(ctx: click.Context, name: str, timeout: float | None) -> None:
    """Remove NAME from the vault (one touch)."""
    from shellgate.guard import vault_service

    removed = vault_service(_config(ctx), timeout=timeout).remove(name, sys.argv[1:])
    click.echo(f"removed {removed.name}")


@secrets.command("rotate")
@click.option("--timeout", type=click.FloatRange(1, 600), help="Seconds to wait for a touch.")
@click.pass_context
def secrets_rotate(ctx: click.Context, timeout: float | None) -> None:
    """New data key; a slot for every enrolled key that can hold one (each new one is
    touched once), none for keys no longer enrolled. Run it after enrolling or removing a
    key."""
    from shellgate.guard import vault_service
    from shellgate.vault.service import slot_answer_from_key

    config = _config(ctx)
    service = vault_service(config, timeout=timeout)
    if service.file() is None:
        raise ShellgateError("there is no vault yet; `shellgate secrets add` creates it", 2)
    if config.state:  # hardened: only the broker can ask the keys
        from shellgate.broker.sealed_client import slot_answer_from_broker

        answer = slot_answer_from_broker(service.timeout, _tell)
    else:
        answer = slot_answer_from_key(config, service.timeout, _tell)
    report = service.rotate(sys.argv[1:], answer)
    click.echo(f"vault generation {report.generation}: {report.slots} key slot(s)")
    for short in report.added:
        click.echo(f"  new slot for key {short}")
    for short in report.dropped:
        click.echo(f"  dropped the slot of key {short} (no longer enrolled)")
    for short in report.missing:
        click.echo(f"  key {short} has no slot: U2F-only or no hmac-secret, or not plugged "
                   "in (plug it in and rotate again)")


@secrets.command("unlock")
@click.option("--for", "prefixes", multiple=True, required=True,
              help="A routine command prefix, e.g. 'railway status' (repeatable).")
@click.option("--hours", type=float, default=8.0, show_default=True,
              help="How long the lease lasts.")
@click.option("--timeout", type=click.FloatRange(1, 600), help="Seconds to wait for a touch.")
@click.pass_context
def secrets_unlock(ctx: click.Context, prefixes: tuple[str, ...], hours: float,
                   timeout: float | None) -> None:
    """Open a lease (one touch): allowed commands starting with a listed prefix get their
    secrets without a touch each until it expires or Ctrl-C. Run it in your own terminal;
    gated commands still need their own touch."""
    from shellgate.guard import vault_service
    from shellgate.vault.leasing import parse_prefixes, unlock

    config = _config(ctx)
    if config.state:  # hardened: the broker holds the lease; this returns at once
        import time

        from shellgate.broker.sealed_client import open_lease
        from shellgate.execute import find_program
        from shellgate.guard import _tell

        words = parse_prefixes(prefixes)
        programs = {w[0]: find_program(w[0]) for w in words}  # as a shim would find it
        reply = open_lease([list(w) for w in words], hours, programs,
                           timeout or config.approval_timeout, _tell)
        until = time.strftime("%H:%M", time.localtime(int(reply["until"])))
        click.echo(f"lease open until {until} for {', '.join(reply.get('secrets', []))}; "
                   "`shellgate secrets lock` ends it")
        return
    unlock(config, vault_service(config, timeout=timeout), prefixes, hours, sys.argv[1:])


@secrets.command("lock")
@click.pass_context
def secrets_lock(ctx: click.Context) -> None:
    """End your leases now (hardened mode; in personal mode press Ctrl-C in the terminal
    that holds the lease)."""
    config = _config(ctx)
    if not config.state:
        raise ShellgateError("in personal mode a lease lives in the terminal that opened it: "
                             "press Ctrl-C there", 2)
    from shellgate.broker.sealed_client import end_lease

    click.echo(f"{end_lease()} lease(s) ended")


def _home(home: str | None) -> Path:
    if home:
        return Path(home)
    import pwd

    return Path(pwd.getpwuid(os.getuid()).pw_dir)


@secrets.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--home", type=click.Path(file_okay=False),
              help="Home directory to check (default: this user's, from the password "
                   "database).")
@click.option("--no-env", is_flag=True, help="Do not check the environment.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per finding.")
def secrets_scan(paths: tuple[Path, ...], home: str | None, no_env: bool,
                 as_json: bool) -> None:
    """Find plaintext credentials an agent could read: the environment, .env and config
    files under PATH… (default: the current directory), shell history and CLI credential
    files. Exit status 1 when any is found. Values are never printed."""
    import json

    from shellgate.vault.scan import scan

    found = scan(list(paths) or [Path.cwd()], _home(home), None if no_env else os.environ)
    for finding in found:
        click.echo(json.dumps(finding.to_json()) if as_json else finding.text())
    if not as_json:
        click.echo(f"{len(found)} plaintext credential(s) found" + (
            "; move one into the vault with `shellgate secrets import FILE:LINE --name NAME "
            "--for TOOL`" if found else ""), err=True)
    raise SystemExit(1 if found else 0)


@secrets.command("import")
@click.argument("where")
@click.option("--name", required=True, help="The secret's name (the variable it is given as).")
@click.option("--for", "tools", required=True, help="Comma-separated tools that may receive it.")
@click.option("--host", "hosts", multiple=True, help="For HTTP clients: a host it may go to.")
@click.option("--key", "key", default=None, help="Which finding on that line (its key/rule).")
@click.option("--home", type=click.Path(file_okay=False), help="As for `secrets scan`.")
@click.option("--timeout", type=click.FloatRange(1, 600), help="Seconds to wait for a touch.")
@click.pass_context
def secrets_import(ctx: click.Context, where: str, name: str, tools: str,
                   hosts: tuple[str, ...], key: str | None, home: str | None,
                   timeout: float | None) -> None:
    """Move a credential `secrets scan` found (FILE:LINE or environment:NAME) into the
    vault, after you confirm, leaving the placeholder shellgate-vault:NAME in its place."""
    from shellgate.guard import vault_service
    from shellgate.vault.importer import find, replace_in_file
    from shellgate.vault.store import check_name

    check_name(name)
    finding = find(where, key, _home(home), os.environ)
    click.echo(f"{finding.text()}", err=True)
    if not click.confirm(f"move this {finding.provider} credential into the vault as {name} "
                         "and replace it with a placeholder?", default=False, err=True):
        raise ShellgateError("not imported", 1)
    service = vault_service(_config(ctx), timeout=timeout)
    entry = service.add(name, tools.split(","), list(hosts), finding.value.encode("utf-8"),
                        sys.argv[1:])
    click.echo(f"sealed {entry.describe()}")
    if finding.path == "environment":
        click.echo(f"now remove {finding.key} from where your shell sets it (it is still in "
                   "this environment)")
        return
    replace_in_file(finding, name)
    click.echo(f"{finding.where()} now says {finding_placeholder(name)}")


def finding_placeholder(name: str) -> str:
    """The text left where a value was."""
    from shellgate.vault.scan import PLACEHOLDER

    return PLACEHOLDER + name


def register(cli: click.Group) -> None:
    """Add the ``secrets`` group to the main command."""
    cli.add_command(secrets)
