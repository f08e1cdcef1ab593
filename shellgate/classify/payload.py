"""Payload findings: the SQL a database client runs, the HTTP request curl sends, the
GraphQL mutation inside its body.

The inspectors (``shellgate.payloads``) are imported only for commands that carry a
payload, so an ordinary allowed command pays nothing for SQL or GraphQL parsers.
"""

from __future__ import annotations

from shellgate.classify.core import core_finding
from shellgate.classify.globs import fnmatchcase
from shellgate.rules.ruleset import Rule, RuleSet
from shellgate.values import Command, Finding, Word

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from shellgate.payloads.sql.statements import PayloadFinding

if TYPE_CHECKING:
    ReadFile = Callable[[str], "bytes | None"]

_INTERACTIVE = "interactive session"


def argv_values(command: Command, dynamic_marker: str | None = None) -> list[str | None]:
    """The command's words; a run-time part becomes None, or its static prefix + marker."""
    values: list[str | None] = []
    for word in command.argv:
        if word.value is not None:
            values.append(word.value)
        elif dynamic_marker is not None and word.prefix:
            values.append(word.prefix + dynamic_marker)
        else:
            values.append(None)
    return values


def payload_findings(command: Command, name: str, rules: RuleSet,
                     read_file: ReadFile) -> list[Finding]:
    """Findings from the payload ``command`` carries (none for ordinary commands). What a
    tool carries and which argv model reads it come from the tool registry
    (``[tools.X] payload``/``reader``: ``shellgate.rules.registry``)."""
    from shellgate.classify import http_rules
    from shellgate.rules.registry import reader_of

    kind, reader = reader_of(rules, name)
    if kind in ("sql", "mongo", "redis"):
        if reader == "options":
            return _other_sql(command, name, rules, read_file)
        return _database(command, reader, [reader, *argv_values(command)[1:]], rules,
                         read_file)
    if name == "heroku" and len(command.argv) > 1 and command.argv[1].value == "pg:psql":
        return _database(command, "psql", ["psql", *_heroku_psql_args(command.argv[2:])],
                         rules, read_file)
    return http_rules.http_findings(command, name, rules, read_file)


def _database(command: Command, name: str, argv: list[str | None], rules: RuleSet,
              read_file: ReadFile) -> list[Finding]:
    from shellgate.payloads.databases.clients import db_payload

    payload = db_payload(name, argv, command.stdin.text, bool(command.stdin.opaque), read_file)
    if payload is None:
        return []
    found = kind_findings(command, payload.findings, rules)
    for reason in payload.opaque:
        if reason != _INTERACTIVE:
            found.append(core_finding("opaque-payload", f"{name}: {reason}", command.via))
    return found


def kind_findings(command: Command, items: Sequence[PayloadFinding],
                  rules: RuleSet) -> list[Finding]:
    """Map inspector findings (``sql.drop``, ``redis.flush``…) to ``on = "payload"`` rules."""
    found: list[Finding] = []
    for item in items:
        for rule in rules.targeting("payload"):
            if any(any(fnmatchcase(item.kind, p) for p in block.payload) for block in rule.matches):
                found.append(finding(rule, command, item.detail))
    return found


def _heroku_psql_args(words: Sequence[Word]) -> list[str | None]:
    out: list[str | None] = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word.value in ("-a", "--app", "-r", "--remote"):
            skip = True
            continue
        out.append(word.value)
    return out


def _other_sql(command: Command, name: str, rules: RuleSet,
               read_file: ReadFile) -> list[Finding]:
    """SQL for clients without a dedicated model: flagged option values, files, stdin."""
    from shellgate.payloads.sql.statements import classify_sql

    spec = rules.tool(name)
    path, sql_opts, file_opts = spec.sql_subcommand, spec.sql_options, spec.sql_file_options
    positional = spec.sql_positional
    words = argv_values(command)[1:]
    if tuple(words[: len(path)]) != path:
        return []
    words = words[len(path):]
    texts: list[str] = []
    opaque: list[str] = []
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else None
        if word in sql_opts or word in file_opts:
            if nxt is None:
                opaque.append(f"{word} value is only known at run time")
            elif word in sql_opts:
                texts.append(nxt)
            else:
                data = read_file(nxt)
                if data is None:
                    opaque.append(f"{nxt} is not visible")
                else:
                    texts.append(data.decode("utf-8", "replace"))
        elif word is not None and "=" in word and word.split("=", 1)[0] in sql_opts:
            texts.append(word.split("=", 1)[1])
        elif positional and word is not None and not word.startswith("-") and " " in word:
            texts.append(word)
    verb = name == "influx" and bool(words) and not (words[0] or "-").startswith("-")
    if verb:
        pass  # influx 2.x verbs (`influx bucket list`) read no InfluxQL from stdin
    elif not texts and command.stdin.text is not None:
        texts.append(command.stdin.text)
    elif not texts and command.stdin.opaque:
        opaque.append(command.stdin.opaque)
    items = [f for text in texts for f in classify_sql(text, spec.dialect or "generic")]
    found = kind_findings(command, items, rules)
    found.extend(core_finding("opaque-payload", f"{name}: {r}", command.via) for r in opaque)
    return found


def finding(rule: Rule, command: Command, detail: str) -> Finding:
    """A Finding for a payload or HTTP rule, with the payload detail as evidence."""
    return Finding(rule.id, rule.summary, rule.why, rule.severity, rule.action,
                   command=f"{command.show()[:200]}", via=command.via, evidence=detail)
