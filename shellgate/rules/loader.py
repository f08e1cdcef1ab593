"""Strict loader for pattern files: a broken file stops shellgate, it never runs with fewer
rules. Errors read ``file:line rule 'id' key 'k': expected X, got Y``."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from shellgate.errors import RuleFileError
from shellgate.rules.ruleset import SEVERITIES, TARGETS, Match, Rule, RuleSet, Style, ToolSpec
from shellgate.values import Verdict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_RULE_KEYS = {"id", "summary", "why", "severity", "action", "tool", "on", "command",
              "options_with_value", "match", "examples", "known_gaps", "except_tools"}
_TOOL_KEYS = {"options_with_value", "abbreviations", "style", "help_flags", "aliases", "payload",
              "reader", "dialect", "stdin", "interactive", "sql_subcommand", "sql_options",
              "sql_file_options", "sql_positional"}
_LIST_KEYS = ("flags", "all_flags", "no_flags", "args", "no_args", "safe_args", "payload",
              "method", "host", "path", "graphql", "port", "verbs", "safe_verbs")
_MATCH_KEYS = set(_LIST_KEYS) | {"min_args", "max_args", "option_values",
                                 "unless_option_values", "ignore_case"}


def shipped_dir() -> Path:
    """The pattern files shipped with the package (``patterns/`` of a source checkout)."""
    from shellgate.rules.index import shipped_patterns_dir

    directory = Path(shipped_patterns_dir())
    if not directory.is_dir():
        raise RuleFileError("the shipped pattern files are missing from this installation")
    return directory


def pattern_files(user_dir: Path | None) -> list[Path]:
    """Shipped files, with a user file of the same name replacing the shipped one."""
    from shellgate.rules.index import pattern_paths

    return [Path(p) for p in pattern_paths(str(shipped_dir()), str(user_dir) if user_dir else None)]


def load_rules(paths: Iterable[Path]) -> RuleSet:
    """Load and validate every file; raise RuleFileError on the first problem."""
    rules: list[Rule] = []
    tools: dict[str, ToolSpec] = {}
    seen: dict[str, str] = {}
    for path in paths:
        text, data, _ = read_toml(path)
        _FileLoader(path, text, data, rules, tools, seen).load()
    return RuleSet.build(rules, tools)


def read_toml(path: Path) -> tuple[str, dict[str, Any], bytes]:
    """A pattern file's text, its TOML data and its raw bytes; RuleFileError when it
    cannot be read or is not TOML."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleFileError(f"{path}: cannot read pattern file: {exc.strerror}") from exc
    text = raw.decode("utf-8", "replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(f"{path}: invalid TOML: {exc}") from exc
    return text, data, raw


def load_layer_file(path: Path, text: str, data: dict[str, Any], stem: str,
                    extra: frozenset[str]) -> tuple[list[Rule], dict[str, ToolSpec]]:
    """The rules and tool descriptions of one user or project file, checked as strictly as
    a shipped one (ids start with ``stem.``); ``extra`` top-level tables are left to the
    caller (``[[override]]``, ``[[exception]]``, ``[packs]``)."""
    rules: list[Rule] = []
    tools: dict[str, ToolSpec] = {}
    loader = _FileLoader(path, text, data, rules, tools, {})
    loader.stem, loader.shown = stem, str(path)
    loader.load(extra)
    return rules, tools


class _FileLoader:
    def __init__(self, path: Path, text: str, data: dict[str, Any], rules: list[Rule],
                 tools: dict[str, ToolSpec], seen: dict[str, str]) -> None:
        self.path, self.text, self.data = path, text, data
        self.rules, self.tools, self.seen = rules, tools, seen
        self.stem = path.stem
        self.shown = path.name  # user and project files are named by their full path

    def fail(self, rule_id: str | None, key: str | None, message: str) -> RuleFileError:
        line = self.line_of(rule_id) if rule_id else 1
        where = f"{self.shown}:{line}"
        if rule_id:
            where += f" rule '{rule_id}'"
        if key:
            where += f" key '{key}'"
        return RuleFileError(f"{where}: {message}")

    def line_of(self, rule_id: str) -> int:
        for number, line in enumerate(self.text.splitlines(), 1):
            stripped = line.replace(" ", "")
            if stripped.startswith(f'id="{rule_id}"') or stripped.startswith(f"id='{rule_id}'"):
                return number
        return 1

    def load(self, extra: frozenset[str] = frozenset()) -> None:
        for key in self.data:
            if key not in ("tools", "rule") and key not in extra:
                expected = ", ".join(f"'{k}'" for k in ("tools", "rule", *sorted(extra)))
                raise self.fail(None, key, f"expected one of {expected} at top level")
        tools = self.data.get("tools", {})
        if not isinstance(tools, dict):
            raise self.fail(None, "tools", f"expected a table, got {type(tools).__name__}")
        for name, table in tools.items():
            self.tool(name, table)
        rules = self.data.get("rule", [])
        if not isinstance(rules, list):
            raise self.fail(None, "rule", "expected an array of tables ([[rule]])")
        for index, table in enumerate(rules):
            self.rule(index, table)

    def tool(self, name: str, table: Any) -> None:
        if not isinstance(table, dict):
            raise self.fail(None, f"tools.{name}", "expected a table")
        for key in table:
            if key not in _TOOL_KEYS:
                raise self.fail(None, f"tools.{name}.{key}", f"unknown key (expected one of "
                                f"{', '.join(sorted(_TOOL_KEYS))})")
        if name in self.tools:
            raise self.fail(None, f"tools.{name}", "tool described twice")
        style = table.get("style", "gnu")
        if style not in ("gnu", "go", "plain"):
            raise self.fail(None, f"tools.{name}.style", f"expected gnu|go|plain, got {style!r}")
        self.tools[name] = ToolSpec(
            name=name,
            options_with_value=frozenset(self.strs(None, f"tools.{name}.options_with_value",
                                                   table.get("options_with_value", []))),
            abbreviations=self.boolean(None, f"tools.{name}.abbreviations",
                                       table.get("abbreviations", style == "gnu")),
            style=cast(Style, style),
            help_flags=frozenset(self.strs(None, f"tools.{name}.help_flags",
                                           table.get("help_flags", ["--help"]))),
            aliases=tuple(self.strs(None, f"tools.{name}.aliases", table.get("aliases", []))),
            **self.registry(name, table),
        )

    def registry(self, name: str, table: dict[str, Any]) -> dict[str, Any]:
        """The tool-registry keys of a ``[tools.X]`` block, checked against what the engine
        can read: an unknown payload kind, reader or dialect stops shellgate here rather
        than leaving the tool's payload unread."""
        from shellgate.rules.registry import check_entry

        key = f"tools.{name}"
        entry: dict[str, Any] = {}
        for field in ("payload", "reader", "dialect", "stdin"):
            if field in table:
                value = table[field]
                if not isinstance(value, str):
                    raise self.fail(None, f"{key}.{field}",
                                    f"expected a string, got {type(value).__name__}")
                entry[field] = value
        for field in ("sql_subcommand", "sql_options", "sql_file_options"):
            if field in table:
                entry[field] = tuple(self.strs(None, f"{key}.{field}", table[field]))
        for field in ("interactive", "sql_positional"):
            if field in table:
                entry[field] = self.boolean(None, f"{key}.{field}", table[field])
        problem = check_entry(name, entry)
        if problem is not None:
            field, message = problem
            raise self.fail(None, f"{key}.{field}", message)
        return entry

    def rule(self, index: int, table: Any) -> None:
        if not isinstance(table, dict):
            raise self.fail(None, f"rule[{index}]", "expected a table")
        rule_id = table.get("id")
        if not isinstance(rule_id, str) or not rule_id.startswith(self.stem + "."):
            raise self.fail(None, f"rule[{index}].id",
                            f"expected a string '{self.stem}.<name>', got {rule_id!r}")
        if rule_id in self.seen:
            raise self.fail(rule_id, "id", f"duplicate id (also in {self.seen[rule_id]})")
        self.seen[rule_id] = self.shown
        for key in table:
            if key not in _RULE_KEYS:
                raise self.fail(rule_id, key, f"unknown key (expected one of "
                                f"{', '.join(sorted(_RULE_KEYS))})")
        for key in ("summary", "why", "severity"):
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise self.fail(rule_id, key, f"expected a non-empty string, got "
                                f"{table.get(key)!r}")
        if table["severity"] not in SEVERITIES:
            raise self.fail(rule_id, "severity", f"expected one of {'|'.join(SEVERITIES)}, "
                            f"got {table['severity']!r}")
        action = table.get("action", "gate")
        if action not in ("gate", "deny"):
            raise self.fail(rule_id, "action", f"expected gate|deny, got {action!r}")
        on = table.get("on", "command")
        if on not in TARGETS:
            raise self.fail(rule_id, "on", f"expected one of {'|'.join(TARGETS)}, got {on!r}")
        tool = table.get("tool", [])
        tools = [tool] if isinstance(tool, str) else self.strs(rule_id, "tool", tool)
        if on == "command" and not tools:
            raise self.fail(rule_id, "tool", "expected a tool name or a list of names")
        command = table.get("command", [])
        if not isinstance(command, list):
            raise self.fail(rule_id, "command", f"expected a list, got {command!r}")
        path = tuple(tuple([e]) if isinstance(e, str) else tuple(self.strs(rule_id, "command", e))
                     for e in command)
        matches = table.get("match", [{}])
        if isinstance(matches, dict):
            matches = [matches]
        if not isinstance(matches, list) or not matches:
            raise self.fail(rule_id, "match", "expected one or more [[rule.match]] tables")
        parsed = tuple(self.match(rule_id, m) for m in matches)
        if on == "payload" and not all(m.payload for m in parsed):
            raise self.fail(rule_id, "match.payload", "payload rules need payload kinds in "
                            "every match block")
        if on == "http" and not all(m.host for m in parsed):
            raise self.fail(rule_id, "match.host", "http rules need hosts in every match block")
        if on != "http" and any(m.host or m.method or m.path or m.graphql or m.port
                                for m in parsed):
            raise self.fail(rule_id, "match", "host/method/path/graphql/port only apply to "
                            "on = \"http\" rules")
        if on == "unruled":
            self.unruled(rule_id, tools, parsed)
        elif any(m.verbs or m.safe_verbs for m in parsed) or "except_tools" in table:
            raise self.fail(rule_id, "match.verbs", "verbs, safe_verbs and except_tools only "
                            "apply to on = \"unruled\" rules")
        examples = table.get("examples", {})
        if not isinstance(examples, dict) or set(examples) - {"gate", "pass"}:
            raise self.fail(rule_id, "examples", "expected a table with 'gate' and 'pass' lists")
        self.rules.append(Rule(
            id=rule_id,
            summary=table["summary"].strip(),
            why=table["why"].strip(),
            severity=table["severity"],
            action=cast(Verdict, action),
            on=on,
            tools=tuple(tools),
            command=path,
            options_with_value=frozenset(self.strs(rule_id, "options_with_value",
                                                   table.get("options_with_value", []))),
            matches=parsed,
            examples_gate=tuple(self.strs(rule_id, "examples.gate", examples.get("gate", []))),
            examples_pass=tuple(self.strs(rule_id, "examples.pass", examples.get("pass", []))),
            known_gaps=tuple(self.strs(rule_id, "known_gaps", table.get("known_gaps", []))),
            source=f"{self.shown}:{self.line_of(rule_id)}",
            except_tools=tuple(self.strs(rule_id, "except_tools", table.get("except_tools", []))),
        ))

    def unruled(self, rule_id: str, tools: list[str], parsed: tuple[Match, ...]) -> None:
        """Rules for tools without rules of their own: verbs are lower-case words, each
        optionally ending in ``*`` (the quick index tests them the same way)."""
        if tools:
            raise self.fail(rule_id, "tool", "on = \"unruled\" rules apply to every tool "
                            "without rules; list exceptions in except_tools")
        for match in parsed:
            if not match.verbs:
                raise self.fail(rule_id, "match.verbs", "unruled rules need verbs in every "
                                "match block")
            for verb in match.verbs + match.safe_verbs:
                stem = verb.removesuffix("*")
                if not stem or not all(c.isdigit() or "a" <= c <= "z" for c in stem):
                    raise self.fail(rule_id, "match.verbs", f"expected a lower-case word, "
                                    f"optionally ending in '*', got {verb!r}")

    def match(self, rule_id: str, table: Any) -> Match:
        if not isinstance(table, dict):
            raise self.fail(rule_id, "match", "expected a table")
        for key in table:
            if key not in _MATCH_KEYS:
                raise self.fail(rule_id, f"match.{key}", f"unknown key (expected one of "
                                f"{', '.join(sorted(_MATCH_KEYS))})")
        lists = {k: tuple(self.strs(rule_id, f"match.{k}", table.get(k, []))) for k in _LIST_KEYS}
        return Match(
            **lists,
            min_args=self.count(rule_id, "match.min_args", table.get("min_args")),
            max_args=self.count(rule_id, "match.max_args", table.get("max_args")),
            option_values=self.values(rule_id, "match.option_values",
                                      table.get("option_values", {})),
            unless_option_values=self.values(rule_id, "match.unless_option_values",
                                             table.get("unless_option_values", {})),
            ignore_case=self.boolean(rule_id, "match.ignore_case", table.get("ignore_case", False)),
        )

    def strs(self, rule_id: str | None, key: str, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(rule_id, key, f"expected a list of strings, got {value!r}")
        return value

    def boolean(self, rule_id: str | None, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(rule_id, key, f"expected true or false, got {value!r}")
        return value

    def count(self, rule_id: str, key: str, value: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(rule_id, key, f"expected a whole number >= 0, got {value!r}")
        return value

    def values(self, rule_id: str, key: str, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if not isinstance(value, dict):
            raise self.fail(rule_id, key, f"expected a table of option = [globs], got {value!r}")
        return tuple((opt, tuple(self.strs(rule_id, f"{key}.{opt}", globs)))
                     for opt, globs in value.items())
