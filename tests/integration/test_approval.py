"""Hardware approval, black-box: the installed CLI with a software key (``enroll --soft``),
a real git repository and a local bare remote. Every refusal path exits 126 and runs
nothing; a touch runs exactly the approved command; the audit trail verifies."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.test_cli import tool


def sh(args: list[str], cwd: Path, stdin: bytes = b"",
       timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "HOME": str(cwd), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    result = subprocess.run(args, cwd=cwd, input=stdin, capture_output=True, env=env,
                            timeout=timeout, check=False)
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       result.stdout.decode(), result.stderr.decode())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A clone whose local history diverged from its bare remote (so a push needs --force)."""
    remote = tmp_path / "remote.git"
    work = tmp_path / "work"
    assert sh(["git", "init", "-q", "--bare", str(remote)], tmp_path).returncode == 0
    assert sh(["git", "init", "-q", "-b", "main", str(work)], tmp_path).returncode == 0
    for step in (["git", "commit", "-q", "--allow-empty", "-m", "one"],
                 ["git", "remote", "add", "origin", str(remote)],
                 ["git", "push", "-q", "origin", "main"],
                 ["git", "commit", "-q", "--allow-empty", "-m", "two"],
                 ["git", "push", "-q", "origin", "main"],
                 ["git", "reset", "-q", "--hard", "HEAD~1"],
                 ["git", "commit", "-q", "--allow-empty", "-m", "rewritten"]):
        assert sh(step, work).returncode == 0, step
    return work


def remote_head(repo: Path) -> str:
    return sh(["git", "--git-dir", str(repo.parent / "remote.git"), "log", "-1",
               "--format=%s", "main"], repo).stdout.strip()


def shellgate(config: Path, *args: str, cwd: Path, stdin: bytes = b"",
              ) -> subprocess.CompletedProcess[str]:
    return sh([tool("shellgate"), "--config", str(config), *args], cwd, stdin)


def set_touch(key: Path, touch: bool) -> None:
    data = json.loads(key.read_text())
    data["touch"] = touch
    key.write_text(json.dumps(data))


@pytest.fixture
def enrolled(tmp_path: Path) -> tuple[Path, Path]:
    config, key = tmp_path / "config", tmp_path / "key.json"
    result = shellgate(config, "enroll", "--soft", str(key), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return config, key


FORCE_PUSH = ["run", "--timeout", "3", "--", "git", "push", "--force", "origin", "main"]


def test_no_key_refuses_and_remote_is_unchanged(repo: Path, tmp_path: Path) -> None:
    result = shellgate(tmp_path / "config", *FORCE_PUSH, cwd=repo)
    assert result.returncode == 126
    assert "git.force-push" in result.stderr and "shellgate enroll" in result.stderr
    assert remote_head(repo) == "two"


def test_touch_runs_the_force_push_once(repo: Path, enrolled: tuple[Path, Path]) -> None:
    config, _ = enrolled
    result = shellgate(config, *FORCE_PUSH, cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "touch your key to approve" in result.stderr
    assert remote_head(repo) == "rewritten"
    verify = shellgate(config, "audit", "verify", cwd=repo)
    assert verify.returncode == 0 and "2 records verify" in verify.stdout


def test_untouched_key_times_out(repo: Path, enrolled: tuple[Path, Path]) -> None:
    config, key = enrolled
    set_touch(key, False)
    started = time.monotonic()
    result = shellgate(config, *FORCE_PUSH, cwd=repo)
    assert result.returncode == 126
    assert "timed out" in result.stderr
    assert time.monotonic() - started < 60
    assert remote_head(repo) == "two"
    assert "timeout" in shellgate(config, "audit", "show", cwd=repo).stdout


def test_wrong_key_is_refused(repo: Path, enrolled: tuple[Path, Path], tmp_path: Path) -> None:
    config, key = enrolled
    other = tmp_path / "other.json"
    assert shellgate(tmp_path / "other-config", "enroll", "--soft", str(other),
                     cwd=tmp_path).returncode == 0
    shutil.copy(other, key)  # the enrolled key's file now holds a different key
    result = shellgate(config, *FORCE_PUSH, cwd=repo)
    assert result.returncode == 126
    assert "wrong key" in result.stderr
    assert remote_head(repo) == "two"


def test_cloned_key_with_an_old_counter_is_refused(repo: Path, enrolled: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    config, key = enrolled
    snapshot = key.read_bytes()
    assert shellgate(config, "run", "--", "git", "branch", "-D", "nothing-here", cwd=repo
                     ).returncode != 126  # approved (git itself then fails: no such branch)
    key.write_bytes(snapshot)  # a clone of the key from before that approval
    result = shellgate(config, *FORCE_PUSH, cwd=repo)
    assert result.returncode == 126
    assert "counter went backwards" in result.stderr
    assert remote_head(repo) == "two"


def test_denied_command_never_asks(repo: Path, enrolled: tuple[Path, Path]) -> None:
    config, _ = enrolled  # the key would sign at once: a deny must not even ask it
    result = sh([tool("shellgate-sh"), "--config", str(config)], repo,
                stdin=b"git status\0; git push --force origin main\n")
    assert result.returncode == 126
    assert "denied" in result.stderr and "touch your key" not in result.stderr
    assert remote_head(repo) == "two"
    assert "denied" in shellgate(config, "audit", "show", cwd=repo).stdout


def test_adding_a_second_key_needs_the_first(enrolled: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    config, key = enrolled
    set_touch(key, False)
    refused = shellgate(config, "enroll", "--soft", str(tmp_path / "second.json"),
                        "--timeout", "2", cwd=tmp_path)
    assert refused.returncode == 126 and "core.key-management" in refused.stderr
    set_touch(key, True)
    added = shellgate(config, "enroll", "--soft", str(tmp_path / "second.json"), cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    listing = shellgate(config, "keys", cwd=tmp_path).stdout
    assert listing.count("SOFTWARE") == 2


def test_removing_a_key_needs_approval(enrolled: tuple[Path, Path], tmp_path: Path) -> None:
    config, key = enrolled
    key_id = shellgate(config, "keys", cwd=tmp_path).stdout.split()[0]
    set_touch(key, False)
    # "--": a key id is base64url and may start with "-"
    refused = shellgate(config, "keys", "remove", "--timeout", "2", "--", key_id, cwd=tmp_path)
    assert refused.returncode == 126
    assert key_id in shellgate(config, "keys", cwd=tmp_path).stdout
    set_touch(key, True)
    removed = shellgate(config, "keys", "remove", "--", key_id, cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert "no key enrolled" in shellgate(config, "keys", cwd=tmp_path).stdout


def test_doctor_warns_about_software_keys(enrolled: tuple[Path, Path], tmp_path: Path) -> None:
    config, _ = enrolled
    result = shellgate(config, "doctor", cwd=tmp_path)
    assert "SOFTWARE key" in result.stdout
    assert result.returncode == 1


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder"])
def test_tampered_audit_is_detected(repo: Path, enrolled: tuple[Path, Path], tamper: str) -> None:
    config, _ = enrolled
    assert shellgate(config, *FORCE_PUSH, cwd=repo).returncode == 0
    assert shellgate(config, "run", "--", "git", "reset", "--hard", cwd=repo).returncode == 0
    log = config / "audit.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    assert len(lines) == 3
    if tamper == "edit":
        lines[1] = lines[1].replace("--force", "--dry-run")
    elif tamper == "delete":
        del lines[1]
    else:
        lines[1], lines[2] = lines[2], lines[1]
    log.write_text("".join(lines))
    result = shellgate(config, "audit", "verify", cwd=repo)
    assert result.returncode == 1
    assert "FAILED at record 2" in result.stderr


def test_approval_by_a_key_no_longer_enrolled_fails_audit(repo: Path,
                                                           enrolled: tuple[Path, Path]) -> None:
    config, _ = enrolled
    assert shellgate(config, *FORCE_PUSH, cwd=repo).returncode == 0
    (config / "keys.json").write_text('{"version": 1, "credentials": []}')
    result = shellgate(config, "audit", "verify", cwd=repo)
    assert result.returncode == 1 and "not enrolled" in result.stderr


def test_ctrl_c_cancels_cleanly(repo: Path, enrolled: tuple[Path, Path]) -> None:
    config, key = enrolled
    set_touch(key, False)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(repo), "LANG": "C.UTF-8"}
    proc = subprocess.Popen([tool("shellgate"), "--config", str(config), "run", "--timeout",
                             "60", "--", "git", "push", "--force", "origin", "main"],
                            cwd=repo, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    first = proc.stderr.readline()
    assert "touch your key" in first
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=30)[1]
    assert proc.returncode == 126
    assert "cancelled" in rest
    assert remote_head(repo) == "two"
