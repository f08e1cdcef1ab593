"""Self-protection (``patterns/shellgate.toml``): the agent cannot switch shellgate off,
enrol its own key or edit the files that decide what is gated — in any of the spellings
and wrappers it would try. Reading those files, and shellgate's read-only commands, pass."""

from __future__ import annotations

import pytest

from shellgate.engine import evaluate
from shellgate.rules.ruleset import RuleSet

CLAUDE = "~/.claude/settings.json"
KEYS = "~/.config/shellgate/keys.json"

GATED = {
    "shellgate.uninstall": [
        "shellgate uninstall", "/usr/local/bin/shellgate uninstall", "command shellgate uninstall",
        "env -i shellgate uninstall", "sh -c 'shellgate uninstall'", "x=uninstall; shellgate $x",
        "shellgate --config=/tmp/c uninstall", "nohup shellgate uninstall &",
    ],
    "shellgate.install": [
        "shellgate install", "shellgate --config /tmp/mine install --shims-dir ~/.local/bin",
        "shellgate hook-uninstall claude-code", "shellgate hook-install cursor",
        "eval 'shellgate hook-uninstall gemini'",
    ],
    "shellgate.keys": [
        "shellgate enroll", "shellgate enroll --soft /tmp/k.json --label mine",
        "shellgate --config /tmp/x enroll --soft k.json", "shellgate keys remove 1a2b3c",
        "sudo -u $USER shellgate keys remove 1a2b3c",
    ],
    "shellgate.write-protected-file": [
        f"echo '{{}}' > {CLAUDE}", f"echo x >> {KEYS}", f"cat /tmp/x &> {CLAUDE}",
        "echo '{}' > $HOME/.claude/settings.local.json", "cd ~ && echo x > .claude/settings.json",
        "echo x > ./.claude/settings.json", "echo '' > ~/.config/shellgate/audit.jsonl",
        "echo '' > ~/.config/shellgate/pending/abc.json",
        "echo '' > ~/.config/shellgate/tickets/t.json",
        "bash -c \"echo '{}' > ~/.cursor/hooks.json\"",
        "printf '%s' '{}' > /home/dev/.gemini/settings.json",
        "echo x > ~/.copilot/hooks/shellgate.json",
        "echo x > ~/.config/opencode/plugins/shellgate.js",
        "echo x > ~/.codex/config.toml", "exec 3> ~/.config/shellgate/config.toml",
    ],
    "shellgate.change-protected-file": [
        f"rm {KEYS}", f"rm -f {KEYS}", f"unlink {KEYS}", f"shred -u {KEYS}",
        f"mv {CLAUDE} /tmp/", f"cp /dev/null {CLAUDE}", f"ln -sf /dev/null {CLAUDE}",
        f"install -m 600 /tmp/evil.json {CLAUDE}", f"truncate -s0 {KEYS}", f"tee {KEYS} < /tmp/x",
        "rsync -a /tmp/evil/ ~/.config/shellgate/", "mv ~/.config/shellgate /tmp/sg",
        "rm -r ~/.local/share/shellgate/shims", "rm ~/.local/share/shellgate/shims/git",
        "cp /tmp/k.json /root/.config/shellgate/keys.json", f"sudo rm {KEYS}",
        f"find /tmp -maxdepth 0 -exec rm {KEYS} ';'", f"echo {KEYS} | xargs rm",
        "python3 -c \"open('/root/.config/shellgate/config.toml', 'a').write('x')\"",
        "python3 -c \"import shutil; shutil.copy('/tmp/evil', '/root/.claude/settings.json')\"",
        "python3 -c \"import os; os.replace('/tmp/k', '/root/.config/shellgate/keys.json')\"",
        "python3 -c \"from pathlib import Path; Path('.claude/settings.json').unlink()\"",
    ],
    "shellgate.edit-protected-file": [
        f"sed -i '/PreToolUse/,+5d' {CLAUDE}", f"sed -i.orig s/x/y/ {KEYS}",
        f"sed -ie s/x/y/ {KEYS}", f"perl -i -pe s/x/y/ {CLAUDE}",
        "sed --in-place=.bak -e 1d ~/.codex/hooks.json",
    ],
}

PASSED = [
    "shellgate check -c 'git push --force'", "shellgate doctor", "shellgate keys",
    "shellgate keys list", "shellgate audit verify", "shellgate audit show --limit 5",
    "shellgate rules list", "shellgate watch", "shellgate hook claude-code",
    "shellgate uninstall --dry-run", "shellgate install --dry-run",
    f"cat {CLAUDE}", f"jq . {CLAUDE}", f"cat {CLAUDE} > /tmp/backup.json",
    f"grep -c PreToolUse {CLAUDE}", f"sed -n p {KEYS}", "ls -la ~/.config/shellgate",
    "python3 -c \"import json; print(json.load(open('/root/.claude/settings.json')))\"",
    "echo hi > ~/.claude-notes.md", "rm ~/.config/other/x.json", "echo x >> ~/.bashrc",
]


def _gated_cases() -> list[tuple[str, str]]:
    return [(rule, cmd) for rule, cmds in GATED.items() for cmd in cmds]


@pytest.mark.parametrize(("rule", "cmd"), _gated_cases())
def test_changing_shellgate_is_gated(rule: str, cmd: str, rules: RuleSet) -> None:
    decision = evaluate(cmd, rules)
    assert decision.verdict in ("gate", "deny")
    assert rule in decision.rule_ids or decision.rule_ids[0].startswith("core."), \
        decision.rule_ids


@pytest.mark.parametrize("cmd", PASSED)
def test_reading_shellgate_passes(cmd: str, rules: RuleSet) -> None:
    assert evaluate(cmd, rules).verdict == "allow", evaluate(cmd, rules).rule_ids
