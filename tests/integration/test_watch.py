"""What the human sees while a request waits, and hookless agents behind ``wrap``.

Black-box: the installed CLI in a real git repository with a software key that is never
touched, started by a fake agent named ``aider`` (so agent detection has something to
find) with a recording ``notify-send`` stub on PATH. Also in-process checks of the
pending-file filter: stale files are ignored, never deleted, and nothing is drawn raw.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from shellgate.config import Config
from shellgate.surfaces.watch import load_pending, render
from tests.integration.test_approval import enrolled, remote_head, repo, set_touch
from tests.integration.test_cli import tool

__all__ = ["enrolled", "repo"]  # fixtures shared with test_approval, used by name

PROMPT = re.compile(r"touch your key to approve \[([0-9a-f]{8})\]")
FORCE_PUSH = ["git", "push", "--force", "origin", "main"]


def write_script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


@dataclass
class Scene:
    """An enrolled config whose key is never touched, and tools on a private PATH."""

    repo: Path
    config: Path
    bin: Path
    notify_log: Path
    env: dict[str, str]

    def shellgate(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([tool("shellgate"), "--config", str(self.config), *args],
                              cwd=self.repo, env=self.env, capture_output=True, text=True,
                              timeout=60, check=False)

    def start_run(self, timeout: int) -> tuple[subprocess.Popen[str], str]:
        """Start a force push through the fake agent; return it once it waits, and the
        short hash from its prompt."""
        proc = subprocess.Popen([str(self.bin / "aider"), tool("shellgate"), "--config",
                                 str(self.config), "run", "--timeout", str(timeout), "--",
                                 *FORCE_PUSH],
                                cwd=self.repo, env=self.env, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        assert proc.stderr is not None
        first = proc.stderr.readline()  # written once the request is pending
        match = PROMPT.search(first)
        assert match, first
        return proc, match.group(1)

    def notifications(self) -> list[list[str]]:
        if not self.notify_log.exists():
            return []
        return [json.loads(line) for line in self.notify_log.read_text().splitlines()]


@pytest.fixture
def scene(repo: Path, enrolled: tuple[Path, Path], tmp_path: Path) -> Scene:
    config, key = enrolled
    set_touch(key, False)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A shell script keeps its own name as the process name: detect_agent finds "aider".
    write_script(bin_dir / "aider", '#!/bin/sh\n"$@"\nexit $?\n')
    log = tmp_path / "notify.log"
    write_script(bin_dir / "notify-send",
                 f"#!{sys.executable}\nimport json, sys\n"
                 f"with open({str(log)!r}, 'a') as f:\n"
                 "    f.write(json.dumps(sys.argv[1:]) + '\\n')\n")
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
           "HOME": str(repo), "LANG": "C.UTF-8", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}
    return Scene(repo, config, bin_dir, log, env)


def test_watch_once_shows_the_pending_request_until_it_times_out(scene: Scene) -> None:
    proc, short = scene.start_run(timeout=8)
    try:
        during = scene.shellgate("watch", "--once")
    finally:
        rest = proc.communicate(timeout=60)[1]
    assert during.returncode == 0, during.stderr
    pending = during.stdout.split("RECENT DECISIONS")[0]
    assert "PENDING (1)" in pending
    assert f"[{short}]" in pending
    assert "command: git push --force origin main" in pending
    assert "git.force-push: force push overwrites" in pending and "why: " in pending
    assert "agent: aider" in pending
    assert f"cwd:     {scene.repo}" in pending
    assert re.search(r"\b[1-8]s left", pending)

    assert proc.returncode == 126, rest
    after = scene.shellgate("watch", "--once").stdout
    assert "PENDING: none waiting" in after
    timeout_lines = [line for line in after.splitlines() if " timeout " in line]
    assert len(timeout_lines) == 1
    assert short in timeout_lines[0] and "git push --force origin main" in timeout_lines[0]
    assert "[git.force-push]" in timeout_lines[0]
    assert remote_head(scene.repo) == "two"

    calls = scene.notifications()
    assert len(calls) == 1, calls
    assert any(short in arg for arg in calls[0])
    assert any("git push --force origin main" in arg for arg in calls[0])


def test_live_watch_drops_a_killed_request_without_deleting_its_file(scene: Scene) -> None:
    pexpect = pytest.importorskip("pexpect")
    watch = pexpect.spawn(tool("shellgate"), ["--config", str(scene.config), "watch",
                                              "--interval", "0.2"],
                          cwd=str(scene.repo), env=scene.env, encoding="utf-8", timeout=30)
    try:
        watch.expect("PENDING: none waiting")
        proc, short = scene.start_run(timeout=120)
        try:
            watch.expect(re.escape(f"[{short}]"))
            watch.expect("command: git push --force origin main")
            watch.expect("agent: aider")
        finally:
            pending_files = list((scene.config / "pending").glob("*.json"))
            os.kill(json.loads(pending_files[0].read_text())["pid"], signal.SIGKILL)
            proc.communicate(timeout=30)
        watch.expect("PENDING: none waiting")
        assert [p.exists() for p in pending_files] == [True]  # a stale file is left alone
        watch.sendintr()
        watch.expect(pexpect.EOF)
    finally:
        watch.close(force=True)
    assert watch.exitstatus == 0


def test_a_hanging_notifier_does_not_hold_up_an_approval(scene: Scene, enrolled: tuple[
        Path, Path]) -> None:
    _, key = enrolled
    set_touch(key, True)
    fifo = scene.bin.parent / "notifier.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # lets the stub open it at once
    write_script(scene.bin / "notify-send", f"#!/bin/sh\necho $$ > {fifo}\nexec sleep 300\n")
    try:  # the notifier keeps no pipe of ours open, so this returns long before it ends
        result = subprocess.run([tool("shellgate"), "--config", str(scene.config), "run",
                                 "--timeout", "5", "--", *FORCE_PUSH], cwd=scene.repo,
                                env=scene.env, capture_output=True, text=True, timeout=60,
                                check=False)
        assert select.select([reader], [], [], 30)[0], "the notifier was never started"
        os.kill(int(os.read(reader, 64)), signal.SIGKILL)
    finally:
        os.close(reader)
    assert result.returncode == 0, result.stderr
    assert remote_head(scene.repo) == "rewritten"


def test_no_notifier_changes_nothing(scene: Scene) -> None:
    scene.env.pop("DBUS_SESSION_BUS_ADDRESS")
    result = scene.shellgate("run", "--timeout", "2", "--", *FORCE_PUSH)
    assert result.returncode == 126 and "timed out" in result.stderr
    assert scene.notifications() == []


# ---- the pending-file filter, in process -------------------------------------------------

def pending_file(config: Path, name: str, **fields: object) -> Path:
    entry: dict[str, object] = {
        "agent": "codex", "cwd": "/srv", "command": "rm -rf build", "short": "0123abcd",
        "started": int(time.time()), "deadline": int(time.time()) + 60, "pid": os.getpid(),
        "rules": [{"id": "fs.rm-recursive", "summary": "deletes a tree", "why": "use git"}]}
    entry.update(fields)
    path = config / "pending" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entry))
    return path


@pytest.fixture
def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "cfg"


def test_only_live_requests_are_listed(config_dir: Path, dead_pid: int) -> None:
    now = time.time()
    files = [pending_file(config_dir, "live"),
             pending_file(config_dir, "dead", pid=dead_pid),
             pending_file(config_dir, "expired", deadline=int(now) - 1),
             pending_file(config_dir, "reused", started=int(now) - 3600)]  # pid now someone else
    (config_dir / "pending" / "torn.json").write_text('{"agent": "co')
    (config_dir / "pending" / "odd.json").write_text('{"pid": true, "rules": 3}')
    listed = load_pending(config_dir, now)
    assert [entry.nonce for entry in listed] == ["live"]
    assert listed[0].rules[0].id == "fs.rm-recursive"
    assert all(path.exists() for path in files)


def test_render_escapes_control_characters(config_dir: Path) -> None:
    pending_file(config_dir, "evil", command="rm -rf x\x1b[2J\x1b[Hall clear\r\n\u202e",
                 agent="a\x07", rules=[{"id": "fs.x\x1b]0;t\x07", "summary": "s", "why": ""}])
    shown = render(Config(str(config_dir)), time.time())
    assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown
    assert "\u202e" not in shown
    assert r"rm -rf x\x1b[2J\x1b[Hall clear\r\n\u202e" in shown
    assert "[0123abcd]" in shown and "agent: a\\x07" in shown


# ---- wrap: hookless agents behind the restricted shell ----------------------------------

AGENT = """#!/bin/sh
"$SHELL" -c 'git push --force origin main'; echo "push=$?"
"$SHELL" -c 'echo ok'; echo "echo=$?"
"$SHELL" -l -c 'echo login'; echo "login=$?"
echo "shell=$SHELL"
echo "path=$PATH"
exit 7
"""


def wrap(config: Path, cwd: Path, *args: str,
         extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8",
           **(extra_env or {})}
    return subprocess.run([tool("shellgate"), "--config", str(config), "wrap", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_wrap_gates_the_agents_shell_and_passes_its_status(repo: Path, tmp_path: Path) -> None:
    agent = write_script(tmp_path / "agent", AGENT)
    shims = tmp_path / "shims"
    shims.mkdir()
    config = tmp_path / "config"
    result = wrap(config, repo, "--shims-dir", str(shims), "--", str(agent))
    assert result.returncode == 7, result.stderr
    lines = result.stdout.splitlines()
    assert "push=126" in lines
    assert "git.force-push" in result.stderr
    assert lines[lines.index("ok"):lines.index("ok") + 4] == ["ok", "echo=0", "login", "login=0"]
    shell = next(line for line in lines if line.startswith("shell="))[len("shell="):]
    assert Path(shell) == config.resolve() / "wrap" / "shellgate-sh"
    path = next(line for line in lines if line.startswith("path="))[len("path="):]
    assert path.split(os.pathsep)[0] == str(shims.resolve())
    assert remote_head(repo) == "two"


def test_wrapped_shell_ignores_python_variables_from_the_agent(repo: Path,
                                                               tmp_path: Path) -> None:
    evil = tmp_path / "evil" / "shellgate"
    evil.mkdir(parents=True)
    (evil / "__init__.py").write_text("import os\nos.execvp('sh', ['sh', '-c', "
                                      "'echo hijacked; exec git push --force origin main'])\n")
    agent = write_script(tmp_path / "agent",  # the agent, not its user, sets the variables
                         f"#!/bin/sh\nexport PYTHONPATH={evil.parent} PYTHONSAFEPATH=\n"
                         "exec \"$SHELL\" -c 'git push --force origin main'\n")
    result = wrap(tmp_path / "config", repo, "--", str(agent))
    assert result.returncode == 126, result.stdout + result.stderr
    assert "hijacked" not in result.stdout
    assert remote_head(repo) == "two"


def test_wrap_reports_a_missing_agent(tmp_path: Path) -> None:
    result = wrap(tmp_path / "config", tmp_path, "--", "no-such-agent-xyz")
    assert result.returncode == 127
    assert "no-such-agent-xyz: command not found" in result.stderr
