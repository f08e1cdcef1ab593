"""Desktop notifications: which notifier is chosen, what it is told, and that nothing in
this module can raise or wait into an approval."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shellgate.approve import notify

ENTRY: dict[str, Any] = {
    "agent": "aider", "cwd": "/srv/app", "command": "git push --force origin main",
    "short": "1a2b3c4d", "started": 0, "deadline": 60, "pid": 1,
    "rules": [{"id": "git.force-push", "summary": "rewrites remote history", "why": "…"}]}


def stub(directory: Path, name: str, log: Path) -> Path:
    path = directory / name
    path.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n")
    path.chmod(0o755)
    return path


def test_pending_summary_is_one_escaped_line() -> None:
    line = notify.pending_summary({**ENTRY, "command": "rm -rf /\x1b[2J\nok"})
    assert line == ("shellgate: touch your key to approve [1a2b3c4d]: "
                    "rm -rf /\\x1b[2J\\nok (git.force-push)")


def test_pending_summary_survives_a_malformed_entry() -> None:
    assert notify.pending_summary({"rules": "nope"}) == \
        "shellgate: touch your key to approve [?]: "


def test_pending_message_carries_hash_command_rule_agent_and_cwd() -> None:
    title, body = notify.pending_message(ENTRY)
    assert "[1a2b3c4d]" in title
    assert body.splitlines() == ["git push --force origin main",
                                 "git.force-push: rewrites remote history",
                                 "aider in /srv/app",
                                 "compare [1a2b3c4d] with `shellgate watch`"]


def test_long_commands_are_truncated() -> None:
    _, body = notify.pending_message({**ENTRY, "command": "x" * 5000})
    first = body.splitlines()[0]
    assert len(first) == notify.COMMAND_CHARS and first.endswith("…")


def test_no_graphical_session_means_no_notifier(tmp_path: Path) -> None:
    stub(tmp_path, "notify-send", tmp_path / "log")
    assert notify.notifier_argv("t", "b", "linux", {"PATH": str(tmp_path)}) is None


def test_no_notify_send_means_no_notifier(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "DISPLAY": ":0"}
    assert notify.notifier_argv("t", "b", "linux", env) is None


def test_notify_send_gets_texts_after_a_double_dash(tmp_path: Path) -> None:
    found = stub(tmp_path, "notify-send", tmp_path / "log")
    env = {"PATH": str(tmp_path), "WAYLAND_DISPLAY": "wayland-0"}
    argv = notify.notifier_argv("--title", "a <b> & c", "linux", env)
    assert argv is not None and argv[0] == str(found)
    assert argv[-3:] == ["--", "--title", "a &lt;b&gt; &amp; c"]


def test_macos_passes_texts_as_arguments_not_script(tmp_path: Path) -> None:
    found = stub(tmp_path, "osascript", tmp_path / "log")
    argv = notify.notifier_argv('say "x"', "b\\", "darwin", {"PATH": str(tmp_path)})
    assert argv is not None and argv[0] == str(found)
    assert argv[-2:] == ['say "x"', "b\\"]
    assert all('"x"' not in part for part in argv[:-2])


def test_notify_runs_the_notifier_with_the_short_hash(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "log"
    stub(tmp_path, "notify-send", log)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/x")
    children: list[subprocess.Popen[bytes] | None] = []
    real_start = notify._start

    def start(argv: list[str], timeout: float) -> subprocess.Popen[bytes] | None:
        children.append(real_start(argv, timeout))
        return children[-1]

    monkeypatch.setattr(notify, "_start", start)
    assert notify.notify(*notify.pending_message(ENTRY)) is True
    assert len(children) == 1 and children[0] is not None
    assert children[0].wait(30) == 0
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(calls) == 1
    assert "[1a2b3c4d]" in calls[0][-2] and "git push --force origin main" in calls[0][-1]


def test_notify_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object, **__: object) -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(notify, "notifier_argv", broken)
    assert notify.notify("t", "b") is False


def test_notify_without_any_notifier_is_false(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("PATH", str(tmp_path))
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    assert notify.notify("t", "b") is False


def test_an_unstartable_notifier_is_false(tmp_path: Path) -> None:
    bad = tmp_path / "notify-send"
    bad.write_text("not a program")  # not executable: exec fails
    assert notify._start([str(bad)], 1.0) is None


def test_a_hanging_notifier_is_killed_after_its_timeout() -> None:
    child = subprocess.Popen(["sleep", "300"])
    notify._reap(child, 0.1)
    assert child.returncode is not None and child.returncode < 0
