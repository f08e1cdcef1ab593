"""Load and concurrency, black-box: 200 concurrent ``shellgate run --`` invocations, mixed
allowed and gated (a software key that touches), all decided, nothing lost from the audit
trail; and a writer killed mid-append leaves a log that verifies up to its last complete
record. About a minute on two cores."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shellgate.audit import trail as audit

pytestmark = pytest.mark.slow  # the edit loop runs -m "not slow"; CI runs all

BIN = Path(sys.executable).parent
CONCURRENT = 200
GATED_EVERY = 3  # one in three is a force push


def _shellgate(config: Path, *args: str, env: dict[str, str],
               cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "shellgate"), "--config", str(config), *args], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    if not (BIN / "shellgate").exists():
        pytest.skip("shellgate is not installed next to this Python")
    stubs = tmp_path / "bin"
    stubs.mkdir()
    git = stubs / "git"
    git.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/ran.$$\n')  # one file per process
    git.chmod(0o755)
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tmp_path)}
    config = tmp_path / "config"
    enrolled = _shellgate(config, "enroll", "--soft", str(tmp_path / "key.json"), env=env,
                          cwd=tmp_path)
    assert enrolled.returncode == 0, enrolled.stderr
    return config, env


def test_concurrent_runs_are_all_decided_and_audited(setup: tuple[Path, dict[str, str]],
                                                     tmp_path: Path) -> None:
    config, env = setup
    argvs = [["git", "push", "--force", "origin", f"b{i}"] if i % GATED_EVERY == 0
             else ["git", "status", f"s{i}"] for i in range(CONCURRENT)]
    started = time.monotonic()
    procs = [subprocess.Popen([str(BIN / "shellgate"), "--config", str(config), "run",
                               "--timeout", "120", "--", *argv], env=env, cwd=tmp_path,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for argv in argvs]
    results = [(argv, proc.wait(timeout=300), proc.stderr.read() if proc.stderr else "")
               for argv, proc in zip(argvs, procs, strict=True)]
    elapsed = time.monotonic() - started
    ran = [line for path in tmp_path.glob("ran.*") for line in path.read_text().splitlines()]

    allowed = [a for a in argvs if a[1] == "status"]
    gated = [a for a in argvs if a[1] == "push"]
    assert sorted(r for r in ran if r.startswith("status")) == sorted(
        " ".join(a[1:]) for a in allowed)  # every allowed one ran, once
    for argv, status, stderr in results:
        if argv[1] == "status":
            assert status == 0, stderr
        else:  # decided: approved and run, or refused with a reason
            assert status in (0, 126), stderr
            assert status == 0 or stderr.startswith("shellgate: "), stderr
    approved = [a for a, status, _ in results if a[1] == "push" and status == 0]
    assert sorted(r for r in ran if r.startswith("push")) == sorted(
        " ".join(a[1:]) for a in approved)  # what ran is exactly what was approved

    log = config / "audit.jsonl"
    records = audit.read(log)
    audited = [r["command"] for r in records if r.get("event") in (
        "approved", "refused", "timeout", "denied", "no-key")]
    assert sorted(audited) == sorted(" ".join(a) for a in gated)  # one record each, no loss
    assert_chain(log)
    assert elapsed < 240


def assert_chain(log: Path) -> None:
    """Every line a whole record, chained to the one before (signatures aside)."""
    previous, lines = audit.GENESIS, audit.read_lines(log)
    for seq, line in enumerate(lines, start=1):
        record = audit.parse_line(line)
        assert record is not None, f"line {seq} is not a whole record: {line[:80]!r}"
        assert record["seq"] == seq and record["prev"] == previous
        assert record["hash"] == audit.record_hash(record)
        previous = record["hash"]


def test_concurrent_approvals_keep_the_audit_verifiable(setup: tuple[Path, dict[str, str]],
                                                        tmp_path: Path) -> None:
    config, env = setup
    procs = [subprocess.Popen([str(BIN / "shellgate"), "--config", str(config), "run",
                               "--timeout", "120", "--", "git", "push", "--force", "origin",
                               f"b{i}"], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for i in range(60)]
    statuses = [proc.wait(timeout=300) for proc in procs]
    verify = _shellgate(config, "audit", "verify", env=env, cwd=tmp_path)
    assert verify.returncode == 0, verify.stderr
    assert statuses == [0] * len(procs)


_WRITER = """
import sys, time
from pathlib import Path
from shellgate.audit import trail as audit

path = Path(sys.argv[1])
i = 0
while True:
    audit.append(path, {"time": int(time.time()), "event": "denied", "decision": "deny",
                        "command": "x" * int(sys.argv[2]) + str(i), "rules": ["core.test"]})
    i += 1
"""


def test_writer_killed_mid_append_leaves_a_verifiable_log(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for round_, size in enumerate((200, 4_000_000, 50_000, 4_000_000, 1_000)):
        writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(log), str(size)], env=env)
        deadline = time.monotonic() + 20
        while (not log.exists() or log.stat().st_size < (round_ + 1) * size) \
                and time.monotonic() < deadline:
            time.sleep(0.01)  # let it get going, then kill it wherever it is
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        report = audit.verify(log, [])
        assert report.ok, report
        assert report.records >= 1
    records = audit.read(log)
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))


def test_torn_last_record_verifies_up_to_the_record_before(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    for i in range(3):
        audit.append(log, {"event": "denied", "command": f"c{i}", "rules": []})
    whole = log.read_bytes()
    last_start = whole.rstrip(b"\n").rfind(b"\n") + 1
    for cut in range(last_start + 1, len(whole) - 1):
        log.write_bytes(whole[:cut])
        report = audit.verify(log, [])
        assert report.ok and report.records == 2 and report.torn_tail, (cut, report)
    log.write_bytes(whole[: last_start + 7])
    audit.append(log, {"event": "denied", "command": "after the crash", "rules": []})
    report = audit.verify(log, [])
    assert report.ok and report.records == 3, report
    assert json.loads(log.read_bytes().splitlines()[-1])["prev"] == \
        json.loads(whole.splitlines()[1])["hash"]
