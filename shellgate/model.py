"""Frozen values passed between pipeline stages: parse → classify → decide."""

from __future__ import annotations

from shellgate.record import field, record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Literal

    Verdict = Literal["allow", "gate", "deny"]
else:
    Verdict = str

_RANK: dict[str, int] = {"allow": 0, "gate": 1, "deny": 2}


def stricter(a: Verdict, b: Verdict) -> Verdict:
    """The stricter of two verdicts (deny > gate > allow)."""
    return a if _RANK[a] >= _RANK[b] else b


@record
class Word:
    """One shell word after quote removal.

    ``value`` is the literal text bash would pass, or None when part of the word is only
    known at run time (a variable, a command substitution); ``prefix`` is then the static
    text before the first dynamic part.
    """

    value: str | None
    source: str = ""
    prefix: str = ""

    @property
    def dynamic(self) -> bool:
        return self.value is None

    def show(self) -> str:
        return self.value if self.value is not None else self.source or "<dynamic>"


def lit(value: str) -> Word:
    """A fully static word."""
    return Word(value, value)


@record
class Redirect:
    """An I/O redirection: ``op`` as written (``>``, ``>>``, ``<``, ``<<``, ``<<<``, …)."""

    op: str
    target: Word | None
    fd: int | None = None
    body: str | None = None


@record
class Stdin:
    """What a command will read on standard input, as far as shellgate can see."""

    text: str | None = None
    opaque: str = ""
    files: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return self.text is not None


NO_STDIN = Stdin()


@record
class Command:
    """One simple command that bash would run, after unwrapping."""

    argv: tuple[Word, ...]
    redirects: tuple[Redirect, ...] = ()
    stdin: Stdin = NO_STDIN
    via: tuple[str, ...] = ()

    @property
    def name(self) -> str | None:
        return self.argv[0].value if self.argv else None

    def show(self) -> str:
        return " ".join(_quote(w) for w in self.argv)


def _quote(word: Word) -> str:
    text = word.show()
    if word.value is None:
        return text
    if text and all(c.isalnum() or c in "-_./:=@%+,~^" for c in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


@record
class Problem:
    """Something the parser could not see into: becomes a core finding."""

    kind: str
    detail: str
    via: tuple[str, ...] = ()


@record
class Script:
    """Every simple command found in a command line, nested ones included."""

    commands: tuple[Command, ...]
    problems: tuple[Problem, ...] = ()


@record
class Finding:
    """A rule (or a core check) that matched part of the command."""

    rule_id: str
    summary: str
    why: str
    severity: str
    action: Verdict
    command: str
    via: tuple[str, ...] = ()
    evidence: str = ""


@record
class Decision:
    """The engine's answer for one command line."""

    verdict: Verdict
    findings: tuple[Finding, ...] = ()
    files: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def rule_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for finding in self.findings:
            seen.setdefault(finding.rule_id, None)
        return list(seen)
