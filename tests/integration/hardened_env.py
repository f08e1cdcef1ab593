"""The hardened-mode test install shared by the hardened integration tests: as root, for a
throwaway guarded user, broker user and runner user, under a temporary layout; a broker
started by root with a software test key (see docs/hardened-mode.md)."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from shellgate.hardened.layout import Layout

SHELLGATE = str(Path(sys.executable).parent / "shellgate")


@dataclass
class Env:
    root: Path
    layout: Layout
    user: str
    home: Path
    key: Path
    broker: subprocess.Popen[bytes]

    def env(self, **extra: str) -> dict[str, str]:
        return {"HOME": str(self.home), "LANG": "C.UTF-8", "USER": self.user,
                "PATH": f"{self.layout.shims}:{self.layout.bin}:/usr/bin:/bin", **extra}

    def run(self, argv: list[str], stdin: str | None = None, **extra: str) \
            -> subprocess.CompletedProcess[str]:
        """Run as the guarded user, in its home."""
        return subprocess.run(argv, user=self.user, group=self.user, extra_groups=[],
                              env=self.env(**extra), cwd=self.home, input=stdin,
                              capture_output=True, text=True, timeout=120, check=False)

    def sh(self, script: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return self.run(["/bin/sh", "-c", script], **extra)

    def set_touch(self, touch: bool) -> None:
        state = json.loads(self.key.read_text())
        state["touch"] = touch
        self.key.write_text(json.dumps(state))

    def audit(self) -> list[dict[str, object]]:
        text = (self.layout.state / "audit.jsonl").read_text()
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def _root(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def _enrol_test_key(root: Path, layout: Layout, broker_user: str) -> Path:
    scratch = root / "enrol"
    scratch.mkdir()
    _root([SHELLGATE, "--config", str(scratch), "enroll", "--soft", str(scratch / "key.json"),
           "--label", "hardened-test"])
    keydir = root / "testkey"
    keydir.mkdir(mode=0o700)
    key = keydir / "key.json"
    shutil.copy(scratch / "key.json", key)
    store = json.loads((scratch / "keys.json").read_text())
    for credential in store["credentials"]:
        credential["soft_file"] = str(key)
    (layout.etc / "keys.json").write_text(json.dumps(store))  # root's, 0644 already
    shutil.chown(keydir, broker_user, broker_user)
    shutil.chown(key, broker_user, broker_user)
    key.chmod(0o600)
    shutil.rmtree(scratch)
    return key


@contextmanager
def installed(tag: str = "") -> Iterator[Env]:
    """Install hardened mode for a new throwaway user; remove all of it afterwards."""
    tag = tag or f"{os.getpid() % 100000}"
    user, broker_user, runner_user = f"sgt{tag}", f"sgb{tag}", f"sgr{tag}"
    root = Path(tempfile.mkdtemp(prefix="sg-hardened-", dir="/tmp"))
    root.chmod(0o755)
    layout = Layout.under(root, broker_user, runner_user)
    _root(["useradd", "-m", "-s", "/bin/sh", user])
    broker: subprocess.Popen[bytes] | None = None
    try:
        done = subprocess.run([SHELLGATE, "install", "--hardened", "--user", user,
                               "--layout-root", str(root), "--broker-user", broker_user,
                               "--runner-user", runner_user, "--no-systemd"],
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        (layout.etc / "config.toml").write_text("approval_timeout = 4\n")
        key = _enrol_test_key(root, layout, broker_user)
        broker = subprocess.Popen([str(layout.venv / "bin" / "shellgate"), "broker",
                                   "--test-key", str(key)], stderr=subprocess.PIPE, cwd="/")
        for _ in range(200):
            if layout.socket.exists():
                break
            assert broker.poll() is None, broker.stderr.read() if broker.stderr else ""
            time.sleep(0.05)
        home = Path(pwd.getpwnam(user).pw_dir)
        yield Env(root, layout, user, home, key, broker)
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(10)
        if layout.manifest.exists():
            subprocess.run([SHELLGATE, "uninstall", "--hardened", "--layout-root", str(root),
                            "--broker-user", broker_user, "--runner-user", runner_user],
                           capture_output=True, check=False)
        subprocess.run(["userdel", "-r", user], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)
    for made in (broker_user, runner_user):
        with pytest.raises(KeyError):
            pwd.getpwnam(made)  # uninstall removed the system users it created
    with pytest.raises(KeyError):
        pwd.getpwnam(user)


def hook(env: Env, command: str) -> tuple[dict[str, object], str]:
    """The managed Claude Code hook's answer to a Bash call of ``command``, and its stderr
    (where the touch prompt goes)."""
    settings = json.loads(env.layout.claude_managed.read_text())
    line = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
    payload = {"session_id": "s", "transcript_path": "/dev/null", "cwd": str(env.home),
               "hook_event_name": "PreToolUse", "tool_name": "Bash",
               "tool_input": {"command": command}}
    done = env.run(["/bin/sh", "-c", line], stdin=json.dumps(payload))
    assert done.returncode in (0, 2), done.stderr
    answer = json.loads(done.stdout) if done.stdout.strip() else {"exit": done.returncode}
    return answer, done.stderr
