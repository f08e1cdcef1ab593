"""Issue 13's families through the real surfaces, on real files: a ``build/`` that is a
symlink to real data, ``rm dir/*`` without ``-r``, truncation by ``: > file``, and a tool
shellgate has no rules for asked to purge something. The restricted shell runs what it
allows (in temporary directories only) and refuses the rest with no key enrolled; the
hook denies; ``check`` explains."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_cli import run, tool
from tests.integration.test_hooks import decision, hook
from tests.unit.surfaces.hooks import payloads as p


@pytest.fixture
def work(tmp_path: Path) -> Iterator[Path]:
    # the precious data must live outside /tmp, itself an exempt place
    outside = Path(tempfile.mkdtemp(prefix=".sg-it-", dir=Path(__file__).parent))
    try:
        data = outside / "precious"
        data.mkdir()
        (data / "photo.jpg").write_bytes(b"one of a kind")
        work = tmp_path / "work"
        (work / "dir").mkdir(parents=True)
        (work / "dir" / "a.csv").write_text("a")
        (work / "dir" / "b.csv").write_text("b")
        (work / "build").symlink_to(data)
        (work / "node_modules" / "x").mkdir(parents=True)
        (work / "app.db").write_text("rows")
        stub = tmp_path / "bin"
        stub.mkdir()
        frob = stub / "frobnicate"
        frob.write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'frob.log'}\n")
        frob.chmod(0o755)
        yield work
    finally:
        shutil.rmtree(outside)


GATED = {
    "rm -rf build/": "fs.rm-recursive",
    "rm -f build/*": "fs.rm-files",
    "rm dir/*": "fs.rm-files",
    ": > app.db": "fs.truncate-redirect",
    "frobnicate volumes purge prod": "generic.destructive-verb",
}


@pytest.mark.parametrize("command", sorted(GATED))
def test_restricted_shell_refuses_and_nothing_is_lost(work: Path, tmp_path: Path,
                                                      command: str) -> None:
    result = run([tool("shellgate-sh"), "--config", str(tmp_path / "cfg"), "-c",
                  f"PATH={tmp_path / 'bin'}:$PATH; {command}"], cwd=work)
    assert result.returncode == 126, result.stderr
    assert GATED[command] in result.stderr
    assert (work / "build" / "photo.jpg").read_bytes() == b"one of a kind"
    assert sorted(x.name for x in (work / "dir").iterdir()) == ["a.csv", "b.csv"]
    assert (work / "app.db").read_text() == "rows"
    assert not (tmp_path / "frob.log").exists()


def test_restricted_shell_runs_what_really_is_regenerable(work: Path, tmp_path: Path) -> None:
    result = run([tool("shellgate-sh"), "--config", str(tmp_path / "cfg"), "-c",
                  f"rm -rf node_modules && {tmp_path / 'bin' / 'frobnicate'} volumes list"],
                 cwd=work)
    assert result.returncode == 0, result.stderr
    assert not (work / "node_modules").exists()
    assert (tmp_path / "frob.log").read_text() == "volumes list\n"


@pytest.mark.parametrize("command", sorted(GATED))
def test_hook_denies(work: Path, tmp_path: Path, command: str) -> None:
    result = hook(tmp_path / "config", "claude-code", p.BUILDERS["claude-code"](command,
                                                                                str(work)), work)
    verdict, reason = decision("claude-code", result)
    assert verdict == "deny"
    assert GATED[command] in reason


def test_check_sees_the_symlink_only_on_disk(work: Path, tmp_path: Path) -> None:
    here = run([tool("shellgate"), "--config", str(tmp_path / "c"), "check", "--json", "-c",
                "rm -rf build/"], cwd=work)
    assert json.loads(here.stdout)["decision"] == "gate"
    elsewhere = run([tool("shellgate"), "--config", str(tmp_path / "c"), "check", "--json",
                     "-c", "rm -rf build/"], cwd=tmp_path)  # no build here: as written
    assert json.loads(elsewhere.stdout)["decision"] == "allow"
