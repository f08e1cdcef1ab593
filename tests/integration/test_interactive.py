"""Interactive sessions, black-box on real pseudo-terminals (pexpect): the restricted shell
``shellgate-sh`` with no ``-c``, and database clients started through
``shellgate.surfaces.db_client.session.run_interactive`` — with a real git and a local bare
remote, stub
clients that log every statement that reached them, and a software key enrolled from the
CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest

from tests.integration.test_cli import tool

PROMPT = re.compile(r"shellgate-sh:[^\r\n]*\$ ")
MORE = "shellgate-sh> "
SYSTEM_PATH = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"


def environment(home: Path, path: str = SYSTEM_PATH, **extra: str) -> dict[str, str]:
    env = {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8", "TERM": "dumb",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1"}
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.mkdir()
    (path / "config.toml").write_text("approval_timeout = 5\n")
    return path


@pytest.fixture
def repo(tmp_path: Path, home: Path) -> Path:
    """A clone whose history diverged from its bare remote (a push needs --force)."""
    env = environment(home)
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    assert run(["git", "init", "-q", "--bare", str(remote)], tmp_path, env).returncode == 0
    assert run(["git", "init", "-q", "-b", "main", str(work)], tmp_path, env).returncode == 0
    for step in (["git", "commit", "-q", "--allow-empty", "-m", "one"],
                 ["git", "remote", "add", "origin", str(remote)],
                 ["git", "push", "-q", "origin", "main"],
                 ["git", "commit", "-q", "--allow-empty", "-m", "two"],
                 ["git", "push", "-q", "origin", "main"],
                 ["git", "reset", "-q", "--hard", "HEAD~1"],
                 ["git", "commit", "-q", "--allow-empty", "-m", "rewritten"]):
        assert run(step, work, env).returncode == 0, step
    return work


def remote_head(repo: Path, home: Path) -> str:
    return run(["git", "--git-dir", str(repo.parent / "remote.git"), "log", "-1",
                "--format=%s", "main"], repo, environment(home)).stdout.strip()


def enroll(config: Path, key: Path, home: Path) -> None:
    result = run([tool("shellgate"), "--config", str(config), "enroll", "--soft", str(key)],
                 home, environment(home))
    assert result.returncode == 0, result.stderr
    data = json.loads(key.read_text())
    data["touch"] = True
    key.write_text(json.dumps(data))


class Shell:
    """A ``shellgate-sh`` session on a pty."""

    def __init__(self, config: Path, cwd: Path, home: Path, *extra: str,
                 path: str = SYSTEM_PATH, **env: str) -> None:
        self.child = pexpect.spawn(tool("shellgate-sh"), ["--config", str(config), *extra],
                                   cwd=str(cwd), env=environment(home, path, **env),
                                   encoding="utf-8", timeout=30, dimensions=(40, 200))
        self.child.expect(PROMPT)

    def line(self, text: str, expect: str | re.Pattern[str] = PROMPT) -> str:
        """Type a line; return what was shown up to the next prompt."""
        self.child.sendline(text)
        self.child.expect(expect)
        return str(self.child.before)

    def finish(self, text: str | None = None) -> int:
        """End the session (with ``text`` typed, or Ctrl-D) and return its exit status."""
        if text is None:
            self.child.sendcontrol("d")
        else:
            self.child.sendline(text)
        self.child.expect(pexpect.EOF)
        self.child.close()
        return int(self.child.exitstatus)


@pytest.fixture
def shell(config: Path, home: Path, tmp_path: Path) -> Iterator[Callable[..., Shell]]:
    started: list[Shell] = []

    def start(*extra: str, cwd: Path = tmp_path, path: str = SYSTEM_PATH) -> Shell:
        session = Shell(config, cwd, home, *extra, path=path)
        started.append(session)
        return session

    yield start
    for session in started:
        session.child.close(force=True)


# -- the restricted shell ------------------------------------------------------------------

def test_directory_variables_and_functions_persist(shell: Callable[..., Shell],
                                                   tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    s = shell()
    s.line("cd sub")
    s.line("X=hello")
    s.line('greet() { echo "greet:$1:$X"; }')
    assert "greet:you:hello" in s.line("greet you")
    assert s.line("pwd").strip().splitlines()[-1] == str(tmp_path / "sub")
    s.line("touch made-here")
    assert (tmp_path / "sub" / "made-here").exists()
    assert s.finish("exit 3") == 3


def test_payload_files_are_read_from_the_sessions_directory(shell: Callable[..., Shell],
                                                           tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "wipe.sql").write_text("SELECT 1;\n")
    (tmp_path / "sub" / "wipe.sql").write_text("DROP TABLE users;\n")
    s = shell()
    s.line("cd sub")
    assert "sql.drop" in s.line("psql -f wipe.sql")


def test_the_prompt_names_shellgate_sh_and_the_directory(shell: Callable[..., Shell],
                                                         tmp_path: Path) -> None:
    s = shell()
    s.child.sendline("cd /")
    s.child.expect(PROMPT)
    assert s.child.after == "shellgate-sh:/$ "


def test_prompt_hooks_cannot_be_replaced(shell: Callable[..., Shell]) -> None:
    s = shell()
    assert "readonly" in s.line("PS1=plain")
    assert "readonly" in s.line("PS0='changed'")
    assert "readonly" in s.line("PROMPT_COMMAND=true")
    assert "still-gated" in s.line("echo still-gated")


def test_exit_status_is_the_last_commands(shell: Callable[..., Shell]) -> None:
    s = shell()
    s.line("true")
    s.line("(exit 5)")
    assert s.finish() == 5  # Ctrl-D


def test_force_push_is_refused_without_a_key(shell: Callable[..., Shell], repo: Path,
                                             home: Path) -> None:
    s = shell(cwd=repo)
    shown = s.line("git push --force origin main")
    assert "shellgate:" in shown and "git.force-push" in shown
    assert remote_head(repo, home) == "two"
    assert "still-here" in s.line("echo still-here")  # the session goes on
    assert s.finish() == 0


def test_force_push_runs_after_a_touch(shell: Callable[..., Shell], repo: Path, home: Path,
                                       config: Path, tmp_path: Path) -> None:
    enroll(config, tmp_path / "key.json", home)
    s = shell(cwd=repo)
    shown = s.line("git push --force origin main")
    assert "touch your key" in shown
    assert remote_head(repo, home) == "rewritten"
    assert '"approved"' in (config / "audit.jsonl").read_text()


def test_a_multi_line_command_is_read_and_decided_whole(shell: Callable[..., Shell],
                                                        repo: Path, home: Path) -> None:
    s = shell(cwd=repo)
    s.line("if true; then", MORE)
    s.line("  echo inside-the-if", MORE)
    assert "inside-the-if" in s.line("fi")
    s.line("if true; then touch first-part", MORE)
    s.line("  git push --force origin main", MORE)
    shown = s.line("fi")
    assert "git.force-push" in shown
    assert not (repo / "first-part").exists()  # nothing of a refused block runs
    assert remote_head(repo, home) == "two"


def test_open_quotes_and_here_documents_continue(shell: Callable[..., Shell]) -> None:
    s = shell()
    s.line('echo "one', MORE)
    assert "one\r\ntwo" in s.line('two"')
    s.line("cat <<EOF", MORE)
    s.line("in the body", MORE)
    assert "in the body" in s.line("EOF")
    s.line("echo trailing \\", MORE)
    assert "trailing backslash" in s.line("backslash")


def test_an_alias_defined_earlier_is_read_where_it_is_used(shell: Callable[..., Shell],
                                                           repo: Path, home: Path) -> None:
    s = shell(cwd=repo)
    s.line("alias g=git")
    shown = s.line("g push --force origin main")
    assert "git.force-push" in shown
    assert remote_head(repo, home) == "two"


def test_a_syntax_error_is_reported_and_not_sent(shell: Callable[..., Shell]) -> None:
    s = shell()
    assert "syntax error" in s.line("echo ) oops")
    assert "after" in s.line("echo after")


def test_ctrl_c_at_the_prompt_drops_the_line(shell: Callable[..., Shell],
                                             tmp_path: Path) -> None:
    s = shell()
    s.child.send("touch dropped")
    s.child.expect_exact("touch dropped")  # the line editor has it (and waits for more)
    s.child.sendcontrol("c")
    # Enter as well: Python's line editor notices a Ctrl-C that lands while it is busy
    # with a key only when the line ends, and then drops the line all the same.
    s.child.send("\r")
    s.child.sendline("touch kept && echo kept-$((1 + 1))")
    s.child.expect_exact("kept-2")
    s.child.expect(PROMPT)
    assert (tmp_path / "kept").exists() and not (tmp_path / "dropped").exists()


def test_keys_reach_the_running_command(shell: Callable[..., Shell]) -> None:
    s = shell()
    s.child.sendline('read -r answer; echo "got:$answer"')
    s.child.sendline("typed-to-read")
    s.child.expect(PROMPT)
    assert "got:typed-to-read" in str(s.child.before)


def test_keys_typed_ahead_of_the_prompt_are_not_run(shell: Callable[..., Shell],
                                                    tmp_path: Path) -> None:
    s = shell()
    s.child.sendline("while [ ! -e go ]; do sleep 0.05; done")
    s.child.sendline("touch typed-ahead")
    s.child.expect_exact("touch typed-ahead")  # relayed to the running loop's terminal
    (tmp_path / "go").touch()
    s.child.expect(PROMPT)
    s.line("true")
    assert not (tmp_path / "typed-ahead").exists()


def test_an_interactive_interpreter_needs_approval(shell: Callable[..., Shell]) -> None:
    s = shell()
    assert "core.opaque-shell-input" in s.line("python3")
    assert "core.opaque-shell-input" in s.line("exec 2>/dev/null")
    assert "hi" in s.line("python3 -c 'print(\"hi\")'")


def test_the_shims_dir_comes_first_on_path(shell: Callable[..., Shell],
                                           tmp_path: Path) -> None:
    shims = tmp_path / "shims"
    shims.mkdir()
    s = shell("--shims-dir", str(shims))
    shown = s.line('echo "path=$PATH"').splitlines()
    assert [line for line in shown if line.startswith(f"path={shims}:")]


def test_nested_shims_take_the_lines_touch(shell: Callable[..., Shell], repo: Path, home: Path,
                                           config: Path, tmp_path: Path) -> None:
    shims = tmp_path / "shims"
    installed = run([tool("shellgate"), "--config", str(config), "install", "--home", str(home),
                     "--shims-dir", str(shims), "--no-shell-config", "--no-agent-config",
                     "--tools", "git"], home, environment(home))
    assert installed.returncode == 0, installed.stderr
    enroll(config, tmp_path / "key.json", home)
    s = shell("--shims-dir", str(shims), cwd=repo, path=f"{shims}:{SYSTEM_PATH}")
    assert "touch your key" in s.line("git push --force origin main")
    assert remote_head(repo, home) == "rewritten"
    approvals = [json.loads(r) for r in (config / "audit.jsonl").read_text().splitlines()]
    assert [r["event"] for r in approvals].count("approved") == 1  # the shim took the ticket
    assert not list((config / "tickets").glob("*.json"))  # released when the line ended


# -- interactive database clients ----------------------------------------------------------

STUB = """\
import os, sys
log = open(os.environ["STUB_LOG"], "a", buffering=1)
sql = os.path.basename(sys.argv[0]) in ("psql", "mysql")
held = []
if os.environ.get("STUB_FAIL"):
    print("stub: cannot connect", file=sys.stderr)
    sys.exit(2)
if os.environ.get("STUB_ASKS"):
    import getpass
    log.write("password " + getpass.getpass("Password: ") + "\\n")
while True:
    try:
        line = input(("stub-# " if held else "stub=# ") if sql else "stub> ")
    except EOFError:
        break
    if sql and not held and line.strip().startswith("--"):
        log.write("comment " + line + "\\n")
        continue
    held.append(line)
    if not sql or ";" in line or line.startswith("\\\\"):
        text = " ".join(held)
        log.write(text + "\\n")
        print("ran " + text)
        held = []
sys.exit(int(os.environ.get("STUB_STATUS", "0")))
"""


class Client:
    """A stub client started through ``run_interactive`` on a pty."""

    def __init__(self, tool_name: str, tmp_path: Path, config: Path, home: Path,
                 **env: str) -> None:
        stubs = tmp_path / "stubs"
        stubs.mkdir(exist_ok=True)
        stub = stubs / tool_name
        stub.write_text(f"#!{sys.executable}\n{STUB}")
        stub.chmod(0o755)
        self.log = tmp_path / f"{tool_name}.log"
        self.log.touch()
        code = ("import sys; from shellgate.surfaces.db_client.session import run_interactive; "
                "from shellgate.config import Config; "
                f"sys.exit(run_interactive({tool_name!r}, [{tool_name!r}, 'db'], "
                f"Config.at({str(config)!r})))")
        env = environment(home, f"{stubs}:{SYSTEM_PATH}", STUB_LOG=str(self.log),
                          STUB_STATUS="7", **env)
        self.prompt = "stub=# " if tool_name in ("psql", "mysql") else "stub> "
        self.child = pexpect.spawn(sys.executable, ["-c", code], env=env, cwd=str(tmp_path),
                                   encoding="utf-8", timeout=30)
        if not env.keys() & {"STUB_FAIL", "STUB_ASKS"}:
            self.child.expect_exact(self.prompt)

    def line(self, text: str, expect: str | None = None) -> str:
        self.child.sendline(text)
        self.child.expect_exact(expect or self.prompt)
        return str(self.child.before)

    def received(self) -> list[str]:
        return self.log.read_text().splitlines()

    def finish(self) -> int:
        self.child.sendcontrol("d")
        self.child.expect(pexpect.EOF)
        self.child.close()
        return int(self.child.exitstatus)


def test_psql_statements_are_inspected_before_they_reach_the_client(
        tmp_path: Path, config: Path, home: Path) -> None:
    c = Client("psql", tmp_path, config, home)
    assert "ran SELECT 1;" in c.line("SELECT 1;")
    shown = c.line("DROP TABLE users;")
    assert "shellgate:" in shown and "sql.drop" in shown
    c.line("DROP TABLE", "-> ")
    assert "sql.drop" in c.line("accounts;")  # a statement split over lines, judged whole
    c.line("SELECT", "-> ")
    c.line("2;")
    c.line("-- DROP TABLE users")
    c.line("\\dt")
    assert "sql.unseen" in c.line("\\i wipe.sql")
    assert c.finish() == 7  # the client's own exit status
    assert c.received() == ["SELECT 1;", "SELECT 2;", "comment -- DROP TABLE users", "\\dt"]


def test_psql_drop_reaches_the_client_after_a_touch(tmp_path: Path, config: Path,
                                                    home: Path) -> None:
    enroll(config, tmp_path / "key.json", home)
    c = Client("psql", tmp_path, config, home)
    assert "touch your key" in c.line("DROP TABLE users;")
    c.finish()
    assert c.received() == ["DROP TABLE users;"]


def test_redis_cli_commands_are_inspected(tmp_path: Path, config: Path, home: Path) -> None:
    c = Client("redis-cli", tmp_path, config, home)
    assert "nosql.redis" in c.line("FLUSHALL")
    assert "ran GET k" in c.line("GET k")
    c.finish()
    assert c.received() == ["GET k"]


def test_mongosh_statements_are_inspected(tmp_path: Path, config: Path, home: Path) -> None:
    c = Client("mongosh", tmp_path, config, home)
    c.line("db.users.find({", "-> ")  # held until the brackets close
    c.line("  active: true })", "ran   active: true })")
    c.child.expect_exact(c.prompt)
    assert "nosql.mongo" in c.line("db.users.drop()")
    c.finish()
    assert c.received() == ["db.users.find({", "  active: true })"]


def test_a_client_that_ends_at_once_passes_its_status_through(
        tmp_path: Path, config: Path, home: Path) -> None:
    c = Client("psql", tmp_path, config, home, STUB_FAIL="1")
    c.child.expect(pexpect.EOF)
    c.child.close()
    assert c.child.exitstatus == 2
    assert "cannot connect" in str(c.child.before)


def test_a_password_prompt_gets_the_line_unread(tmp_path: Path, config: Path,
                                                home: Path) -> None:
    c = Client("psql", tmp_path, config, home, STUB_ASKS="1")
    c.child.expect_exact("Password: ")
    c.line("DROP TABLE not-a-statement")
    assert "ran SELECT 1;" in c.line("SELECT 1;")
    c.finish()
    assert c.received() == ["password DROP TABLE not-a-statement", "SELECT 1;"]
    assert not (config / "audit.jsonl").exists()  # nothing was judged, nothing recorded


def test_a_refused_client_invocation_starts_nothing(tmp_path: Path, config: Path,
                                                    home: Path) -> None:
    code = ("import sys; from shellgate.surfaces.db_client.session import run_interactive; "
            "from shellgate.config import Config; "
            "sys.exit(run_interactive('psql', ['psql', '-c', 'DROP TABLE users'], "
            f"Config.at({str(config)!r})))")
    child = pexpect.spawn(sys.executable, ["-c", code], env=environment(home),
                          encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 126
    assert "sql.drop" in str(child.before)


def test_typed_statements_go_through_the_psql_shim(shell: Callable[..., Shell], tmp_path: Path,
                                                   config: Path, home: Path) -> None:
    shims = tmp_path / "shims"
    installed = run([tool("shellgate"), "--config", str(config), "install", "--home", str(home),
                     "--shims-dir", str(shims), "--no-shell-config", "--no-agent-config",
                     "--tools", "psql"], home, environment(home))
    assert installed.returncode == 0, installed.stderr
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "psql").write_text(f"#!{sys.executable}\n{STUB}")
    (stubs / "psql").chmod(0o755)
    log = tmp_path / "psql.log"
    log.touch()
    s = Shell(config, tmp_path, home, "--shims-dir", str(shims),
              path=f"{shims}:{stubs}:{SYSTEM_PATH}", STUB_LOG=str(log))
    s.child.sendline("psql")
    s.child.expect_exact("stub=# ")
    s.child.sendline("DROP TABLE users;")
    s.child.expect("sql.drop")
    s.child.sendline("SELECT 1;")
    s.child.expect_exact("ran SELECT 1;")
    s.child.sendcontrol("d")
    s.child.expect(PROMPT)
    assert log.read_text().splitlines() == ["SELECT 1;"]


# -- the session's own reading and checks (pure, no pty) -----------------------------------

@pytest.mark.parametrize(("text", "state"), [
    ("echo ok", "complete"),
    ("if true; then", "incomplete"),
    ("echo 'open", "incomplete"),
    ("cat <<EOF", "incomplete"),
    ("cat <<EOF\nbody\nEOF", "complete"),
    ("echo a |", "incomplete"),
    ("echo a \\", "incomplete"),
    ("echo a \\\\", "complete"),
    ("f() {", "incomplete"),
    ("echo )", "error"),
])
def test_when_a_command_is_whole(text: str, state: str) -> None:
    from shellgate.surfaces.restricted_shell.lines import parse_state

    assert parse_state("/bin/bash", text)[0] == state


def test_markers_cut_across_reads_are_reassembled() -> None:
    from shellgate.surfaces.restricted_shell.bash import Markers

    markers = Markers("abc123")
    first = markers.feed(b"out\x1eabc1")
    assert first == [("data", b"out")]
    assert markers.feed(b"23s7\x1emore\x1eabc123p2\x1e") == [
        ("s", "7"), ("data", b"more"), ("p", "2")]
    assert markers.feed(b"plain \x1e text") == [("data", b"plain \x1e text")]


@pytest.mark.parametrize(("line", "flagged"), [
    ("python3", True),
    ("python3 -i script.py", True),
    ("python3 script.py", False),
    ("python3 -c 'print(1)'", False),
    ("echo 'print(1)' | python3", False),
    ("bash", True),
    ("bash --rcfile x", True),
    ("bash -c 'ls'", False),
    ("bash script.sh", False),
    ("node", True),
    ("node app.js", False),
    ("sqlite3 data.db", True),
    ("sqlite3 data.db 'select 1'", False),
    ("psql -h db", True),
    ("psql -c 'select 1'", False),
    ("exec bash", True),
    ("exec 2>/dev/null", True),
    ("exec 3>/tmp/log", False),
    ("hash -p /bin/rm ls", True),
    ("enable -f ./x.so x", True),
    ("alias g=$(cat name)", True),
    ("ls -la", False),
])
def test_session_checks(line: str, flagged: bool) -> None:
    from shellgate.parse import parse
    from shellgate.surfaces.restricted_shell.checks import session_findings

    assert bool(session_findings(parse(line))) is flagged


def test_a_client_shimmed_first_on_path_is_left_to_its_shim(tmp_path: Path) -> None:
    from shellgate.execute import SHIM_MARKER
    from shellgate.parse import parse
    from shellgate.surfaces.restricted_shell.checks import (
        session_findings,
        shimmed_clients,
        touches_path,
    )

    shims, real = tmp_path / "shims", tmp_path / "real"
    for directory in (shims, real):
        directory.mkdir()
        (directory / "psql").touch(mode=0o755)
        (directory / "redis-cli").touch(mode=0o755)
    (shims / SHIM_MARKER).touch()
    (real / "redis-cli").rename(real / "mongosh")
    shimmed = shimmed_clients(f"{real}:{shims}", {"psql", "mysql", "redis-cli", "mongosh"})
    assert shimmed == {"redis-cli"}  # psql is found in real/ first
    assert session_findings(parse("redis-cli"), shimmed) == []
    assert session_findings(parse("psql -h db"), shimmed)
    assert session_findings(parse("python3"), shimmed)
    assert touches_path("PATH=/usr/bin psql", parse("PATH=/usr/bin psql"))
    assert touches_path("export P\\ATH=/x", parse("export P\\ATH=/x"))
    assert touches_path("export \"$v\"=/x", parse("export \"$v\"=/x"))
    assert not touches_path("psql -h db", parse("psql -h db"))


def test_the_session_remembers_definitions() -> None:
    from shellgate.parse import parse
    from shellgate.surfaces.restricted_shell.checks import SessionMemory
    from shellgate.values import Finding

    memory = SessionMemory()
    allowed = "alias g=git; lsl() { ls -l; }"
    memory.record(allowed, parse(allowed), None, lambda _text: ())
    assert memory.context("g status") == "alias g=git\nlsl() { ls -l; }\ng status"
    approved = "wipe() { rm -rf build; }"
    finding = Finding("fs.rm-recursive", "s", "w", "high", "gate", "rm -rf build")
    memory.record(approved, parse(approved), (finding,), lambda _text: ())
    assert memory.findings("wipe", parse("wipe")) == [finding]  # one touch, one command
    out_of_context = "D=build; clean() { rm -rf \"$D\"; }"  # allowed here, not on its own
    memory.record(out_of_context, parse(out_of_context), None, lambda _text: (finding,))
    assert memory.findings("clean", parse("clean")) == [finding]
    assert "clean()" not in memory.context("x")
    assert memory.findings("lsl", parse("lsl")) == []
    shadow = "builtin() { :; }"
    assert memory.findings(shadow, parse(shadow))[0].rule_id == "core.opaque-shell-input"


def test_printing_the_prompts_does_not_confuse_the_session(shell: Callable[..., Shell]) -> None:
    s = shell()
    shown = s.line('echo "[$PS1][$PS2]"')
    assert "__sg_tok" in shown and "cancelled" not in shown
    assert "still-here" in s.line("echo still-here")
