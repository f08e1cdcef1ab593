"""The accepted bypass families of docs/residual-risk.md, one test each: what shellgate
fails closed on today (must pass), the accepted gap itself as a strict xfail — fixing one
makes its test fail with XPASS, and the family moves off the page — and strict mode
(``strict = true`` in config.toml), which gates every accepted gap (must pass)."""

from __future__ import annotations

import pytest

from shellgate.engine import evaluate
from shellgate.rules.loader import load_rules, pattern_files
from shellgate.rules.ruleset import RuleSet

FAILS_CLOSED = {
    "run-time arguments: a command name is never trusted": "$TOOL push --force",
    "run-time arguments: eval of a variable": 'eval "$CMD"',
    "run-time arguments: a custom IFS": "IFS=,; c=git,push,--force; $c",
    "run-time arguments: set in the same line": "F=--force; git push origin $F",
    "run-time arguments: HOME set in the same line": "HOME=/; rm -rf $HOME/.cache",
    "scripts on disk: unseen text piped into a shell": 'printf "%s" "$CMD" | bash',
    "scripts on disk: written in the same line": "echo 'git push -f' > d.sh && bash d.sh",
    "scripts on disk: BASH_ENV written in the same line":
        "echo 'git push -f' > e.sh; BASH_ENV=e.sh bash -c :",
    "interpreter code: shell-out of a run-time string":
        "python3 -c 'import os; os.system(input())'",
    "interpreter code: constant folding": "python3 -c \"import os; os.system('r'+'m -rf /')\"",
    "interpreter code: node execSync of a run-time string":
        "node -e 'require(\"child_process\").execSync(process.argv[1])' x",
    "aliases: defined in the same line, both readings": "alias git=echo; git push --force",
    "prompt variables with escapes": "PS4='\\u$(ls)' bash -xc :",
    "tree-sitter misreadings: an unreadable ANSI-C string":
        "echo $'\\\\' ; git push --force ; echo \\'",
    "tree-sitter misreadings: reserved word taken for a name":
        "! if true; then git push --force; fi",
    "self-protection: shellgate's own wrappers": "shellgate --config /tmp/a run -- git push -f",
    "tools without rules: a destructive option": "frobnicate --delete-everything",
    "tools without rules: a destructive sub-command": "frobnicate volumes purge prod",
    "command languages: awk system()": "awk 'BEGIN { system(\"rm -rf /srv/data\") }'",
    "command languages: awk system() of the input": "awk '{ system(\"rm \" $1) }' list",
    "command languages: sed e": "sed -n '1e rm -rf /srv/data' /etc/hostname",
    "command languages: sed s///e": "sed 's/.*/rm -rf &/e' dirs",
    "command languages: editor commands": "vim -es -c '!rm -rf /srv/data' -c q",
    "command languages: make recipes": "make -f /dev/stdin <<< 'all: ; rm -rf /srv/data'",
    "scripts on disk: python3 with a script written in the line":
        "echo 'import shutil; shutil.rmtree(\"/srv\")' > x.py && python3 x.py",
    "scripts on disk: unknown stdin into a shell": "bash /dev/stdin",
    "dynamic command names: case modification": "c=RM; ${c,,} -rf /srv",
    "dynamic command names: a glob": "/bin/[r]m -rf /srv",
    "git aliases: set and used in one line":
        "git config --global alias.sync 'push --force' && git sync",
}

ACCEPTED = {
    "run-time arguments: read from a here-string": "read -r a <<< --force; git push origin $a",
    "run-time arguments: a default value": "git push origin ${F:---force}",
    "run-time arguments: an environment variable": 'git push origin "$FORCE_FLAG"',
    "scripts on disk: an existing script": "bash ./deploy.sh",
    "interpreter code: names built at run time":
        "python3 -c \"import os; getattr(os, 'sys'+'tem')('rm -rf /')\"",
    "self-protection: a path known only at run time":
        "echo '[]' > \"$XDG_CONFIG_HOME/shellgate/keys.json\"",
    "command languages: Lisp shellgate does not read": "emacs --batch -l cleanup.el",
}


@pytest.mark.parametrize("name", sorted(FAILS_CLOSED))
def test_fails_closed(name: str, rules: RuleSet) -> None:
    assert evaluate(FAILS_CLOSED[name], rules).verdict in ("gate", "deny")


@pytest.mark.parametrize("name", sorted(ACCEPTED))
@pytest.mark.xfail(strict=True, reason="accepted bypass family (docs/residual-risk.md); "
                   "strict mode gates it")
def test_accepted_gap(name: str, rules: RuleSet) -> None:
    assert evaluate(ACCEPTED[name], rules).verdict in ("gate", "deny")


@pytest.fixture(scope="module")
def strict_rules() -> RuleSet:
    strict = load_rules(pattern_files(None))
    strict.strict = True
    return strict


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_strict_mode_gates_the_accepted_gap(name: str, strict_rules: RuleSet) -> None:
    decision = evaluate(ACCEPTED[name], strict_rules)
    assert decision.verdict == "gate", decision.rule_ids
    assert any(r.startswith("core.") for r in decision.rule_ids)
