"""Typed, validated rules as loaded from pattern files."""

from __future__ import annotations

from shellgate.values import Verdict, record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Literal

    from shellgate.rules.scope import RuleException, Where

    Style = Literal["gnu", "go", "plain"]
else:
    Style = str
SEVERITIES = ("low", "medium", "high", "critical")
TARGETS = ("command", "redirect", "payload", "http", "unruled")


@record
class ToolSpec:
    """How one tool's argv is read."""

    name: str
    options_with_value: frozenset[str] = frozenset()
    abbreviations: bool = True
    style: Style = "gnu"
    help_flags: frozenset[str] = frozenset({"--help"})
    aliases: tuple[str, ...] = ()
    # The tool registry (``shellgate.rules.registry``): what the tool carries and how.
    payload: str = ""
    """"" (none), "sql", "mongo", "redis", "http" or "code"."""
    reader: str = ""
    """The built-in argv model that finds the payload (default: the tool's own name)."""
    dialect: str = ""
    """SQL dialect (sqlglot's name; "generic" when unknown)."""
    stdin: str = ""
    """"" (stdin is not a payload), "payload" (read, decided on, replayed) or "unseen-first"
    (decided unseen first; read only when that allows)."""
    interactive: bool = False
    """An interactive session is inspected statement by statement (``surfaces/db_client``)."""
    sql_subcommand: tuple[str, ...] = ()
    sql_options: tuple[str, ...] = ()
    sql_file_options: tuple[str, ...] = ()
    sql_positional: bool = False
    """For ``reader = "options"``: the sub-command path that runs SQL, options whose value
    is SQL or a SQL file, and whether a bare positional with a space is SQL."""


@record
class Match:
    """One ``[[rule.match]]`` block: every key given must hold."""

    flags: tuple[str, ...] = ()
    all_flags: tuple[str, ...] = ()
    no_flags: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    no_args: tuple[str, ...] = ()
    safe_args: tuple[str, ...] = ()
    min_args: int | None = None
    max_args: int | None = None
    option_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unless_option_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ignore_case: bool = False
    payload: tuple[str, ...] = ()
    method: tuple[str, ...] = ()
    host: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    graphql: tuple[str, ...] = ()
    port: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    safe_verbs: tuple[str, ...] = ()


@record
class Rule:
    """One rule: what it matches and what the human is told."""

    id: str
    summary: str
    why: str
    severity: str
    action: Verdict
    on: str
    tools: tuple[str, ...]
    command: tuple[tuple[str, ...], ...]
    options_with_value: frozenset[str]
    matches: tuple[Match, ...]
    examples_gate: tuple[str, ...] = ()
    examples_pass: tuple[str, ...] = ()
    known_gaps: tuple[str, ...] = ()
    source: str = ""
    except_tools: tuple[str, ...] = ()


class RuleSet:
    """All rules, indexed by tool name for lookups that do not grow with unrelated files.

    Built either from loaded rules (``build``) or lazily from the compiled cache
    (``lazy``): then a rule is only decoded when its tool or target is looked up.
    """

    def __init__(self, tools: dict[str, ToolSpec], aliases: dict[str, str],
                 groups: dict[str, list[int]], decode: Callable[[int], Rule],
                 count: int) -> None:
        self.tools = tools
        self.aliases = aliases
        self._groups = groups
        self._decode = decode
        self._count = count
        self._decoded: dict[int, Rule] = {}
        self.exceptions: tuple[RuleException, ...] = ()
        """The user's accepted scoped exceptions (``[[exception]]``), in file order."""
        self.layered_tools: frozenset[str] = frozenset()
        """Tools whose only rules come from user or project files: the generic verb rules
        (``on = "unruled"``) still apply to them."""
        self.where: Where | None = None
        """Facts about the file system for exceptions, set at the edge (``Config.rules``);
        None: no exception applies."""
        self.strict = False
        """Strict mode (``strict = true`` in config.toml): the accepted families gate too."""

    @classmethod
    def build(cls, rules: list[Rule], tools: dict[str, ToolSpec]) -> RuleSet:
        loaded = tuple(rules)
        return cls(dict(tools), _aliases(tools), group_indexes(loaded, _aliases(tools)),
                   loaded.__getitem__, len(loaded))

    @classmethod
    def lazy(cls, tools: dict[str, ToolSpec], groups: dict[str, list[int]],
             decode: Callable[[int], Rule], count: int) -> RuleSet:
        return cls(tools, _aliases(tools), groups, decode, count)

    def _rule(self, index: int) -> Rule:
        rule = self._decoded.get(index)
        if rule is None:
            rule = self._decoded[index] = self._decode(index)
        return rule

    def _group(self, key: str) -> tuple[Rule, ...]:
        return tuple(self._rule(i) for i in self._groups.get(key, ()))

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(self._rule(i) for i in range(self._count))

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(k[5:] for k in self._groups if k.startswith("tool:"))

    def targeting(self, on: str) -> tuple[Rule, ...]:
        """Rules that apply to redirects, payloads or HTTP requests rather than a tool."""
        return self._group(f"on:{on}")

    def tool(self, name: str) -> ToolSpec:
        canonical = self.aliases.get(name, name)
        return self.tools.get(canonical) or ToolSpec(canonical)

    def canonical(self, name: str) -> str:
        return self.aliases.get(name, name)

    def for_tool(self, name: str) -> tuple[Rule, ...]:
        return self._group("tool:" + self.aliases.get(name, name))

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def _aliases(tools: dict[str, ToolSpec]) -> dict[str, str]:
    return {alias: spec.name for spec in tools.values() for alias in spec.aliases}


def group_indexes(rules: tuple[Rule, ...], aliases: dict[str, str]) -> dict[str, list[int]]:
    """Rule indexes by ``tool:NAME`` (canonical names) and by ``on:TARGET``."""
    groups: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        if rule.on == "command":
            for tool in dict.fromkeys(aliases.get(t, t) for t in rule.tools):
                groups.setdefault("tool:" + tool, []).append(index)
        else:
            groups.setdefault("on:" + rule.on, []).append(index)
    return groups
