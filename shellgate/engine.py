"""The one entry point every surface uses: command text or argv → Decision.

Never raises and never allows on failure: an internal error becomes a ``deny``.
"""

from __future__ import annotations

from shellgate.classify import RecordingReader, classify
from shellgate.classify.core import core_finding
from shellgate.decide import LARGE_COMMAND_BYTES, MAX_COMMAND_BYTES, decide
from shellgate.parse import no_files, parse, parse_argv
from shellgate.protect import places as protected
from shellgate.rules.ruleset import Rule, RuleSet
from shellgate.values import NO_STDIN, UNKNOWN_STDIN, Decision, Finding, Stdin

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Mapping

    from shellgate.parse import ReadFile
    from shellgate.rules.scope import Where


def evaluate(text: str | bytes, rules: RuleSet, read_file: ReadFile = no_files,
             stdin: Stdin = UNKNOWN_STDIN, environ: Mapping[str, str] | None = None) -> Decision:
    """Decide on a command line as a shell would run it.

    ``stdin`` is what the line reads: unknown unless the surface says otherwise (a shell
    or client reading unseen input needs a human). ``environ`` is the environment the
    line starts with, where the surface knows it (git's configuration is found with it).
    """
    try:
        extra: list[Finding] = []
        if isinstance(text, bytes):
            if len(text) > MAX_COMMAND_BYTES:
                return decide([core_finding("too-large", f"{len(text)} bytes")])
            raw = text
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", "surrogateescape")
                extra.append(core_finding("invalid-utf8", "the command is not valid UTF-8"))
        if len(text) > MAX_COMMAND_BYTES:
            return decide([core_finding("too-large", f"{len(text)} characters")])
        if len(text) > LARGE_COMMAND_BYTES:
            extra.append(core_finding("too-large-to-trust", f"{len(text)} characters"))
        reader = RecordingReader(read_file)
        script = parse(text, reader, reads_like(rules), stdin, environ)
        extra.extend(protected.findings(script))
        return decide(extra + classify(script, rules, reader, _where(rules, text)),
                      _files(reader))
    except RecursionError:
        return decide([core_finding("too-complex", "nesting exhausted the parser")])
    except Exception as exc:  # an internal error must refuse, never allow
        return decide([core_finding("internal-error", f"{type(exc).__name__}: {exc}")])


def evaluate_argv(argv: list[str], rules: RuleSet, read_file: ReadFile = no_files,
                  stdin: Stdin = NO_STDIN, environ: Mapping[str, str] | None = None) -> Decision:
    """Decide on an argv that will be exec'd directly (shims, ``shellgate run --``).

    ``stdin`` is what the program will read, when shellgate buffered it to inspect it.
    """
    try:
        if sum(len(a) for a in argv) > MAX_COMMAND_BYTES:
            return decide([core_finding("too-large", "argv too large")])
        reader = RecordingReader(read_file)
        script = parse_argv(argv, reader, stdin, reads_like(rules), environ)
        return decide(protected.findings(script)
                      + classify(script, rules, reader, _where(rules, " ".join(argv))),
                      _files(reader))
    except RecursionError:
        return decide([core_finding("too-complex", "nesting exhausted the parser")])
    except Exception as exc:  # an internal error must refuse, never allow
        return decide([core_finding("internal-error", f"{type(exc).__name__}: {exc}")])


def _where(rules: RuleSet, text: str) -> Where | None:
    """The edge's facts for scoped exceptions; ``~`` is not trusted on a line that mentions
    HOME (an assignment there changes what ``~`` means when it runs)."""
    where = rules.where
    if where is not None and "HOME" in text:
        from shellgate.rules.scope import Where

        return Where(where.cwd, where.today, None, where.realpath, where.expand)
    return where


def _files(reader: RecordingReader) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(reader.digests.items()))


def reads_like(rules: RuleSet) -> dict[str, str]:
    """Registered interpreters whose reader is another tool's (``[tools.X] payload = "code"``
    with ``reader``): the parser reads their code like that interpreter's."""
    from shellgate.rules.registry import registered_code_readers

    return registered_code_readers(rules)


def engine_only_tools(rules: RuleSet) -> frozenset[str]:
    """Tools the fast path must always leave to the engine: wrappers that run other commands,
    shells, interpreters, and every tool the registry says carries a payload (SQL, HTTP,
    code) or reads one on stdin. Kept here, not in ``rules``, because the wrapper tables
    live in the stages the engine runs."""
    from shellgate.parse.wrappers.options import PREFIX, RUNNERS
    from shellgate.parse.wrappers.unwrap import INTERPRETERS, SHELLS, special_names
    from shellgate.rules.index import SPECIAL_TRIGGERS
    from shellgate.rules.registry import payload_tools, stdin_tools

    special = set(PREFIX) | set(RUNNERS) | set(SHELLS) | set(INTERPRETERS)
    special |= payload_tools(rules) | stdin_tools(rules) | {"gh", "heroku"}
    # wrappers that unwrap only when a trigger word appears: the quick index lists their
    # trigger words instead
    special |= {name for name in special_names() if name not in SPECIAL_TRIGGERS}
    return frozenset(special)



def example_failures(rule: Rule, rules: RuleSet) -> list[str]:
    """Messages for each example of ``rule`` the engine decides differently."""
    failures: list[str] = []
    for cmd in rule.examples_gate:
        decision = evaluate(cmd, rules)
        if decision.verdict == "allow" or rule.id not in decision.rule_ids:
            failures.append(f"{rule.source} rule '{rule.id}': example should gate with this "
                            f"rule, got {decision.verdict} {decision.rule_ids}: {cmd}")
    for cmd in rule.examples_pass:
        decision = evaluate(cmd, rules)
        if decision.verdict != "allow":
            failures.append(f"{rule.source} rule '{rule.id}': example should pass, got "
                            f"{decision.verdict} {decision.rule_ids}: {cmd}")
    return failures


def run_examples(rules: RuleSet) -> list[str]:
    """Every rule's inline examples through the real engine (``rules check`` and tests),
    the same on every machine: without this process's protected places."""
    with protected.suspended():
        return [msg for rule in rules.rules for msg in example_failures(rule, rules)]
