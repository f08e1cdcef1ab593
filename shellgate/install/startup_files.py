"""The block ``shellgate install`` adds to shell startup files, and which files get it.

The block is plain POSIX sh (bash, zsh and dash run it alike): it removes every copy of
the shims directory from ``PATH`` and puts one back in front, so it stays idempotent
however often nested login shells source it. It sits at the end of each file, after the
user's own ``PATH`` changes (pyenv, nvm, ~/.local/bin…), so the shims end up first.

Which files (agents start ``bash -c``, ``bash -lc``/``-c -l`` or ``zsh -c -l``; see the
integration notes §1.7, §3.4, §4.3):

- ``~/.bashrc``: interactive bash (the terminal an agent is launched from).
- the login file bash reads: the first of ``~/.bash_profile``, ``~/.bash_login``,
  ``~/.profile`` that exists, else a new ``~/.profile`` (never a new ``.bash_profile``,
  which would stop bash reading an existing ``.profile``). Claude Code and Codex run
  login shells, which re-read it after the agent's own environment is applied.
- ``~/.profile`` as well when it exists (``sh -l``: Codex with ``/bin/sh`` as login shell).
- zsh, when it is installed or configured: ``~/.zshenv`` (every zsh, ``zsh -c`` too),
  ``~/.zprofile`` (login zsh, after ``/etc/zprofile``'s path_helper on macOS reorders
  PATH) and ``~/.zshrc`` (interactive zsh).

``bash -c`` (Gemini CLI) reads no file: it inherits the agent's PATH, which the agent got
from the shell it was started in.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

from shellgate.errors import ShellgateError

BEGIN = b"# >>> shellgate >>>"
END = b"# <<< shellgate <<<"


class BlockError(ShellgateError):
    """A startup file holds a damaged shellgate block (a start line without its end)."""

    exit_code = 2


def check_shims_dir(shims_dir: str) -> None:
    """A shims directory must be absolute and fit in PATH and in a shell word."""
    if not os.path.isabs(shims_dir):
        raise ShellgateError(f"the shims directory must be an absolute path: {shims_dir}", 2)
    if any(c in shims_dir for c in ":\n\r\0"):
        raise ShellgateError("the shims directory cannot contain ':' or line breaks "
                             "(PATH could not hold it)", 2)


def path_snippet(shims_dir: str) -> str:
    """POSIX sh that puts ``shims_dir`` first on PATH exactly once (no block markers)."""
    check_shims_dir(shims_dir)
    d, r = "__shellgate_dir", "__shellgate_rest"
    return "\n".join([
        f"{d}={shlex.quote(shims_dir)}",
        f'{r}=":${{PATH:-}}:"',
        f'while case "${r}" in *:"${d}":*) true ;; *) false ;; esac; do',
        f'  {r}="${{{r}%%:"${d}":*}}:${{{r}#*:"${d}":}}"',
        "done",
        f'{r}="${{{r}#:}}"',
        f'{r}="${{{r}%:}}"',
        f'PATH="${d}${{{r}:+:${r}}}"',
        "export PATH",
        f"unset {d} {r}",
    ]) + "\n"


def block(shims_dir: str) -> bytes:
    """The whole marked block, ending in a newline."""
    text = ("# >>> shellgate >>>\n"
            "# Added by `shellgate install`: keeps shellgate's shims first on PATH.\n"
            "# `shellgate uninstall` removes this block and restores the file.\n"
            + path_snippet(shims_dir) + "# <<< shellgate <<<\n")
    return text.encode("utf-8")


def _span(content: bytes, name: str = "the file") -> tuple[int, int] | None:
    """Byte offsets of the first block (start of BEGIN line, end of END line incl. newline)."""
    offset = 0
    start: int | None = None
    for line in content.splitlines(keepends=True):
        bare = line.rstrip(b"\r\n")
        if start is None and bare == BEGIN:
            start = offset
        elif start is not None and bare == END:
            return start, offset + len(line)
        offset += len(line)
    if start is not None:
        raise BlockError(f"{name} has a '# >>> shellgate >>>' line without its "
                         "'# <<< shellgate <<<' end; fix or remove it, then run again")
    return None


def with_block(content: bytes, new: bytes, name: str = "the file") -> bytes:
    """``content`` with its shellgate blocks replaced by ``new`` (appended when absent)."""
    span = _span(content, name)
    if span is None:
        sep = b"\n" if content and not content.endswith(b"\n") else b""
        return content + sep + new
    start, end = span
    rest = without_block(content[end:], name)
    return content[:start] + new + rest


def without_block(content: bytes, name: str = "the file") -> bytes:
    """``content`` with every shellgate block removed."""
    span = _span(content, name)
    while span is not None:
        start, end = span
        content = content[:start] + content[end:]
        span = _span(content, name)
    return content


def block_of(content: bytes) -> bytes | None:
    """The first shellgate block in ``content`` (None when there is none)."""
    try:
        span = _span(content)
    except BlockError:
        return None
    return None if span is None else content[span[0]:span[1]]


def zsh_wanted(home: Path) -> bool:
    """Configure zsh when it is installed or the user already has zsh startup files."""
    return shutil.which("zsh") is not None or any(
        (home / name).exists() for name in (".zshenv", ".zprofile", ".zshrc"))


def rc_targets(home: Path, zsh: bool) -> list[tuple[Path, str]]:
    """Startup files to hold the block, each with the shells that read it."""
    targets = [(home / ".bashrc", "interactive bash")]
    login = next((home / n for n in (".bash_profile", ".bash_login", ".profile")
                  if (home / n).exists() or (home / n).is_symlink()), home / ".profile")
    targets.append((login, "login bash: bash -l, as Claude Code and Codex run it"))
    if login.name != ".profile" and (home / ".profile").exists():
        targets.append((home / ".profile", "login sh"))
    if zsh:
        targets += [(home / ".zshenv", "every zsh, zsh -c too"),
                    (home / ".zprofile", "login zsh"),
                    (home / ".zshrc", "interactive zsh")]
    return targets
