"""``shellgate install`` / ``uninstall`` / ``doctor`` on a temporary home, black-box: the
shells agents start really find the shims first, installing twice changes nothing, and
uninstalling leaves the home byte for byte as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_cli import tool
from tests.integration.test_shims import SYSTEM_PATH, Box

ZSH = shutil.which("zsh")


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: type, mode, and content hash or link target."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        st = path.lstat()
        if path.is_symlink():
            found[rel] = f"link {os.readlink(path)}"
        elif path.is_dir():
            found[rel] = f"dir {st.st_mode:o}"
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[rel] = f"file {st.st_mode:o} {st.st_mtime_ns} {digest}"
    return found


@pytest.fixture
def home_box(tmp_path: Path) -> Box:
    """A home like a real one: a symlinked .bashrc, a private .bash_profile, a .zshrc
    without a final newline, unrelated files."""
    box = Box(tmp_path)
    dotfiles = box.home / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "bashrc").write_bytes(b"# my bashrc\nexport EDITOR=vi\n")
    (box.home / ".bashrc").symlink_to("dotfiles/bashrc")
    profile = box.home / ".bash_profile"
    profile.write_bytes(b"[ -f ~/.bashrc ] && . ~/.bashrc\r\nexport PATH=\"$HOME/bin:$PATH\"\n")
    profile.chmod(0o600)
    (box.home / ".zshrc").write_bytes(b"setopt no_beep")
    (box.home / "notes.txt").write_text("unrelated\n")
    return box


def install(box: Box, *args: str) -> subprocess.CompletedProcess[bytes]:
    return box.shellgate("install", "--home", str(box.home), *args)


def uninstall(box: Box, *args: str) -> subprocess.CompletedProcess[bytes]:
    return box.shellgate("uninstall", "--home", str(box.home), *args)


def first_git(box: Box, shell: list[str], path: str = SYSTEM_PATH) -> str:
    env = {"HOME": str(box.home), "PATH": path, "TERM": "dumb", "LANG": "C.UTF-8"}
    result = subprocess.run([*shell, "command -v git"], env=env, cwd=box.home,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=30, check=False)
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def shims_of(box: Box) -> Path:
    return box.home / ".local" / "share" / "shellgate" / "shims"


def test_install_twice_then_uninstall_leaves_home_byte_identical(home_box: Box) -> None:
    before = snapshot(home_box.home)
    assert install(home_box).returncode == 0
    first = snapshot(home_box.home)
    assert first != before
    second_run = install(home_box)
    assert second_run.returncode == 0, second_run.stderr
    assert snapshot(home_box.home) == first  # idempotent: same bytes, nothing rewritten
    result = uninstall(home_box)
    assert result.returncode == 0, result.stderr
    assert snapshot(home_box.home) == before
    assert not (home_box.config / "install.json").exists()


def test_the_default_config_dir_inside_home_is_taken_back_too(home_box: Box) -> None:
    before = snapshot(home_box.home)
    command = [tool("shellgate"), "install", "--home", str(home_box.home)]
    for _ in range(2):
        assert home_box.run(command).returncode == 0
    assert (home_box.home / ".config" / "shellgate" / "install.json").exists()
    undo = home_box.run([tool("shellgate"), "uninstall", "--home", str(home_box.home)])
    assert undo.returncode == 0, undo.stderr
    assert snapshot(home_box.home) == before


def test_shells_agents_start_find_the_shims_first(home_box: Box) -> None:
    assert install(home_box).returncode == 0
    shim = str(shims_of(home_box) / "git")
    assert first_git(home_box, ["bash", "-lc"]) == shim      # Claude Code, Codex
    assert first_git(home_box, ["bash", "-c", "-l"]) == shim  # Claude Code's argument order
    assert first_git(home_box, ["bash", "-ic"]) == shim      # the terminal an agent starts in
    assert first_git(home_box, ["bash", "-c"], f"{shims_of(home_box)}:{SYSTEM_PATH}") == shim
    path_twice = f"{shims_of(home_box)}:/usr/bin:{shims_of(home_box)}:/bin"
    env = {"HOME": str(home_box.home), "PATH": path_twice}
    echoed = subprocess.run(["bash", "-lc", 'printf %s "$PATH"'], env=env, capture_output=True,
                            text=True, timeout=30, check=False).stdout
    assert echoed.split(":").count(str(shims_of(home_box))) == 1
    assert echoed.startswith(str(shims_of(home_box)) + ":")
    assert uninstall(home_box).returncode == 0
    assert first_git(home_box, ["bash", "-lc"]) != shim


@pytest.mark.skipif(ZSH is None, reason="zsh is not installed")
def test_zsh_finds_the_shims_first(home_box: Box) -> None:
    assert install(home_box).returncode == 0
    shim = str(shims_of(home_box) / "git")
    for flags in (["-c"], ["-lc"], ["-ic"], ["-c", "-l"]):
        assert first_git(home_box, [str(ZSH), *flags]) == shim, flags
    assert (home_box.home / ".zshrc").read_bytes().startswith(b"setopt no_beep\n# >>> shellgate")


def test_dry_run_prints_the_plan_and_writes_nothing(home_box: Box) -> None:
    before, config_before = snapshot(home_box.home), snapshot(home_box.config)
    result = install(home_box, "--dry-run")
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert f"would put the shims first on PATH in {home_box.home / '.bash_profile'}" in out
    assert "would write" in out and " git," in out
    assert snapshot(home_box.home) == before
    assert snapshot(home_box.config) == config_before
    assert install(home_box).returncode == 0
    installed = snapshot(home_box.home)
    undo = uninstall(home_box, "--dry-run")
    assert undo.returncode == 0 and "would restore" in undo.stdout.decode()
    assert snapshot(home_box.home) == installed


def test_uninstall_keeps_edits_made_after_install(home_box: Box) -> None:
    assert install(home_box).returncode == 0
    bashrc = home_box.home / "dotfiles" / "bashrc"
    bashrc.write_bytes(bashrc.read_bytes() + b"alias ll='ls -l'\n")
    assert uninstall(home_box).returncode == 0
    assert bashrc.read_bytes() == b"# my bashrc\nexport EDITOR=vi\nalias ll='ls -l'\n"
    assert (home_box.home / ".bashrc").is_symlink()


def test_uninstall_needs_an_enrolled_keys_touch(home_box: Box) -> None:
    home_box.enroll(touch=False)
    assert install(home_box).returncode == 0  # installing takes nothing away: no touch
    installed = snapshot(home_box.home)
    refused = uninstall(home_box)
    assert refused.returncode == 126
    last = refused.stderr.decode().splitlines()[-1]
    assert last.startswith("shellgate: needs approval: core.self-protection")
    assert "timed out" in last
    assert snapshot(home_box.home) == installed
    narrower = install(home_box, "--tools", "curl")
    assert narrower.returncode == 126  # dropping the git shim is weakening too
    assert (shims_of(home_box) / "git").exists()
    home_box.set_touch(True)
    assert uninstall(home_box).returncode == 0
    assert not shims_of(home_box).exists()


def test_reinstall_with_fewer_tools_removes_their_shims(home_box: Box) -> None:
    assert install(home_box).returncode == 0
    assert install(home_box, "--tools", "git,psql").returncode == 0
    names = sorted(p.name for p in shims_of(home_box).iterdir())
    assert names == [".shellgate-shims", "git", "psql", "shellgate-sh"]


def test_a_directory_with_other_programs_is_refused_as_shims_dir(home_box: Box) -> None:
    bin_dir = home_box.home / "bin"
    bin_dir.mkdir()
    (bin_dir / "mytool").write_text("#!/bin/sh\n")
    before = snapshot(home_box.home)
    result = install(home_box, "--shims-dir", str(bin_dir))
    assert result.returncode == 2
    assert b"not a shellgate shims directory" in result.stderr
    assert snapshot(home_box.home) == before


def test_a_damaged_block_is_reported_not_rewritten(home_box: Box) -> None:
    rc = home_box.home / "dotfiles" / "bashrc"
    rc.write_bytes(rc.read_bytes() + b"# >>> shellgate >>>\nPATH=/x\n")
    before = snapshot(home_box.home)
    result = install(home_box)
    assert result.returncode == 2
    assert b"without its" in result.stderr
    assert snapshot(home_box.home) == before


def test_doctor_reports_shells_blocks_and_writability(home_box: Box) -> None:
    assert install(home_box).returncode == 0
    report = home_box.shellgate("doctor").stdout.decode()
    assert "bash -lc (Claude Code, Codex): `git` is the shim" in report
    assert "bash -ic (an interactive terminal): `git` is the shim" in report
    assert f"{home_box.home / '.bash_profile'}: PATH block in place" in report
    assert "real programs found for" in report
    assert "writable by this user" in report
    rc = home_box.home / "dotfiles" / "bashrc"
    profile = home_box.home / ".bash_profile"
    profile.write_bytes(b"export PATH=/usr/bin:/bin\n")  # the block (and .bashrc) gone
    broken = home_box.shellgate("doctor")
    text = broken.stdout.decode()
    assert broken.returncode == 1
    assert f"PROBLEM {profile}: the shellgate PATH block is gone" in text
    assert "PROBLEM bash -lc (Claude Code, Codex)" in text
    assert rc.read_bytes().count(b"# >>> shellgate >>>") == 1


def test_doctor_without_an_install_says_so(home_box: Box) -> None:
    report = home_box.shellgate("doctor").stdout.decode()
    assert "shims: not installed" in report
