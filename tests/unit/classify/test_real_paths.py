"""Path exemptions (build output, caches, /tmp) are decided on the real path: a ``build/``
or ``node_modules/`` that is a symlink to real data gates. The filesystem is looked at by
the surface's reader (``PayloadFiles.real_path``); classify stays pure and table-driven
(``MappingReader`` links)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shellgate.engine import evaluate
from shellgate.fsutil import PayloadFiles, real_path
from shellgate.rules.ruleset import RuleSet
from tests.conftest import decide_text


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # the data must live outside /tmp, which is itself an exempt place
    outside = Path(tempfile.mkdtemp(prefix=".sg-real-paths-", dir=Path(__file__).parent))
    data = outside / "precious"
    data.mkdir()
    (data / "photo.jpg").write_bytes(b"x")
    work = tmp_path / "work"
    work.mkdir()
    (work / "build").symlink_to(data)  # looks regenerable, is not
    (work / "node_modules").mkdir()  # a real node_modules
    (work / "dist").symlink_to(tmp_path / "work" / "node_modules")
    monkeypatch.chdir(work)
    try:
        yield work
    finally:
        shutil.rmtree(outside)


@pytest.mark.parametrize("cmd", ["rm -rf build", "rm -rf build/", "rm -rf ./build/*",
                                 "rm -f build/*", "rimraf build"])
def test_a_symlinked_build_dir_gates_on_disk(project: Path, rules: RuleSet, cmd: str) -> None:
    assert evaluate(cmd, rules, PayloadFiles()).verdict == "gate"
    assert evaluate(cmd, rules).verdict == "allow"  # as written, without the filesystem


@pytest.mark.parametrize("cmd", ["rm -rf node_modules", "rm -rf dist", "rm -rf node_modules/x"])
def test_regenerable_paths_that_really_are_pass(project: Path, rules: RuleSet, cmd: str) -> None:
    assert evaluate(cmd, rules, PayloadFiles()).verdict == "allow"


def test_real_path_reports_only_symlinks(project: Path) -> None:
    assert real_path("node_modules") is None
    assert real_path("missing/dir") is None
    assert real_path("build/x") == os.path.realpath("build") + "/x"
    assert real_path("~nobody/x") is None  # another user's home is not guessed


def test_home_is_the_real_users_not_the_environments(project: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(project))  # the agent can set HOME: it must not count
    assert real_path("~/build") != os.path.realpath("build") + ""


def test_mapping_reader_links_are_the_same_facts_for_tables() -> None:
    links = {"build": "/home/me/data"}
    assert decide_text("rm -rf build/", links=links).verdict == "gate"
    assert decide_text("rm -rf build/").verdict == "allow"
    assert decide_text("rm -rf build", links={"build": "/tmp/b"}).verdict == "allow"


def test_symlinked_truncation_target(project: Path, rules: RuleSet) -> None:
    os.symlink("/tmp/app.log", "current.log")
    assert evaluate(": > current.log", rules, PayloadFiles()).verdict == "allow"
    os.symlink(os.path.realpath("build") + "/photo.jpg", "out.log")
    assert evaluate(": > out.log", rules, PayloadFiles()).verdict == "gate"
