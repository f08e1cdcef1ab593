"""The runner's environment and the broker's vault operations that need no key: what a
command with secrets may inherit, and who may ask for an unlock."""

from __future__ import annotations

import os
import pwd
import socket

import pytest

from shellgate.broker import runner
from shellgate.broker.service import Service, handle
from shellgate.hardened.layout import Layout


def test_the_command_gets_a_short_allowlist_of_the_callers_environment():
    caller = {"LANG": "C.UTF-8", "LC_ALL": "C", "TERM": "xterm", "COLUMNS": "80",
              "LD_PRELOAD": "/tmp/evil.so", "NODE_OPTIONS": "--require /tmp/x.js",
              "PYTHONPATH": "/tmp", "RAILWAY_API_URL": "https://evil.example",
              "HOME": "/home/agent", "PATH": "/home/agent/bin:/usr/bin",
              "RAILWAY_TOKEN": "planted-by-the-agent", "BASH_ENV": "/tmp/x"}
    env = runner.child_environment(caller)
    assert env["LANG"] == "C.UTF-8" and env["LC_ALL"] == "C" and env["TERM"] == "xterm"
    assert env["PATH"] == runner.SAFE_PATH
    for name in ("LD_PRELOAD", "NODE_OPTIONS", "PYTHONPATH", "RAILWAY_API_URL", "HOME",
                 "RAILWAY_TOKEN", "BASH_ENV"):
        assert name not in env, name


@pytest.mark.parametrize("user", ["root", "nobody"])
def test_the_runner_never_serves_as_root_or_as_another_user(user):
    if user == "nobody" and (os.getuid() == _uid("nobody") or _uid("nobody") < 0):
        pytest.skip("needs a user 'nobody' other than this one")
    a, b = socket.socketpair()
    with a, b, pytest.raises(runner.RunnerError, match="never as another user"):
        runner.serve(b, "/", user)


def _uid(name: str) -> int:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return -1


def test_a_missing_runner_user_starts_no_runner():
    assert runner.start("sg-no-such-runner-user") is None


def test_only_root_may_ask_for_an_unlock(tmp_path):
    service = Service(Layout.under(tmp_path), frozenset({1000, 0}))
    cwd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        reply = handle(service, {"op": "unlock", "kind": "script", "command": "x",
                                 "fds": {"cwd": 0}, "salts": {}}, [cwd], 1000,
                       lambda _: None)
    finally:
        os.close(cwd)
    assert reply["result"] == "refused"
    assert "only root manages the vault" in reply["message"]
