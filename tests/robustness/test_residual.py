"""The accepted bypass families of docs/residual-risk.md, one test each: what shellgate
fails closed on today (must pass), and the accepted gap itself as a strict xfail — fixing
one makes its test fail with XPASS, and the family moves off the page."""

from __future__ import annotations

import pytest

from shellgate.engine import evaluate
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
    "command languages: awk system()": "awk 'BEGIN { system(\"rm -rf /srv/data\") }'",
    "command languages: sed e": "sed -n '1e rm -rf /srv/data' /etc/hostname",
    "command languages: editor commands": "vim -es -c '!rm -rf /srv/data' -c q",
    "command languages: make recipes": "make -f /dev/stdin <<< 'all: ; rm -rf /srv/data'",
}


@pytest.mark.parametrize("name", sorted(FAILS_CLOSED))
def test_fails_closed(name: str, rules: RuleSet) -> None:
    assert evaluate(FAILS_CLOSED[name], rules).verdict in ("gate", "deny")


@pytest.mark.parametrize("name", sorted(ACCEPTED))
@pytest.mark.xfail(strict=True, reason="accepted bypass family (docs/residual-risk.md); a "
                   "strict mode that gates these is not implemented")
def test_accepted_gap(name: str, rules: RuleSet) -> None:
    assert evaluate(ACCEPTED[name], rules).verdict in ("gate", "deny")
