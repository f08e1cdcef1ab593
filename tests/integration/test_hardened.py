"""Hardened mode end to end, as root, for a throwaway user: install into a temporary
layout, then act as that user — every write into shellgate's code, policy, keys, audit
trail, tickets and broker socket fails; gated commands through a shim, the restricted
shell and an agent hook are refused without a touch and run with one; the audit trail
verifies; uninstall leaves no user, file or process behind.

The "touch" comes from a software key that only a broker started by root with
``--test-key`` accepts (the key file is the broker user's, mode 0600); the guarded user can
neither start such a broker on the real socket nor write the key. See docs/hardened-mode.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shellgate.hardened.layout import Layout
from tests.integration.hardened_env import SHELLGATE, Env, _root, hook, installed

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("git"),
    reason="needs root, useradd and git (CI runs as root)")


@pytest.fixture(scope="module")
def hardened() -> Iterator[Env]:
    with installed() as env:
        yield env


def _site(env: Env) -> Path:
    return next((env.layout.venv / "lib").glob("python3*/site-packages"))


WRITE_PROBE = r"""
import json, os, sys
results = {}
for path in sys.argv[1:]:
    try:
        if path.endswith("/NEW"):
            open(path, "x").close()
        elif path.endswith(".sock"):
            os.unlink(path)
        else:
            with open(path, "a") as handle:
                handle.write("x")
        results[path] = "WROTE"
    except OSError as exc:
        results[path] = type(exc).__name__
print(json.dumps(results))
"""


def test_every_write_fails(hardened):
    layout = hardened.layout
    site = _site(hardened)
    targets = [site / "shellgate" / "decide.py", site / "shellgate" / "NEW",
               layout.python.parent / "NEW", layout.etc / "config.toml",
               layout.etc / "keys.json", layout.marker, layout.etc / "patterns" / "NEW",
               layout.etc / "NEW", next((layout.etc / "cache").iterdir()),
               layout.state / "audit.jsonl", layout.state / "counters.json",
               layout.state / "NEW", layout.state / "tickets" / "NEW", layout.socket,
               layout.run / "NEW", layout.shims / "git", layout.shims / "NEW",
               layout.claude_managed, layout.gemini_system, layout.codex_managed,
               layout.cursor_enterprise, layout.windsurf_system, layout.bin / "NEW",
               hardened.key, layout.profile_d / "shellgate.sh"]
    done = hardened.run([str(layout.python), "-I", "-c", WRITE_PROBE, *map(str, targets)])
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results and all(value != "WROTE" for value in results.values()), results


def test_red_team_code_append_fails(hardened):
    decide = _site(hardened) / "shellgate" / "decide.py"
    before = hashlib.sha256(decide.read_bytes()).hexdigest()
    done = hardened.sh(f"printf '\\ndef decide(*a, **k): return None\\n' >> {decide}")
    assert done.returncode != 0
    assert "Permission denied" in done.stderr
    assert hashlib.sha256(decide.read_bytes()).hexdigest() == before


def test_red_team_interpreter_pattern_override_fails(hardened):
    target = hardened.layout.etc / "patterns" / "git.toml"
    done = hardened.run(["python3", "-c", f"open({str(target)!r}, 'w').write('# nothing')"])
    assert done.returncode != 0 and "PermissionError" in done.stderr
    assert not target.exists()
    # The user's own pattern directory is theirs to write, and hardened mode ignores it.
    mine = hardened.home / ".config" / "shellgate" / "patterns"
    done = hardened.run(["python3", "-c", f"import os; os.makedirs({str(mine)!r}); "
                         f"open({str(mine / 'git.toml')!r}, 'w').write('# nothing')"])
    assert done.returncode == 0, done.stderr
    check = hardened.run(["shellgate", "check", "-c", "git push --force origin main"])
    assert check.stdout.startswith("gate:"), check.stdout + check.stderr


def test_nothing_the_user_sets_selects_another_configuration(hardened):
    mine = hardened.home / "mine"
    done = hardened.run(["shellgate", "--config", str(mine), "check", "-c", "ls"])
    assert done.returncode == 2
    assert "not accepted" in done.stderr
    tricks = {"XDG_CONFIG_HOME": str(mine), "SHELLGATE_CONFIG": str(mine),
              "HOME": str(mine), "PYTHONPATH": str(mine)}
    done = hardened.run(["shellgate", "check", "-c", "git push --force origin main"], **tricks)
    assert done.stdout.startswith("gate:"), done.stdout + done.stderr
    doctor = hardened.run(["shellgate", "doctor"])
    assert "mode: hardened" in doctor.stdout


def _repo(env: Env) -> None:
    script = ("set -e; rm -rf remote.git work; git init -q --bare remote.git; "
              "git init -q -b main work; cd work; git -c user.email=t@t -c user.name=t "
              "commit -q --allow-empty -m one; git remote add origin ../remote.git")
    done = env.sh(script)
    assert done.returncode == 0, done.stderr


GATED = "cd work && git push --force origin main"


def test_shim_refused_without_touch_and_runs_with_one(hardened):
    _repo(hardened)
    hardened.set_touch(False)
    before = len(hardened.audit())
    refused = hardened.sh(GATED)
    assert refused.returncode == 126, refused.stderr
    assert "git.force-push" in refused.stderr
    assert not (hardened.home / "remote.git" / "refs" / "heads" / "main").exists()
    events = [r["event"] for r in hardened.audit()[before:]]
    assert events == ["timeout"], events
    hardened.set_touch(True)
    ran = hardened.sh(GATED)
    assert ran.returncode == 0, ran.stderr
    assert (hardened.home / "remote.git" / "refs" / "heads" / "main").exists()
    assert hardened.audit()[-1]["event"] == "approved"


def test_restricted_shell_refused_without_touch_and_runs_with_one(hardened):
    _repo(hardened)
    hardened.set_touch(False)
    refused = hardened.run(["shellgate-sh", "-c", GATED])
    assert refused.returncode == 126, refused.stderr
    assert not (hardened.home / "remote.git" / "refs" / "heads" / "main").exists()
    hardened.set_touch(True)
    before = len(hardened.audit())
    ran = hardened.run(["shellgate-sh", "-c", GATED])
    assert ran.returncode == 0, ran.stderr
    assert (hardened.home / "remote.git" / "refs" / "heads" / "main").exists()
    # One touch: the git shim inside the approved script redeemed the broker's ticket.
    assert [r["event"] for r in hardened.audit()[before:]] == ["approved"]


def _hook(env: Env, command: str) -> dict[str, object]:
    return hook(env, command)[0]


def test_managed_hook_refused_without_touch_and_allows_with_one(hardened):
    hardened.set_touch(False)
    answer = _hook(hardened, "git push --force origin main")
    assert "deny" in json.dumps(answer), answer
    hardened.set_touch(True)
    answer = _hook(hardened, "git push --force origin main")
    decision = answer.get("hookSpecificOutput", {})
    assert isinstance(decision, dict) and decision.get("permissionDecision") == "allow", answer


def test_counter_going_backwards_is_refused(hardened):
    counters = hardened.layout.state / "counters.json"
    saved = counters.read_text()
    credential = json.loads(saved)
    credential = {cid: 10**9 for cid in credential}
    counters.write_text(json.dumps(credential))
    try:
        refused = hardened.run(["shellgate", "run", "--", "git", "push", "--force",
                                "origin", "main"])
        assert refused.returncode == 126
        assert "counter went backwards" in refused.stderr
    finally:
        counters.write_text(saved)


def test_audit_verifies_as_the_user(hardened):
    done = hardened.run(["shellgate", "audit", "verify"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("audit ok")
    assert any(r["event"] == "approved" and r.get("key_kind") == "soft"
               for r in hardened.audit())


def test_a_broker_started_by_the_user_is_refused(hardened):
    done = hardened.run([str(hardened.layout.venv / "bin" / "shellgate"), "broker",
                         "--test-key", str(hardened.home / "k.json")])
    assert done.returncode != 0
    assert "needs the broker to be started by root" in done.stderr


def test_doctor_reports_each_agent_and_the_broker(hardened):
    doctor = hardened.run(["shellgate", "doctor"])
    out = doctor.stdout
    assert f"broker: answers on {hardened.layout.socket}" in out, out + doctor.stderr
    assert f"runner: up as {hardened.layout.runner_user}" in out
    for agent in ("claude-code", "gemini", "codex", "cursor", "windsurf"):
        assert f"{agent}: managed hook in" in out and "cannot remove it" in out, agent
    # A user-level Gemini file naming the hook in hooksConfig.disabled could switch it off.
    gemini = hardened.home / ".gemini"
    done = hardened.run(["python3", "-c", f"import os, json; os.makedirs({str(gemini)!r}); "
                         f"open({str(gemini / 'settings.json')!r}, 'w').write(json.dumps("
                         "{'hooksConfig': {'disabled': ['shellgate']}}))"])
    assert done.returncode == 0, done.stderr
    doctor = hardened.run(["shellgate", "doctor"])
    assert "PROBLEM gemini: managed hook in" in doctor.stdout
    assert doctor.returncode == 1


def test_uninstall_restores_everything_byte_for_byte():
    tag = f"{os.getpid() % 100000}"
    user, broker_user, runner_user = f"sgu{tag}", f"sgc{tag}", f"sgs{tag}"
    root = Path(tempfile.mkdtemp(prefix="sg-uninstall-", dir="/tmp"))
    root.chmod(0o755)
    layout = Layout.under(root, broker_user, runner_user)
    layout.claude_managed.parent.mkdir(parents=True)
    original = b'{ "permissions":{"deny":["Bash(curl:*)"]} }\n'
    layout.claude_managed.write_bytes(original)
    layout.claude_managed.chmod(0o640)
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    _root(["useradd", "-m", user])
    try:
        argv = [SHELLGATE, "install", "--hardened", "--user", user, "--layout-root", str(root),
                "--broker-user", broker_user, "--runner-user", runner_user, "--no-systemd"]
        first = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert first.returncode == 0, first.stderr
        assert b"shellgate.hooks" in layout.claude_managed.read_bytes()
        again = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert again.returncode == 2 and "already installed" in again.stderr
        done = subprocess.run([SHELLGATE, "uninstall", "--hardened", "--layout-root",
                               str(root), "--broker-user", broker_user, "--runner-user",
                               runner_user], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert layout.claude_managed.read_bytes() == original
        assert stat.S_IMODE(layout.claude_managed.stat().st_mode) == 0o640
        assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == before
        for made in (broker_user, runner_user):
            with pytest.raises(KeyError):
                pwd.getpwnam(made)
    finally:
        subprocess.run(["userdel", "-r", user], capture_output=True, check=False)
        for made in (broker_user, runner_user):
            subprocess.run(["userdel", made], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_install_refuses_root_and_unknown_users(tmp_path):
    for user in ("root", "no-such-user-sg"):
        done = subprocess.run([SHELLGATE, "install", "--hardened", "--user", user,
                               "--layout-root", str(tmp_path), "--no-systemd"],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 2, done.stderr
        assert not any(tmp_path.iterdir())
