"""Where commands hide: script files, git configuration files, the command's own stdin, and
what strict mode adds. Table-driven: files come from a mapping, the environment is a dict."""

from __future__ import annotations

import pytest

from shellgate.engine import evaluate
from shellgate.parse.context import mapping_reader
from shellgate.parse.wrappers.gitconfig import parse_config
from shellgate.rules.loader import load_rules, pattern_files
from shellgate.rules.ruleset import RuleSet
from shellgate.values import NO_STDIN, Decision, Stdin
from tests.conftest import shipped_rules

HOME = "/home/u"
ENV = {"HOME": HOME}

_STRICT: RuleSet | None = None


def strict_rules() -> RuleSet:
    global _STRICT
    if _STRICT is None:
        _STRICT = load_rules(pattern_files(None))
        _STRICT.strict = True
    return _STRICT


def decide(cmd: str, files: dict[str, str] | None = None, env: dict[str, str] | None = None,
           strict: bool = False, stdin: Stdin | None = None) -> Decision:
    rules = strict_rules() if strict else shipped_rules()
    reader = mapping_reader(files or {})
    if stdin is None:
        return evaluate(cmd, rules, reader, environ=env if env is not None else ENV)
    return evaluate(cmd, rules, reader, stdin, env if env is not None else ENV)


CLEANUP_PY = "import shutil\nshutil.rmtree('/srv/data')\n"
CLEANUP_JS = "const fs = require('fs');\nfs.rmSync('/srv/data', {recursive: true});\n"
CLEANUP_RB = "require 'fileutils'\nFileUtils.rm_rf('/srv/data')\n"
CLEANUP_PL = "system('rm -rf /srv/data');\n"
CLEANUP_SH = "set -e\nrm -rf /srv/data\n"
HARMLESS_PY = "print('hello')\n"


@pytest.mark.parametrize(("cmd", "files"), [
    ("python3 x.py", {"x.py": CLEANUP_PY}),
    ("python3 -u x.py --yes", {"x.py": CLEANUP_PY}),
    ("python3 -W ignore x.py", {"x.py": CLEANUP_PY}),
    ("node x.js", {"x.js": CLEANUP_JS}),
    ("node -r dotenv/config x.js", {"x.js": CLEANUP_JS}),
    ("ruby x.rb", {"x.rb": CLEANUP_RB}),
    ("perl x.pl", {"x.pl": CLEANUP_PL}),
    ("bash x.sh", {"x.sh": CLEANUP_SH}),
    ("./x", {"./x": "#!/usr/bin/env python3\n" + CLEANUP_PY}),
    ("./x", {"./x": "#!/usr/bin/env -S node --no-warnings\n" + CLEANUP_JS}),
    ("./x", {"./x": "#!/bin/bash -e\n" + CLEANUP_SH}),
    ("./x", {"./x": CLEANUP_SH}),  # no #! line: bash runs it as a shell script
    ("tools/clean.py", {"tools/clean.py": "#!/usr/bin/python3\n" + CLEANUP_PY}),
    ("cd /srv && ./x", {"./x": "#!/bin/sh\n" + CLEANUP_SH}),
])
def test_script_files_are_read(cmd: str, files: dict[str, str]) -> None:
    decision = decide(cmd, files)
    assert decision.verdict == "gate", (cmd, decision.rule_ids)
    assert "fs.rm-recursive" in decision.rule_ids
    assert decision.files, "the file read must be bound into the approval"


@pytest.mark.parametrize(("cmd", "files"), [
    ("python3 ok.py", {"ok.py": HARMLESS_PY}),
    ("./ok", {"./ok": "#!/usr/bin/env python3\n" + HARMLESS_PY}),
    ("./prog", {"./prog": "\x7fELF\x02\x01\x01\x00rm -rf /"}),  # a compiled program
    ("python3 -m http.server", {"http.server": CLEANUP_PY}),  # a module, not that file
    ("python3 missing.py", {}),
    ("./missing", {}),
])
def test_harmless_or_unread_scripts_pass_by_default(cmd: str, files: dict[str, str]) -> None:
    assert decide(cmd, files).verdict == "allow"


@pytest.mark.parametrize("cmd", ["python3 missing.py", "./missing", "node missing.js",
                                 'python3 "$SCRIPT"'])
def test_strict_mode_gates_scripts_shellgate_could_not_read(cmd: str) -> None:
    decision = decide(cmd, strict=True)
    assert decision.verdict == "gate"
    assert "core.unread-script" in decision.rule_ids


GITCONFIG = """\
[user]
\tname = Someone ; a comment
[alias]
\tsync = push --force
\twipe = "!rm -rf ~/work"
\tst = status
[include]
\tpath = extra.inc
"""


@pytest.mark.parametrize(("cmd", "files", "env", "rule"), [
    ("git sync", {f"{HOME}/.gitconfig": GITCONFIG}, ENV, "git.force-push"),
    ("git wipe", {f"{HOME}/.gitconfig": GITCONFIG}, ENV, "fs.rm-recursive"),
    ("git nuke", {f"{HOME}/.gitconfig": GITCONFIG,
                  f"{HOME}/extra.inc": "[alias]\n  nuke = reset --hard origin/main\n"},
     ENV, "git.reset-hard"),
    ("git sync", {f"{HOME}/.config/git/config": GITCONFIG}, ENV, "git.force-push"),
    ("git sync", {"/x/cfg": GITCONFIG}, {"GIT_CONFIG_GLOBAL": "/x/cfg"}, "git.force-push"),
    ("git sync", {"/x/git/config": GITCONFIG}, {"XDG_CONFIG_HOME": "/x"}, "git.force-push"),
    ("git sync", {"/etc/gitconfig": GITCONFIG}, {}, "git.force-push"),
    ("git sync", {".git/config": GITCONFIG}, {}, "git.force-push"),
    ("git sync", {"../../.git/config": GITCONFIG}, {}, "git.force-push"),
    ("git sync", {".git": "gitdir: /r/.git/worktrees/w\n", "/r/.git/worktrees/w/commondir":
                  "../..\n", "/r/.git/config": GITCONFIG}, {}, "git.force-push"),
    ("git zap", {}, {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "alias.zap",
                     "GIT_CONFIG_VALUE_0": "clean -fdx"}, "git.clean-force"),
    ("HOME=/h2 git sync", {"/h2/.gitconfig": GITCONFIG}, {}, "git.force-push"),
    ("git config --global alias.sync 'push --force' && git sync", {}, ENV, "git.force-push"),
])
def test_git_aliases_from_config_files(cmd: str, files: dict[str, str], env: dict[str, str],
                                       rule: str) -> None:
    decision = decide(cmd, files, env)
    assert decision.verdict == "gate", (cmd, decision.rule_ids)
    assert rule in decision.rule_ids
    assert decision.files or "config" in cmd or "GIT_CONFIG_COUNT" in env


@pytest.mark.parametrize("cmd", ["git st", "git status", "git lfs pull", "git sync"])
def test_git_config_that_holds_nothing_destructive_passes(cmd: str) -> None:
    files = {f"{HOME}/.gitconfig": "[alias]\n\tst = status\n\tsync = pull --rebase\n"}
    assert decide(cmd, files).verdict == "allow"


def test_git_config_of_a_builtin_is_not_read() -> None:
    """git never looks up its own commands as aliases: no file is read for `git push`."""
    decision = decide("git push origin main", {f"{HOME}/.gitconfig": GITCONFIG})
    assert decision.verdict == "allow" and not decision.files


def test_parse_config_reads_git_syntax() -> None:
    text = ('[Alias]\n\tA = "push  --force" # c\n[remote "Origin"]\n\turl = x\\\n'
            "y\n[core] pager = less\n\tbare\n")
    assert parse_config(text) == [("alias.a", "push  --force"), ("remote.Origin.url", "xy"),
                                  ("core.pager", "less"), ("core.bare", "true")]


@pytest.mark.parametrize("cmd", [
    "bash /dev/stdin", "sh < /dev/stdin", "python3 -", "python3 /dev/stdin", "bash",
    "node", ". /dev/stdin", "source /dev/fd/0", "bash /dev/tty", "perl /proc/self/fd/0",
])
def test_unknown_stdin_into_a_shell_or_interpreter_gates(cmd: str) -> None:
    decision = decide(cmd)
    assert decision.verdict == "gate", (cmd, decision.rule_ids)


@pytest.mark.parametrize("cmd", [
    'echo "rm -rf /srv" | bash /dev/stdin', '. /dev/stdin <<< "rm -rf /srv"',
    "python3 - <<'EOF'\nimport shutil\nshutil.rmtree('/srv')\nEOF",
    'bash <<< "rm -rf /srv" < /dev/stdin',
])
def test_stdin_named_as_a_file_is_the_commands_stdin(cmd: str) -> None:
    decision = decide(cmd)
    assert "fs.rm-recursive" in decision.rule_ids, (cmd, decision.rule_ids)


def test_stdin_paths_are_never_read_through_the_reader() -> None:
    asked: list[str] = []

    def reader(path: str) -> bytes | None:
        asked.append(path)
        return b"rm -rf /srv\n"

    for cmd in ("bash /dev/stdin", "psql -f /dev/stdin", "bash < /dev/stdin", ". /dev/fd/0"):
        evaluate(cmd, shipped_rules(), reader, NO_STDIN)
    assert not [p for p in asked if p.startswith(("/dev/", "/proc/"))], asked


def test_a_surface_that_owns_stdin_lets_it_pass() -> None:
    assert decide("bash", stdin=Stdin(text="ls -la\n")).verdict == "allow"
    assert decide("bash", stdin=NO_STDIN).verdict == "allow"


@pytest.mark.parametrize(("cmd", "rule"), [
    ('git push origin "$BRANCH"', "core.runtime-argument"),
    ("B=$(cat f); git push $B", "core.runtime-argument"),
    ("python3 -c \"import os; getattr(os, 'sys' + 'tem')('rm -rf /srv')\"", "core.unnamed-call"),
    ("python3 -c \"import importlib, sys; importlib.import_module(sys.argv[1]).main()\" m",
     "core.unnamed-call"),
])
def test_strict_mode_gates_accepted_families(cmd: str, rule: str) -> None:
    assert decide(cmd).verdict == "allow", "the default stays usable"
    decision = decide(cmd, strict=True)
    assert decision.verdict == "gate" and rule in decision.rule_ids


@pytest.mark.parametrize("cmd", ["git push origin main", "ls $HOME", "echo $X",
                                 "python3 -c 'print(1)'", "python3 ok.py"])
def test_strict_mode_passes_what_it_can_read(cmd: str) -> None:
    assert decide(cmd, {"ok.py": HARMLESS_PY}, strict=True).verdict == "allow"
