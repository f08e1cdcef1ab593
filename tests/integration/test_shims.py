"""Installed PATH shims and the shim dir's ``shellgate-sh``, black-box: real subprocesses on
a temporary HOME and PATH, a real git with a local bare remote, stub binaries that record
what reached them, and a software key enrolled from the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_cli import tool

GIT = shutil.which("git") or "/usr/bin/git"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


class Box:
    """A temporary home with shellgate's shims installed, stubs, and a diverged git repo."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.config = root / "config"
        self.shims = root / "shims"
        self.stubs = root / "stubs"
        self.key = root / "key.json"
        self.home.mkdir()
        self.config.mkdir()
        self.stubs.mkdir()
        (self.config / "config.toml").write_text("approval_timeout = 3\n")

    @property
    def path(self) -> str:
        return f"{self.shims}:{self.stubs}:{SYSTEM_PATH}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {"PATH": self.path, "HOME": str(self.home), "LANG": "C.UTF-8",
               "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
               "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1"}
        env.update(extra)
        return env

    def run(self, args: list[str], cwd: Path | None = None, stdin: bytes = b"",
            env: dict[str, str] | None = None, timeout: float = 60,
            ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(args, cwd=cwd or self.root, input=stdin, capture_output=True,
                              env=env or self.env(), timeout=timeout, check=False)

    def bash(self, script: str, cwd: Path | None = None, stdin: bytes = b"",
             ) -> subprocess.CompletedProcess[bytes]:
        return self.run(["/bin/bash", "-c", script], cwd, stdin)

    def shellgate(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return self.run([tool("shellgate"), "--config", str(self.config), *args])

    def install(self, *args: str) -> None:
        result = self.shellgate("install", "--home", str(self.home), "--shims-dir",
                                str(self.shims), "--no-shell-config", *args)
        assert result.returncode == 0, result.stderr

    def stub(self, name: str, body: str) -> Path:
        """A stub program: records its argv and stdin under root/NAME.*, then runs BODY."""
        path = self.stubs / name
        path.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{self.root}/{name}.argv"\n{body}\n')
        path.chmod(0o755)
        return path

    def enroll(self, touch: bool = True) -> None:
        assert self.shellgate("enroll", "--soft", str(self.key)).returncode == 0
        self.set_touch(touch)

    def set_touch(self, touch: bool) -> None:
        data = json.loads(self.key.read_text())
        data["touch"] = touch
        self.key.write_text(json.dumps(data))

    def audit_events(self) -> list[str]:
        log = self.config / "audit.jsonl"
        if not log.exists():
            return []
        return [json.loads(line)["event"] for line in log.read_text().splitlines() if line]

    def repo(self) -> Path:
        """A clone whose history diverged from its bare remote (a push needs --force)."""
        remote, work = self.root / "remote.git", self.root / "work"
        steps = [[GIT, "init", "-q", "--bare", str(remote)],
                 [GIT, "init", "-q", "-b", "main", str(work)]]
        for step in steps:
            assert self.run(step).returncode == 0
        for step in (["commit", "-q", "--allow-empty", "-m", "one"],
                     ["remote", "add", "origin", str(remote)], ["push", "-q", "origin", "main"],
                     ["commit", "-q", "--allow-empty", "-m", "two"],
                     ["push", "-q", "origin", "main"], ["reset", "-q", "--hard", "HEAD~1"],
                     ["commit", "-q", "--allow-empty", "-m", "rewritten"]):
            assert self.run([GIT, *step], work).returncode == 0, step
        return work

    def remote_head(self) -> str:
        result = self.run([GIT, "--git-dir", str(self.root / "remote.git"), "log", "-1",
                           "--format=%s", "main"])
        return result.stdout.decode().strip()


@pytest.fixture
def box(tmp_path: Path) -> Box:
    box = Box(tmp_path)
    box.install()
    return box


# --- the shims as installed ------------------------------------------------------------


def test_install_writes_isolated_shims_for_guarded_tools(box: Box) -> None:
    for name in ("git", "curl", "psql", "railway", "aws", "shellgate-sh", "sudo"):
        shim = box.shims / name
        assert os.access(shim, os.X_OK), name
        # -I, or -IS where the shim puts site-packages on sys.path itself (non-editable)
        assert shim.read_text().splitlines()[0].endswith((" -I", " -IS")), name
    for name in ("bash", "sh", "zsh", "python3", "python", "node"):
        assert not (box.shims / name).exists(), name
    assert (box.shims / ".shellgate-shims").exists()
    assert str(box.config) in (box.shims / "git").read_text()


def test_force_push_through_the_shim_is_refused_and_the_remote_unchanged(box: Box) -> None:
    work = box.repo()
    result = box.run(["git", "push", "--force", "origin", "main"], work)
    assert result.returncode == 126
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("shellgate: ")
    assert "git.force-push" in lines[0] and "shellgate enroll" in lines[0]
    assert box.remote_head() == "two"


def test_force_push_runs_after_a_touch(box: Box) -> None:
    work = box.repo()
    box.enroll(touch=True)
    result = box.run(["git", "push", "--force", "origin", "main"], work)
    assert result.returncode == 0, result.stderr
    assert b"touch your key" in result.stderr
    assert box.remote_head() == "rewritten"
    assert box.audit_events().count("approved") == 1


def test_untouched_key_refuses_through_the_shim(box: Box) -> None:
    work = box.repo()
    box.enroll(touch=False)
    result = box.run(["git", "push", "--force", "origin", "main"], work)
    assert result.returncode == 126
    assert b"timed out" in result.stderr
    assert box.remote_head() == "two"


def test_allowed_git_runs_without_the_engine_noticing(box: Box) -> None:
    work = box.repo()
    result = box.run(["git", "log", "--format=%s"], work)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().split() == ["rewritten", "one"]
    assert result.stderr == b""
    assert box.audit_events() == []


# --- stdin, stdout, exit status, signals, environment ----------------------------------


def test_stdin_streams_through_a_shim(box: Box) -> None:
    data = b"hello\x00world\n" * 1000
    via_shim = box.run(["git", "hash-object", "--stdin"], stdin=data)
    assert via_shim.returncode == 0, via_shim.stderr
    expected = hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()  # noqa: S324
    assert via_shim.stdout.decode().strip() == expected


def test_inspected_stdin_reaches_the_program_byte_for_byte(box: Box) -> None:
    box.stub("psql", f'cat > "{box.root}/psql.stdin"')
    payload = b"SELECT 1;\n-- \xc3\xbcml\r\n  SELECT 2"
    result = box.run(["psql", "-d", "app"], stdin=payload)
    assert result.returncode == 0, result.stderr
    assert (box.root / "psql.stdin").read_bytes() == payload


def test_destructive_sql_on_stdin_is_refused_unrun(box: Box) -> None:
    box.stub("psql", f'cat > "{box.root}/psql.stdin"')
    result = box.run(["psql", "-d", "app"], stdin=b"BEGIN; DROP TABLE users; COMMIT;")
    assert result.returncode == 126
    assert result.stderr.startswith(b"shellgate: needs approval: sql.drop")
    assert not (box.root / "psql.argv").exists()


def test_a_shim_that_does_not_need_stdin_leaves_it_to_the_loop(box: Box) -> None:
    box.stub("psql", "echo ran")
    box.stub("curl", "echo fetched")
    result = box.bash('while read -r x; do psql -c "select 1" >/dev/null; '
                      'curl -s "https://example.com/$x" >/dev/null; echo "$x"; done',
                      stdin=b"a\nb\nc\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"a\nb\nc\n"


def test_curl_reading_its_body_from_stdin_has_it_inspected(box: Box) -> None:
    box.stub("curl", f'cat > "{box.root}/curl.stdin"')
    body = b'{"query":"mutation { volumeDelete(volumeId: \\"v\\") }"}'
    result = box.run(["curl", "-X", "POST", "https://backboard.railway.app/graphql/v2",
                      "-d", "@-"], stdin=body)
    assert result.returncode == 126
    assert b"railway" in result.stderr
    assert not (box.root / "curl.stdin").exists()


@pytest.mark.parametrize("status", [0, 1, 3, 42, 255])
def test_exit_status_passes_through(box: Box, status: int) -> None:
    box.stub("psql", f"exit {status}")
    assert box.run(["psql", "-c", "select 1"]).returncode == status


def test_death_by_signal_passes_through(box: Box) -> None:
    box.stub("psql", "kill -TERM $$")
    assert box.run(["psql", "-c", "select 1"]).returncode == -signal.SIGTERM


def test_sigpipe_is_not_left_ignored(box: Box) -> None:
    box.stub("spew", "exec yes")
    box.install("--tools", "spew")
    result = box.bash('spew | head -n 1; echo "status ${PIPESTATUS[0]}"')
    assert result.stdout.decode().split() == ["y", "status", "141"]
    assert b"Broken pipe" not in result.stderr


def test_environment_and_signal_dispositions_are_the_callers(box: Box) -> None:
    box.stub("probe", f'env | sort > "{box.root}/env.$1"; '
                      f'grep -E "^Sig(Ign|Blk)" /proc/self/status > "{box.root}/sig.$1"')
    box.install("--tools", "probe")
    env = {"PATH": box.path, "HOME": str(box.home), "ODD": "a=b\tc"}  # no locale at all
    direct = box.run([str(box.stubs / "probe"), "direct"], env=env)
    shimmed = box.run(["probe", "shim"], env=env)
    assert direct.returncode == shimmed.returncode == 0, shimmed.stderr
    assert (box.root / "env.shim").read_text() == (box.root / "env.direct").read_text()
    assert (box.root / "sig.shim").read_text() == (box.root / "sig.direct").read_text()


def test_the_program_gets_the_tool_name_as_argv0(box: Box) -> None:
    box.stub("psql", f'echo "$0" > "{box.root}/argv0"')
    assert box.run(["psql", "-c", "select 1"]).returncode == 0
    assert (box.root / "argv0").read_text().strip().endswith("psql")


# --- no loops, never itself --------------------------------------------------------------


def test_shim_dir_twice_on_path_does_not_loop(box: Box) -> None:
    box.stub("psql", "echo real-psql")
    env = box.env(PATH=f"{box.shims}:{box.shims}:{box.stubs}:{SYSTEM_PATH}")
    result = box.run(["psql", "-c", "select 1"], env=env, timeout=20)
    assert result.returncode == 0 and result.stdout == b"real-psql\n"


def test_only_shims_on_path_is_command_not_found(box: Box) -> None:
    alias = box.root / "alias"
    alias.symlink_to(box.shims)
    env = box.env(PATH=f"{alias}:{box.shims}:{alias}")
    result = box.run([str(box.shims / "railway"), "status"], env=env, timeout=20)
    assert result.returncode == 127
    assert result.stderr == b"shellgate: railway: command not found\n"


def test_copies_of_shims_in_unmarked_dirs_do_not_ping_pong(box: Box) -> None:
    box.stub("psql", "echo real-psql")
    dirs = []
    for name in ("a", "b"):
        copy = box.root / name
        copy.mkdir()
        shutil.copy2(box.shims / "psql", copy / "psql")
        dirs.append(str(copy))
    env = box.env(PATH=f"{dirs[0]}:{dirs[1]}:{box.shims}:{box.stubs}:{SYSTEM_PATH}")
    result = box.run(["psql", "-c", "select 1"], env=env, timeout=20)
    assert result.returncode == 0 and result.stdout == b"real-psql\n"


# --- failures refuse ----------------------------------------------------------------------


def test_broken_config_refuses_without_running(box: Box) -> None:
    box.stub("psql", "echo ran")
    (box.config / "config.toml").write_text("approval_timeout = [\n")
    result = box.run(["psql", "-c", "select 1"])
    assert result.returncode == 126
    assert result.stderr.startswith(b"shellgate: ") and b"invalid TOML" in result.stderr
    assert not (box.root / "psql.argv").exists()


def test_agent_environment_cannot_redirect_the_shim(box: Box) -> None:
    work = box.repo()
    evil = box.root / "evil" / "shellgate"
    evil.mkdir(parents=True)
    (evil / "__init__.py").write_text("")
    (evil / "shim.py").write_text("import os, sys\n"
                                  "def main(tool, config, shims):\n"
                                  f"    os.execv({GIT!r}, [tool, *sys.argv[1:]])\n")
    env = box.env(PYTHONPATH=str(evil.parent), PYTHONSTARTUP=str(evil / "shim.py"),
                  SHELLGATE_CONFIG=str(evil))
    result = box.run(["git", "push", "--force", "origin", "main"], work, env=env)
    assert result.returncode == 126
    assert box.remote_head() == "two"


# --- the restricted shell from the shims dir ----------------------------------------------


@pytest.mark.parametrize("script", [
    f"{GIT} push --force origin main",
    "\\git push --force origin main",
    "X=git; $X push --force origin main",
    "echo 'git push --force origin main' | sh",
    "bash -c \"bash -c 'git push --force origin main'\"",
])
def test_restricted_shell_refuses_every_spelling(box: Box, script: str) -> None:
    work = box.repo()
    box.enroll(touch=False)
    result = box.run([str(box.shims / "shellgate-sh"), "-c", script], work)
    assert result.returncode == 126, result.stderr
    assert result.stderr.decode().startswith("shellgate: ")
    assert box.remote_head() == "two"


def test_restricted_shell_puts_the_shims_first(box: Box) -> None:
    env = box.env(PATH=SYSTEM_PATH)
    result = box.run([str(box.shims / "shellgate-sh"), "-c", "command -v git"], env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == str(box.shims / "git")


def test_one_touch_for_a_script_and_its_nested_shims(box: Box) -> None:
    work = box.repo()
    box.enroll(touch=True)
    result = box.run([str(box.shims / "shellgate-sh"), "-c", "git push --force origin main"],
                     work)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(b"touch your key") == 1  # the nested git shim redeemed
    assert box.remote_head() == "rewritten"
    assert box.audit_events().count("approved") == 1
    assert not list((box.config / "tickets").glob("*.json"))  # released when the script ended
    box.set_touch(False)
    again = box.run(["git", "push", "--force", "origin", "main"], work)
    assert again.returncode == 126 and b"timed out" in again.stderr


def test_a_gated_command_the_script_did_not_show_still_needs_its_own_touch(box: Box) -> None:
    work = box.repo()
    box.enroll(touch=True)
    # While the approved script runs (its ticket live), a helper runs a gated command that
    # the approved text never showed: that one asks for its own touch, which is refused.
    box.stub("helper", f"sed -i 's/\"touch\": true/\"touch\": false/' {box.key}\n"
                       "git push --force origin main:other")
    result = box.run([str(box.shims / "shellgate-sh"), "-c", "git push --force origin main "
                      "&& helper"], work)
    assert result.returncode == 126
    assert result.stderr.count(b"touch your key") == 2
    assert box.remote_head() == "rewritten"  # the approved push ran
    branches = box.run([GIT, "--git-dir", str(box.root / "remote.git"), "branch"]).stdout
    assert b"other" not in branches


# --- the terminal ------------------------------------------------------------------------


def test_the_terminal_and_ctrl_c_reach_the_program(box: Box) -> None:
    pexpect = pytest.importorskip("pexpect")
    box.stub("psql", "[ -t 0 ] && [ -t 1 ] && echo both-tty\n"
                     "trap 'echo got-int; exit 7' INT\necho ready\n"
                     "while :; do sleep 0.1; done")
    child = pexpect.spawn("psql", ["-c", "select 1"], env=box.env(), cwd=str(box.root),
                          timeout=30)
    child.expect("both-tty")
    child.expect("ready")
    child.sendintr()
    child.expect("got-int")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 7
