"""The ``shellgate`` command: the only module that imports click. Thin: it parses
arguments, calls the engine, and turns ShellgateError into ``shellgate: …`` lines."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import IO

import click

from shellgate.config import Config
from shellgate.engine import evaluate, evaluate_argv
from shellgate.errors import ShellgateError
from shellgate.parse.context import mapping_reader
from shellgate.report import decision_json, dumps, explain
from shellgate.rules.model import RuleSet


def _disk_reader(path: str) -> bytes | None:
    """Payload files are read from the working directory, bounded."""
    try:
        with open(path, "rb") as handle:
            return handle.read(8 * 1024 * 1024 + 1)
    except OSError:
        return None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_dir", type=click.Path(file_okay=False),
              help="Configuration directory (default ~/.config/shellgate of this user).")
@click.version_option(package_name="shellgate")
@click.pass_context
def cli(ctx: click.Context, config_dir: str | None) -> None:
    """Gate destructive shell commands behind a FIDO2 key touch."""
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
        shown, decision = command, evaluate(command, rules, _disk_reader)
    else:
        shown, decision = " ".join(argv), evaluate_argv(list(argv), rules, _disk_reader)
    click.echo(dumps(decision_json(shown, decision)) if as_json else explain(shown, decision))


@cli.command(context_settings={"ignore_unknown_options": True,
                               "allow_interspersed_args": False})
@click.argument("argv", nargs=-1, type=click.UNPROCESSED, required=True)
@click.pass_context
def run(ctx: click.Context, argv: tuple[str, ...]) -> None:
    """Decide on ARGV, then exec the real program (exit 126 when refused)."""
    from shellgate.classify.payload import STDIN_TOOLS
    from shellgate.execute import exec_real, find_real, read_stdin, stdin_is_data
    from shellgate.model import Stdin
    from shellgate.report import refusal_line

    rules = _rules(ctx)
    name = argv[0].rsplit("/", 1)[-1]
    data = read_stdin() if name in STDIN_TOOLS and stdin_is_data() else None
    stdin = Stdin(text=data.decode("utf-8", "surrogateescape")) if data is not None else Stdin()
    decision = evaluate_argv(list(argv), rules, _disk_reader, stdin)
    if decision.verdict != "allow":
        click.echo(refusal_line(decision), err=True)
        raise SystemExit(126)
    exec_real(find_real(argv[0], os.environ.get("PATH")), list(argv), data)


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
        reader = mapping_reader(files) if files is not None else _disk_reader
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


@cli.group()
def rules() -> None:
    """Inspect and lint the pattern files."""


@rules.command("list")
@click.pass_context
def rules_list(ctx: click.Context) -> None:
    """List every rule: id, action, severity, summary."""
    for rule in _rules(ctx.find_root()).rules:
        click.echo(f"{rule.id:45} {rule.action:5} {rule.severity:8} {rule.summary}")


@rules.command("check")
@click.pass_context
def rules_check(ctx: click.Context) -> None:
    """Load every pattern file strictly and run every rule's examples."""
    from shellgate.rules.selftest import run_examples

    ruleset = _rules(ctx.find_root())
    failures = run_examples(ruleset)
    for failure in failures:
        click.echo(failure, err=True)
    files = {r.source.split(":")[0] for r in ruleset.rules}
    click.echo(f"{len(ruleset.rules)} rules in {len(files)} files: "
               f"{'ok' if not failures else f'{len(failures)} example(s) failed'}")
    if failures:
        raise SystemExit(1)


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


if __name__ == "__main__":
    main()
