"""Scoped exceptions, decided from tables: the real engine and rules, with the file-system
facts (real paths, glob matches, the home directory) given as a table instead of read."""

from __future__ import annotations

import os

import pytest

from shellgate.engine import evaluate, evaluate_argv
from shellgate.rules.ruleset import RuleSet
from shellgate.rules.scope import RuleException, Where, path_matches
from tests.conftest import shipped_rules

HOME = "/home/u"
LINKS = {"/home/u/scratch/link": "/home/u/important", "/home/u/scratch/sub/up": "/etc"}
GLOBS = {"/home/u/scratch/*": ("/home/u/scratch/a", "/home/u/scratch/link"),
         "/home/u/scratch/a*": ("/home/u/scratch/a",)}
SCRATCH = RuleException("fs.rm-recursive", ("/home/u/scratch/**",), why="scratch",
                        source="local.toml:1")


def realpath(path: str) -> str:
    """A table file system: a normalised path, with the symlinks of LINKS resolved."""
    path = os.path.normpath(path)
    for link, target in LINKS.items():
        if path == link or path.startswith(link + "/"):
            return target + path[len(link):]
    return path


def where(cwd: str = "/home/u/scratch", home: str | None = HOME,
          today: str = "2026-06-01") -> Where:
    return Where(cwd, today, home, realpath, lambda pattern: GLOBS.get(pattern, ()))


def ruleset(*exceptions: RuleException, at: Where | None = None) -> RuleSet:
    shipped = shipped_rules()
    rules = RuleSet.build(list(shipped.rules), shipped.tools)
    rules.exceptions = exceptions
    rules.where = at if at is not None else where()
    return rules


@pytest.mark.parametrize(("command", "cwd", "verdict"), [
    ("rm -rf data", "/home/u/scratch", "allow"),
    ("rm -rf /home/u/scratch/data", "/home/u/scratch", "allow"),
    ("rm -rf ~/scratch/data", "/home/u/scratch", "allow"),
    ("rm -rf ~/scratch/*", "/home/u/scratch", "gate"),   # the glob reaches a link out
    ("rm -rf ~/scratch/a*", "/home/u/scratch", "allow"),
    ("rm -rf link", "/home/u/scratch", "gate"),          # real path is outside
    ("rm -rf sub/up/passwd", "/home/u/scratch", "gate"),
    ("rm -rf ../important", "/home/u/scratch", "gate"),
    ("rm -rf data", "/home/u/project", "gate"),          # cwd outside the scope
    ("rm -rf /home/u/scratch/data", "/home/u/project", "gate"),
    ("rm -rf data ~/src", "/home/u/scratch", "gate"),    # one operand outside
    ("rm -rf \"$D\"", "/home/u/scratch", "gate"),         # only known at run time
    ("D=x; rm -rf $D", "/home/u/scratch", "gate"),       # a value read through a variable
    ("rm -rf $HOME/scratch/x", "/home/u/scratch", "gate"),
    ("HOME=/srv; rm -rf ~/scratch/x", "/home/u/scratch", "gate"),
    ("cd /etc && rm -rf data", "/home/u/scratch", "gate"),
    ("(cd /; rm -rf data)", "/home/u/scratch", "gate"),
    ("env -C /etc rm -rf data", "/home/u/scratch", "gate"),
    ("sudo -D /etc rm -rf data", "/home/u/scratch", "gate"),
    ("ln -s /etc x && rm -rf x/", "/home/u/scratch", "gate"),
    ("ssh host rm -rf data", "/home/u/scratch", "gate"),
    ("docker exec c rm -rf data", "/home/u/scratch", "gate"),
    ("ls | xargs rm -rf", "/home/u/scratch", "gate"),
    ("find . -exec rm -rf {} +", "/home/u/scratch", "gate"),
    ("sudo rm -rf data", "/home/u/scratch", "allow"),
    ("bash -c 'rm -rf data'", "/home/u/scratch", "allow"),
    ("mkdir -p x && rm -rf data && echo done", "/home/u/scratch", "allow"),
    ("rm -rf data && git push --force", "/home/u/scratch", "gate"),  # another rule: not waived
    ("rm -rf data > /etc/x", "/home/u/scratch", "gate"),
    ("rm -rf -- -data", "/home/u/scratch", "allow"),
    ("nice -n 5 mkdir x && rm -rf data", "/home/u/scratch", "allow"),
    ("nice -n 5 ln -s /etc x && rm -rf data", "/home/u/scratch", "gate"),
    ("sudo -s; rm -rf data", "/home/u/scratch", "gate"),     # a wrapper nothing was seen in
    ("timeout 5; rm -rf data", "/home/u/scratch", "gate"),
])
def test_scope_decides(command: str, cwd: str, verdict: str) -> None:
    decision = evaluate(command, ruleset(SCRATCH, at=where(cwd)))
    assert decision.verdict == verdict, (command, decision.rule_ids)
    if verdict == "allow":
        assert [f.rule_id for f in decision.waived] == ["fs.rm-recursive"]
        assert decision.waived[0].evidence == "exception local.toml:1"
    else:
        assert not decision.waived


def test_without_facts_or_exceptions_nothing_is_waived() -> None:
    rules = ruleset(SCRATCH)
    rules.where = None
    assert evaluate("rm -rf data", rules).verdict == "gate"
    assert evaluate("rm -rf data", ruleset()).verdict == "gate"


def test_home_that_cannot_be_trusted_waives_nothing_under_tilde() -> None:
    rules = ruleset(SCRATCH, at=where(home=None))
    assert evaluate("rm -rf ~/scratch/data", rules).verdict == "gate"
    assert evaluate("rm -rf data", rules).verdict == "allow"


def test_expired_exception_no_longer_applies() -> None:
    dated = RuleException("fs.rm-recursive", ("/home/u/scratch/**",), expires="2026-05-31",
                          why="w", source="x:1")
    assert evaluate("rm -rf data", ruleset(dated, at=where(today="2026-05-31"))).verdict == \
        "allow"
    assert evaluate("rm -rf data", ruleset(dated, at=where(today="2026-06-01"))).verdict == \
        "gate"


def test_args_globs_must_cover_every_argument() -> None:
    narrow = RuleException("fs.rm-recursive", ("/home/u/scratch/**",), args=("-rf", "tmp-*"),
                           why="w", source="x:1")
    rules = ruleset(narrow)
    assert evaluate("rm -rf tmp-1 tmp-2", rules).verdict == "allow"
    assert evaluate("rm -rf tmp-1 data", rules).verdict == "gate"
    assert evaluate("rm -r tmp-1", rules).verdict == "gate"


def test_other_rules_and_core_findings_are_never_waived() -> None:
    rules = ruleset(SCRATCH)
    assert evaluate("git push --force", rules).verdict == "gate"
    assert evaluate("$(cat cmd) -rf data", rules).rule_ids == ["core.dynamic-command"]
    core = RuleException("core.dynamic-command", ("/home/u/scratch/**",), why="w", source="x")
    assert evaluate("$(cat cmd) data", ruleset(core)).verdict == "gate"


def test_argv_surface_reads_words_literally() -> None:
    rules = ruleset(SCRATCH)
    assert evaluate_argv(["rm", "-rf", "data"], rules).verdict == "allow"
    assert evaluate_argv(["rm", "-rf", "/etc"], rules).verdict == "gate"
    assert evaluate_argv(["rm", "-rf", "--no-preserve-root=/etc"], rules).verdict == "gate"


@pytest.mark.parametrize(("path", "glob", "holds"), [
    ("/home/u/scratch", "/home/u/scratch/**", True),
    ("/home/u/scratch/a/b", "/home/u/scratch/**", True),
    ("/home/u/scratchpad", "/home/u/scratch/**", False),
    ("/home/u/scratch/a/b", "/home/u/scratch/*", False),
    ("/home/u/scratch/a", "/home/u/scratch/*", True),
    ("/home/u/s1/x", "/home/u/s?/**", True),
    ("/home/u/s1/x", "/home/u/s[!1]/**", False),
    ("/home/u/a.b", "/home/u/a?b", True),
    ("/home/u/a/b", "/home/u/a?b", False),
])
def test_path_globs(path: str, glob: str, holds: bool) -> None:
    assert path_matches(path, glob) is holds
