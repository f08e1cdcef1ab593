"""``shellgate rules …``: list, check, explain, test, accept and suggest the policy's rules
(``shellgate.rules.policy`` for the layers, ``shellgate.rules.accept`` for the touch)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from shellgate.config import Config
from shellgate.errors import ShellgateError
from shellgate.rules.policy import Change, Policy


def _config(ctx: click.Context) -> Config:
    config: Config = ctx.find_root().obj
    return config


def _policy(config: Config, draft: str | None = None) -> Policy:
    """The pattern files themselves (never the compiled cache), with their examples; a
    ``draft`` file is read as a user file accepted as it is."""
    from shellgate.rules.index import layer_files
    from shellgate.rules.policy import compile_policy

    layers = layer_files(config.root, os.getcwd())
    extra = None
    if draft is not None:
        path = os.path.realpath(draft)
        layers = [(p, layer) for p, layer in layers if os.path.realpath(p) != path]
        extra = [(path, "user")]
    return compile_policy(layers, config.accepted, extra)


def _changes(changes: list[Change]) -> list[str]:
    return [f"  {c.kind:12} {c.target:38} {c.detail}\n      from {c.source}: {c.state}"
            for c in changes]


@click.group()
def rules() -> None:
    """Inspect, lint, try and tune the pattern files."""


@rules.command("list")
@click.pass_context
def rules_list(ctx: click.Context) -> None:
    """Every rule in force (id, action, severity, where it comes from, summary), then every
    change user and project files make, and whether it applies."""
    policy = _policy(_config(ctx))
    for rule in policy.rules.rules:
        click.echo(f"{rule.id:45} {rule.action:5} {rule.severity:8} {rule.summary}  "
                   f"[{rule.source}]")
    for info in policy.files:
        state = "" if info.layer == "project" else f", {info.acceptance}"
        click.echo(f"{info.layer} file {info.path} (sha256 {info.digest[:12]}{state})")
    if policy.changes:
        click.echo("changes:")
        for line in _changes(policy.changes):
            click.echo(line)
    for warning in policy.warnings():
        click.echo(f"shellgate: warning: {warning}", err=True)


@rules.command("check")
@click.pass_context
def rules_check(ctx: click.Context) -> None:
    """Load every pattern file strictly and run every rule's examples."""
    from shellgate.engine import run_examples

    policy = _policy(_config(ctx))
    ruleset = policy.rules
    failures = run_examples(ruleset)
    for failure in failures:
        click.echo(failure, err=True)
    files = {r.source.split(":")[0] for r in ruleset.rules}
    click.echo(f"{len(ruleset.rules)} rules in {len(files)} files: "
               f"{'ok' if not failures else f'{len(failures)} example(s) failed'}")
    for warning in policy.warnings():
        click.echo(f"shellgate: warning: {warning}", err=True)
    if failures:
        raise SystemExit(1)


@rules.command("explain")
@click.argument("rule_id")
@click.pass_context
def rules_explain(ctx: click.Context, rule_id: str) -> None:
    """Print a rule, its examples, and the overrides and exceptions that touch it."""
    from shellgate.cli.rules_explain import explain_rule

    for line in explain_rule(_policy(_config(ctx)), rule_id):
        click.echo(line)


@rules.command("test")
@click.option("-c", "command", required=True, help="A command line, as a shell would run it.")
@click.option("--with", "draft", type=click.Path(dir_okay=False, exists=True),
              help="A draft pattern file, read as if accepted.")
@click.pass_context
def rules_test(ctx: click.Context, command: str, draft: str | None) -> None:
    """Show the decision for -c CMD here, with and without a draft file."""
    from shellgate.engine import evaluate
    from shellgate.fsutil import read_payload_file
    from shellgate.rules.where import edge_where

    config = _config(ctx)
    runs = [("now", None)] + ([(f"with {draft} (as if accepted)", draft)] if draft else [])
    for label, path in runs:
        ruleset = _policy(config, path).rules
        ruleset.where = edge_where() if ruleset.exceptions else None
        decision = evaluate(command, ruleset, read_payload_file)
        click.echo(f"{label}: {decision.verdict}")
        for finding in decision.findings:
            click.echo(f"  {finding.rule_id} ({finding.severity}, {finding.action}): "
                       f"{finding.summary}\n    matched: {finding.command}  [{finding.evidence}]")
        for finding in decision.waived:
            click.echo(f"  {finding.rule_id} waived by {finding.evidence}: {finding.command}")


@rules.command("accept")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--timeout", type=click.FloatRange(1, 600), help="Seconds to wait for a touch.")
@click.pass_context
def rules_accept(ctx: click.Context, file: str, timeout: float | None) -> None:
    """Accept a user pattern file's weakening entries with a key touch (any later edit sets
    them aside until accepted again)."""
    from shellgate.install.policy import accept, user_file

    config = _config(ctx)
    path = str(user_file(config, file))
    policy = _policy(config)
    mine = [c for c in policy.changes if c.weakens and c.source.startswith(path + ":")]
    expired = [c for c in mine if c.state.startswith("ignored: expired")]
    if expired:
        raise ShellgateError(f"{expired[0].source}: the exception for {expired[0].target} has "
                             "expired; remove it or give it a later date, then accept", 2)
    if not mine:
        raise ShellgateError(f"nothing in {path} weakens the policy: its rules and tightening "
                             "overrides already apply without acceptance", 2)
    click.echo(f"{path} weakens the policy with {len(mine)} change(s):")
    for line in _changes(mine):
        click.echo(line.split("\n")[0])
    shown = [f"{c.kind} {c.target} ({c.detail})" for c in mine]
    digest = accept(config, path, timeout or config.approval_timeout, shown)
    click.echo(f"accepted {path} (sha256 {digest}); editing the file sets these changes "
               "aside until it is accepted again")


@rules.command("suggest")
@click.option("--min", "minimum", type=click.IntRange(2, 1000), default=3, show_default=True,
              help="Approvals of one rule in one directory needed for a suggestion.")
@click.option("--output", type=click.Path(dir_okay=False),
              help="Write the draft here instead of printing it (never into effect by itself).")
@click.pass_context
def rules_suggest(ctx: click.Context, minimum: int, output: str | None) -> None:
    """Propose scoped exceptions for commands a human approved repeatedly, as a draft file
    to review, try (`rules test --with`) and accept."""
    import time

    from shellgate.audit import trail as audit
    from shellgate.rules.suggest import draft, suggest
    from shellgate.rules.where import real_home

    config = _config(ctx)
    records = audit.read(config.audit_path)
    home = real_home()
    text = draft(suggest(records, home, minimum), home, len(records), time.time())
    if output is None:
        click.echo(text, nl=False)
        return
    target = Path(output)
    if target.exists():
        raise ShellgateError(f"{output} exists; choose a new file for the draft", 2)
    target.write_text(text, encoding="utf-8")
    click.echo(f"draft written to {output}: review it, try it with `shellgate rules test -c "
               f"CMD --with {output}`, then move it into {config.patterns_dir}/ and accept it")


def register(group: click.Group) -> None:
    """Add the ``rules`` group to the top-level command."""
    group.add_command(rules)
