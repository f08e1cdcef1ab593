"""The installed CLI as a real subprocess: check, scan, rules, shellgate-sh."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed next to {sys.executable}")
    return found


def run(args: list[str], stdin: str = "", cwd: Path | None = None,
        home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run(args, input=stdin, capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120, check=False)


def test_check_explains_a_gated_command(tmp_path: Path) -> None:
    result = run([tool("shellgate"), "--config", str(tmp_path), "check", "-c",
                  "bash -c 'git push --force origin main'"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("gate: ")
    assert "git.force-push" in result.stdout and "via bash -c" in result.stdout


def test_check_json_for_argv(tmp_path: Path) -> None:
    result = run([tool("shellgate"), "--config", str(tmp_path), "check", "--json", "--",
                  "rm", "-rf", "/"])
    data = json.loads(result.stdout)
    assert data["decision"] == "gate" and data["rules"] == ["fs.rm-recursive"]
    assert data["findings"][0]["why"]


def test_scan_keeps_order_and_shape(tmp_path: Path) -> None:
    lines = [json.dumps({"cmd": "ls -la"}), "git push -f", json.dumps({"cmd": "rm -rf ~"}),
             "{ echo hi; }"]
    result = run([tool("shellgate"), "--config", str(tmp_path), "scan", "--format", "jsonl"],
                 stdin="\n".join(lines) + "\n")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["cmd"] for o in out] == ["ls -la", "git push -f", "rm -rf ~", "{ echo hi; }"]
    assert [o["decision"] for o in out] == ["allow", "gate", "gate", "allow"]
    assert out[1]["rules"] == ["git.force-push"]


def test_rules_check_passes_on_shipped_files(tmp_path: Path) -> None:
    result = run([tool("shellgate"), "--config", str(tmp_path), "rules", "check"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_broken_user_pattern_file_stops_shellgate(tmp_path: Path) -> None:
    (tmp_path / "patterns").mkdir()
    (tmp_path / "patterns" / "mine.toml").write_text('[[rule]]\nid = "mine.x"\nsummary = 1\n')
    result = run([tool("shellgate"), "--config", str(tmp_path), "check", "-c", "ls"])
    assert result.returncode == 2
    where = (tmp_path / "patterns" / "mine.toml").resolve()  # a user file: named in full
    assert result.stderr.startswith(f"shellgate: {where}:2 rule 'mine.x' key 'summary'")


def test_environment_does_not_choose_the_config(tmp_path: Path) -> None:
    fake_home = tmp_path / "home"
    patterns = fake_home / ".config" / "shellgate" / "patterns"
    patterns.mkdir(parents=True)
    (patterns / "git.toml").write_text("")  # would drop every git rule if it were read
    result = run([tool("shellgate"), "check", "-c", "git push -f"], home=fake_home)
    assert result.stdout.startswith("gate: "), result.stdout + result.stderr


def test_restricted_shell_runs_allowed_and_refuses_gated(tmp_path: Path) -> None:
    ok = run([tool("shellgate-sh"), "--config", str(tmp_path), "-c", "echo hello; exit 3"])
    assert ok.stdout == "hello\n" and ok.returncode == 3
    refused = run([tool("shellgate-sh"), "--config", str(tmp_path / "cfg"), "-c",
                   "touch marker && git push --force"], cwd=tmp_path)
    assert refused.returncode == 126
    assert refused.stderr.startswith("shellgate: needs approval: git.force-push")
    assert not (tmp_path / "marker").exists()


def test_restricted_shell_reads_a_script_on_stdin(tmp_path: Path) -> None:
    refused = run([tool("shellgate-sh"), "--config", str(tmp_path / "cfg")],
                  stdin="echo start > marker\nrm -rf ~\n", cwd=tmp_path)
    assert refused.returncode == 126 and not (tmp_path / "marker").exists()
    ok = run([tool("shellgate-sh"), "--config", str(tmp_path / "cfg")], stdin="echo fine\n")
    assert ok.stdout == "fine\n" and ok.returncode == 0
