"""install, install_rc and the shim's choices, without a CLI in between: the PATH block in
every POSIX shell, block edits, which files get it, which tools get shims, the stdin
policy, and plans (install, reinstall, uninstall) on a temporary home."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shellgate.config import Config
from shellgate.engine import evaluate_argv
from shellgate.errors import ShellgateError
from shellgate.execute import is_shim_file
from shellgate.guard import stdin_mode
from shellgate.install.shims import (
    apply,
    check_python,
    default_tools,
    parse_tools,
    plan_install,
    plan_uninstall,
    read_manifest,
)
from shellgate.install.startup_files import (
    BlockError,
    block,
    block_of,
    check_shims_dir,
    path_snippet,
    rc_targets,
    with_block,
    without_block,
)
from shellgate.rules.ruleset import RuleSet
from shellgate.values import Stdin

SHIMS = "/opt/my shims/sg"
SHELLS = [str(shutil.which(s)) for s in ("bash", "dash", "zsh", "sh") if shutil.which(s)]


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("before", "after"), [
    ("/usr/bin:/bin", f"{SHIMS}:/usr/bin:/bin"),
    (f"{SHIMS}:/usr/bin", f"{SHIMS}:/usr/bin"),
    (f"/usr/bin:{SHIMS}:/bin:{SHIMS}", f"{SHIMS}:/usr/bin:/bin"),
    ("/x::/y:", f"{SHIMS}:/x::/y:"),
    ("/a*/[b]:/bin", f"{SHIMS}:/a*/[b]:/bin"),
])
def test_the_path_snippet_puts_the_shims_first_once(shell: str, before: str,
                                                    after: str) -> None:
    script = path_snippet(SHIMS) + path_snippet(SHIMS) + 'printf "%s" "$PATH"'
    result = subprocess.run([shell, "-c", script], env={"PATH": before}, capture_output=True,
                            text=True, timeout=30, check=True)
    assert result.stdout == after


def test_the_snippet_survives_set_u() -> None:
    script = "set -eu\n" + path_snippet(SHIMS) + 'printf "%s" "$PATH"'
    result = subprocess.run(["/bin/sh", "-c", script], env={"PATH": "/bin"}, capture_output=True,
                            text=True, timeout=30, check=True)
    assert result.stdout == f"{SHIMS}:/bin"


@pytest.mark.parametrize("bad", ["relative/dir", "/a:b", "/a\nb"])
def test_shims_dirs_that_path_cannot_hold_are_refused(bad: str) -> None:
    with pytest.raises(ShellgateError):
        check_shims_dir(bad)


@pytest.mark.parametrize("content", [b"", b"export A=1\n", b"no newline", b"x\r\ny\r\n"])
def test_block_edits_are_idempotent_and_reversible(content: bytes) -> None:
    new = block(SHIMS)
    once = with_block(content, new)
    assert with_block(once, new) == once
    assert block_of(once) == new
    removed = without_block(once)
    assert removed == (content + b"\n" if content and not content.endswith(b"\n") else content)


def test_a_changed_block_is_replaced_in_place() -> None:
    old = with_block(b"a\n", block("/old/shims")) + b"b\n"
    updated = with_block(old, block(SHIMS))
    assert updated == b"a\n" + block(SHIMS) + b"b\n"


def test_a_block_without_its_end_is_an_error() -> None:
    with pytest.raises(BlockError):
        with_block(b"# >>> shellgate >>>\nPATH=/x\n", block(SHIMS))


def test_bash_login_file_is_the_one_bash_reads(tmp_path: Path) -> None:
    names = [p.name for p, _ in rc_targets(tmp_path, zsh=False)]
    assert names == [".bashrc", ".profile"]  # never a new .bash_profile
    (tmp_path / ".profile").write_text("")
    (tmp_path / ".bash_login").write_text("")
    names = [p.name for p, _ in rc_targets(tmp_path, zsh=True)]
    assert names == [".bashrc", ".bash_login", ".profile", ".zshenv", ".zprofile", ".zshrc"]


def test_default_tools_cover_rules_and_payload_tools_but_no_shells(rules: RuleSet) -> None:
    tools = default_tools(rules)
    for name in ("git", "curl", "psql", "railway", "aws", "mysql", "redis-cli", "bq", "sudo",
                 "ssh", "flyctl", "tofu"):
        assert name in tools, name
    for name in ("bash", "sh", "zsh", "python", "python3", "node", "shellgate"):
        assert name not in tools, name
    from shellgate.install.shims import _NOT_SHIMMED

    assert set(rules.tool_names) - _NOT_SHIMMED <= set(tools)


@pytest.mark.parametrize("bad", ["../x", "a/b", "shellgate", "-rf", ""])
def test_tool_names_are_checked(bad: str) -> None:
    with pytest.raises(ShellgateError):
        parse_tools(bad)


def test_tool_lists_are_split_and_sorted() -> None:
    assert parse_tools("psql, git curl") == ["curl", "git", "psql"]


@pytest.mark.parametrize("python", ["python3", "/opt/my venv/bin/python", "/x" * 150])
def test_interpreters_a_shebang_cannot_hold_are_refused(python: str) -> None:
    with pytest.raises(ShellgateError):
        check_python(python)


@pytest.mark.parametrize(("argv", "mode"), [
    (["git", "hash-object", "--stdin"], "keep"),
    (["rm", "-rf", "x"], "keep"),
    (["psql", "-c", "select 1"], "unseen-first"),
    (["bq", "query"], "unseen-first"),
    (["curl", "https://example.com"], "unseen-first"),
    (["curl", "-d", "@-", "https://example.com"], "buffer"),
    (["curl", "-T-", "https://example.com"], "buffer"),
    (["wget", "--input-file=-"], "buffer"),
    (["xh", "POST", "example.com"], "buffer"),
])
def test_stdin_policy(rules: RuleSet, argv: list[str], mode: str) -> None:
    assert stdin_mode(argv, rules) == mode


@pytest.mark.parametrize(("argv", "payload"), [
    (["psql", "-d", "app"], "DROP TABLE users;"),
    (["psql", "-f", "-"], "TRUNCATE users;"),
    (["mysql", "app"], "DELETE FROM users;"),
    (["sqlite3", "app.db"], "DROP TABLE t;"),
    (["redis-cli"], "FLUSHALL\n"),
    (["mongosh", "mongodb://prod"], "db.dropDatabase()"),
    (["bq", "query"], "DROP TABLE ds.t"),
    (["heroku", "pg:psql", "-a", "app"], "DROP TABLE users;"),
])
def test_unseen_stdin_is_never_allowed_where_its_content_would_gate(
        rules: RuleSet, argv: list[str], payload: str) -> None:
    """What makes ``unseen-first`` safe: stdin judged unread is at least as strict."""
    assert stdin_mode(argv, rules) == "unseen-first"
    seen = evaluate_argv(argv, rules, stdin=Stdin(text=payload))
    unseen = evaluate_argv(argv, rules, stdin=Stdin(opaque="not read"))
    assert seen.verdict != "allow"
    assert unseen.verdict != "allow"


def test_the_shim_module_imports_nothing_else() -> None:
    probe = ("import sys, shellgate.shim; "
             "print(' '.join(sorted(m for m in sys.modules if m.startswith(('shellgate', "
             "'click', 'typing')))))")
    result = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True,
                            timeout=30, check=True)
    assert result.stdout.split() == ["shellgate", "shellgate.shim", "shellgate.surfaces",
                                     "shellgate.surfaces.shim"]


def test_is_shim_file(tmp_path: Path) -> None:
    shim = tmp_path / "git"
    shim.write_text("#!/usr/bin/python3 -I\n# shellgate shim: generated\n")
    other = tmp_path / "tool"
    other.write_text("#!/bin/sh\necho hi\n# shellgate shim: only mentioned later\n")
    assert is_shim_file(str(shim)) and not is_shim_file(str(other))
    assert not is_shim_file(str(tmp_path / "missing"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_bytes(b"export A=1\n")
    return home


def _plan(config: Config, home: Path, tools: list[str] | None = None) -> None:
    apply(plan_install(config, home, home / "shims", tools or ["git", "psql"],
                       "/usr/bin/python3"))


def test_manifest_keeps_the_first_original(tmp_path: Path, home: Path) -> None:
    config = Config.at(tmp_path / "cfg")
    _plan(config, home)
    manifest = read_manifest(config)
    assert manifest is not None
    entry = manifest["files"][str(home / ".bashrc")]
    assert base64.b64decode(entry["original"]) == b"export A=1\n"
    _plan(config, home)
    assert read_manifest(config) == manifest
    assert (home / ".bashrc").read_bytes().count(b"# >>> shellgate >>>") == 1


def test_reinstall_elsewhere_moves_the_shims_and_cleans_up(tmp_path: Path, home: Path) -> None:
    config = Config.at(tmp_path / "cfg")
    _plan(config, home)
    plan = plan_install(config, home, home / "new" / "shims", ["git"], "/usr/bin/python3")
    assert plan.weakens
    apply(plan)
    assert not (home / "shims").exists()
    assert (home / "new" / "shims" / "git").exists()
    assert block_of((home / ".bashrc").read_bytes()) == block(str(home / "new" / "shims"))
    apply(plan_uninstall(config))
    assert sorted(p.name for p in home.iterdir()) == [".bashrc"]
    assert (home / ".bashrc").read_bytes() == b"export A=1\n"


def test_a_lost_manifest_still_uninstalls_to_the_unmarked_file(tmp_path: Path,
                                                             home: Path) -> None:
    config = Config.at(tmp_path / "cfg")
    _plan(config, home)
    (config.directory / "install.json").unlink()
    _plan(config, home)  # the block is already there: the original is the file without it
    apply(plan_uninstall(config))
    assert (home / ".bashrc").read_bytes() == b"export A=1\n"


def test_uninstall_without_an_install_changes_nothing(tmp_path: Path) -> None:
    plan = plan_uninstall(Config.at(tmp_path / "cfg"))
    assert not plan.changes and not plan.rmdirs
    assert plan.notes and "nothing to uninstall" in plan.notes[0]


def test_another_installations_shims_dir_is_refused(tmp_path: Path, home: Path) -> None:
    _plan(Config.at(tmp_path / "one"), home)
    with pytest.raises(ShellgateError, match="another shellgate installation"):
        plan_install(Config.at(tmp_path / "two"), home, home / "shims", ["git"],
                     "/usr/bin/python3")
