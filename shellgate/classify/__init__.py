"""classify: Script and RuleSet → Findings. Pure: no I/O, no clock, no environment."""

from __future__ import annotations

from shellgate.classify.argv import match_path
from shellgate.classify.core import STRICT_ONLY, core_finding, problem_finding
from shellgate.classify.globs import fnmatchcase
from shellgate.classify.match import block_holds, is_safe_path, rule_holds
from shellgate.parse.context import is_device_path, norm_path
from shellgate.parse.wrappers.unwrap import base_name
from shellgate.rules.ruleset import Match, Rule, RuleSet
from shellgate.values import Command, Finding, Script

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable

    from shellgate.classify.match import Resolve
    from shellgate.rules.scope import Where

_PAYLOAD_BY_NAME = frozenset({"gh", "heroku"})  # payloads behind a sub-command
_WRITE_OPS = (">", ">>", "&>", "&>>", ">|", ">&")


if TYPE_CHECKING:
    ReadFile = Callable[[str], "bytes | None"]


class RecordingReader:
    """Reads payload files and remembers each one's SHA-256 for the approval to bind to."""

    def __init__(self, read_file: ReadFile) -> None:
        self._read = read_file
        self.digests: dict[str, str] = {}

    def __call__(self, path: str) -> bytes | None:
        if norm_path(path) == "/dev/null":
            return b""
        if is_device_path(norm_path(path)):
            return None  # a stream (`psql -f /dev/stdin`): the command's own, never read here
        try:
            data = self._read(path)
        except OSError:
            return None
        if data is not None:
            import hashlib

            self.digests[path] = hashlib.sha256(data).hexdigest()
        return data

    def real_path(self, path: str) -> str | None:
        """Where ``path`` leads when a symlink is on the way (None: none, or not visible).
        The surface's reader decides what is visible; a pure reader knows nothing."""
        resolve = getattr(self._read, "real_path", None)
        if resolve is None:
            return None
        try:
            found = resolve(path)
        except (OSError, ValueError):
            return None
        return found if isinstance(found, str) else None


def _no_files(path: str) -> bytes | None:
    return None


def classify(script: Script, rules: RuleSet, read_file: ReadFile = _no_files,
             where: Where | None = None) -> list[Finding]:
    """Every finding for the script: rule matches and what could not be seen into.

    With ``where`` (facts from the edge), the user's scoped exceptions may waive the
    line's findings; waived findings come back with action ``allow``. Problems of the
    strict-only kinds count only in strict mode (``strict = true``)."""
    strict = bool(getattr(rules, "strict", False))
    findings: list[Finding] = [problem_finding(p) for p in script.problems
                               if strict or p.kind not in STRICT_ONLY]
    found = [(command, classify_command(command, rules, read_file))
             for command in script.commands]
    waived: list[Finding] = []
    if where is not None and rules.exceptions:
        from shellgate.classify.exceptions import waive

        _, waived = waive(script, found, rules.exceptions, where)
        if waived:
            found = []
    seen: set[tuple[str, str]] = set()
    for finding in [f for _, fs in found for f in fs] + waived:
        key = (finding.rule_id, finding.command)
        if key not in seen:
            seen.add(key)
            findings.append(finding)
    return findings


def classify_command(command: Command, rules: RuleSet,
                     read_file: ReadFile = _no_files) -> list[Finding]:
    """Findings for one simple command (its argv and its redirections)."""
    found: list[Finding] = []
    resolve = getattr(read_file, "real_path", None)
    writer = base_name(command.argv[0]) if command.argv else None  # None: a compound body
    for redirect in command.redirects:
        target = redirect.target.value if redirect.target is not None else None
        if target is None and redirect.target is not None and redirect.op in _WRITE_OPS \
                and getattr(rules, "strict", False):  # `> "$DIR/keys.json"`
            found.append(core_finding("runtime-argument", f"> {redirect.target.show()}",
                                      command.via))
        if redirect.op in _WRITE_OPS and target is not None:
            for rule in rules.targeting("redirect"):
                if rule.tools and writer not in rule.tools:
                    continue
                if any(_redirect_holds(redirect.op, target, b, resolve) for b in rule.matches):
                    found.append(_finding(rule, command, f"> {target}"))
    if not command.argv:
        return found
    name = base_name(command.argv[0])
    if name is None:
        found.append(core_finding("dynamic-command", command.show(), command.via))
        return found
    tool = rules.tool(name)
    words = command.argv[1:]
    own = rules.for_tool(name)
    if getattr(rules, "strict", False) and own and any(w.dynamic for w in words):
        found.append(core_finding("runtime-argument", command.show(), command.via))
    for rule in own:
        view = match_path(words, tool, rule)
        if view is None or view.help:
            continue
        if rule_holds(rule, view, tool, resolve):
            found.append(_finding(rule, command, command.show()))
    if rules.canonical(name) == "railway":
        from shellgate.classify.railway_api import is_api_call, railway_api_findings

        if is_api_call(command):
            found.extend(railway_api_findings(command, rules, read_file))
    payload = (bool(rules.tool(name).payload) or name in _PAYLOAD_BY_NAME
               or name.startswith("python3."))
    # rules from the user's or a project's files never take a tool out of the generic
    # verbs' reach (that would let a file that only adds rules weaken the policy)
    if (not own or rules.canonical(name) in rules.layered_tools) and not payload:
        found.extend(_unruled(command, name, rules))
    if payload:
        from shellgate.classify.payload import payload_findings

        found.extend(payload_findings(command, rules.canonical(name), rules, read_file))
    return found


def _unruled(command: Command, name: str, rules: RuleSet) -> list[Finding]:
    """Tools without rules of their own: the ``on = "unruled"`` rules (a destructive verb
    in the sub-command path or options). Tools the parser unwraps are left to what they
    run; a tool with rules decides for itself."""
    from shellgate.classify.generic import unruled_action, wrapper_names

    unruled = rules.targeting("unruled")
    if not unruled or name in wrapper_names():
        return []
    found: list[Finding] = []
    for rule in unruled:
        if name in rule.except_tools or rules.canonical(name) in rule.except_tools:
            continue
        for block in rule.matches:
            action = unruled_action(name, command.argv[1:], block)
            if action is not None:
                found.append(Finding(rule.id, rule.summary, rule.why, rule.severity, rule.action,
                                     command=command.show(), via=command.via,
                                     evidence=f"{rule.source}: '{action}' names a destructive "
                                              f"action of {name}, which has no rules of its own"))
                break
    return found


def _redirect_holds(op: str, target: str, block: Match, resolve: Resolve | None = None) -> bool:
    """A redirect rule's block: ``flags`` lists operators (``>``, ``>>``…), ``args`` paths,
    ``safe_args`` destinations it leaves alone (judged where symlinks lead)."""
    if block.flags and op not in block.flags:
        return False
    if block.safe_args and is_safe_path(target, block.safe_args, resolve):
        return False
    value = target.lower() if block.ignore_case else target
    return any(fnmatchcase(value, g.lower() if block.ignore_case else g) for g in block.args)


def _finding(rule: Rule, command: Command, shown: str) -> Finding:
    return Finding(rule.id, rule.summary, rule.why, rule.severity, rule.action,
                   command=shown, via=command.via, evidence=rule.source)


__all__ = ["RecordingReader", "block_holds", "classify", "classify_command"]
