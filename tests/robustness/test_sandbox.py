"""The sandbox the differential tests run commands in is sealed: only stubs and bash on
every program path, nothing writable outside its temporary mounts, no network, an
unprivileged uid, and nothing a command does reaches the host."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness import sandbox as S

pytestmark = [pytest.mark.slow, pytest.mark.skipif(S.unavailable() is not None,
                                reason=f"no bash sandbox: {S.unavailable()}")]

PROBES = {
    "absolute path": "/usr/bin/rm -rf / && /bin/rm -rf ~",
    "root": "printf '%s\\n' /* /.* >&2",
    "programs": ("for f in /usr/bin/* /usr/sbin/* /usr/local/bin/* /usr/local/sbin/*; do "
                 "IFS= read -r l < \"$f\"; [ \"$l\" = '#!/usr/bin/bash -p' ] || echo \"$f\" >&2;"
                 " done"),
    "read-only": "for d in / /usr /usr/bin /dev /.sgreal; do : > $d/sg-probe; done",
    "network": "exec 3<>/dev/tcp/1.1.1.1/53",
    "uid": "echo \"uid=$UID euid=$EUID\" >&2",
    "writable": ": > /tmp/a && : > ~/b && : > c && echo ok >&2",
}


@pytest.fixture(scope="module")
def traces() -> dict[str, S.Trace]:
    cases = [S.Case(cmd) for cmd in PROBES.values()]
    return dict(zip(PROBES, S.run(cases, ["rm", "ls"], [], workers=1), strict=True))


def test_absolute_paths_reach_only_stubs(traces: dict[str, S.Trace]) -> None:
    trace = traces["absolute path"]
    assert [c.argv for c in trace.calls] == [["rm", "-rf", "/"], ["rm", "-rf", S.HOME]]


def test_root_holds_only_the_sandbox(traces: dict[str, S.Trace]) -> None:
    entries = {line for line in traces["root"].stderr.split() if not line.endswith(("/.", "/.."))}
    assert entries <= {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/dev",
                       "/tmp", "/home", "/.sglog", "/.sgreal", "/.sgstub"}
    assert "/etc" not in entries and "/proc" not in entries and "/root" not in entries


def test_program_directories_hold_only_stubs_and_bash(traces: dict[str, S.Trace]) -> None:
    others = {Path(p).name for p in traces["programs"].stderr.split()}
    assert others <= {"bash", "sh", "dash"}, others


def test_everything_but_the_temporary_mounts_is_read_only(traces: dict[str, S.Trace]) -> None:
    stderr = traces["read-only"].stderr
    assert stderr.count("Read-only file system") == 5, stderr
    assert "ok" in traces["writable"].stderr


def test_no_network(traces: dict[str, S.Trace]) -> None:
    assert "Network is unreachable" in traces["network"].stderr


def test_commands_run_unprivileged(traces: dict[str, S.Trace]) -> None:
    uid = S.uid_for(0)
    assert uid >= S.FIRST_UID and f"uid={uid} euid={uid}" in traces["uid"].stderr


def test_host_files_are_out_of_reach(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    canary.write_text("host")
    cmd = f"echo sandbox > {canary}; echo sandbox >> {canary}; : > {tmp_path}/new"
    (trace,) = S.run([S.Case(cmd)], [], [], workers=1)
    assert canary.read_text() == "host" and not (tmp_path / "new").exists()
    assert "No such file or directory" in trace.stderr
