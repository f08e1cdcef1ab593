"""Exec the real program: found on PATH (never a shellgate shim, never shellgate itself),
with any stdin shellgate read for inspection handed over byte for byte."""

from __future__ import annotations

import os
import stat
import sys

from shellgate.errors import ShellgateError

TYPE_CHECKING = False  # typing and collections.abc cost milliseconds on the shim's path
if TYPE_CHECKING:
    from collections.abc import Iterable

STDIN_CAP = 8 * 1024 * 1024
"""Most stdin shellgate buffers to inspect; more is refused (fail closed), never streamed unseen."""
SHIM_MARKER = ".shellgate-shims"
"""A file present in every directory ``shellgate install`` writes shims into."""
SHIM_HEADER = b"# shellgate shim:"
"""The second line of every shim file."""
_MAX_HOPS = 64


class StdinTooLarge(ShellgateError):
    """Standard input exceeds what shellgate inspects."""


def read_stdin(cap: int = STDIN_CAP) -> bytes:
    """Read all of stdin (up to ``cap`` bytes) so it can be inspected and then replayed."""
    chunks: list[bytes] = []
    size = 0
    fd = sys.stdin.fileno()
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > cap:
            raise StdinTooLarge(f"standard input is larger than {cap} bytes; shellgate does not "
                                "pass on what it has not inspected")
        chunks.append(chunk)


def stdin_is_data() -> bool:
    """True when stdin is a pipe or file (not a terminal, not closed)."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode) or stat.S_ISSOCK(mode)


def is_shim_dir(directory: str) -> bool:
    return bool(directory) and os.path.exists(os.path.join(directory, SHIM_MARKER))


def find_real(name: str, path: str | None, skip: Iterable[str] = ()) -> str:
    """The executable bash would run for ``name``, skipping shellgate's own directories."""
    if "/" in name:
        return name
    skipped = {os.path.realpath(s) for s in skip}
    own = os.path.realpath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    for directory in (path or os.defpath).split(os.pathsep):
        if not directory or os.path.realpath(directory) in skipped or is_shim_dir(directory):
            continue
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            if own and os.path.realpath(candidate) == own:
                continue
            return candidate
    raise ShellgateError(f"{name}: command not found", 127)


def find_program(name: str, shims_dir: str = "") -> str:
    """The program bash would run for ``name`` if no shellgate shim were on PATH (shim
    directories are skipped by their marker file, and any shim file found is skipped too)."""
    skip = [shims_dir] if shims_dir else []
    for _ in range(_MAX_HOPS):
        candidate = find_real(name, os.environ.get("PATH"), skip)
        if not is_shim_file(candidate):
            return candidate
        skip.append(os.path.dirname(candidate))
    raise ShellgateError(f"{name}: command not found", 127)


def is_shim_file(path: str) -> bool:
    """True for a file ``shellgate install`` wrote (its second line is the shim header)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    lines = head.split(b"\n", 2)
    return head.startswith(b"#!") and len(lines) > 1 and lines[1].startswith(SHIM_HEADER)


_APPROVED: dict[str, int] = {}
"""Hardened mode: program path → the descriptor the broker approved it through."""


def hold_approved(program: str, fd: int) -> None:
    """The broker approved ``program`` as read through ``fd``: :func:`exec_real` runs it
    through that descriptor, so a file put at the path after the touch is never run."""
    old = _APPROVED.pop(program, None)
    if old is not None:
        os.close(old)
    _APPROVED[program] = fd


def exec_real(program: str, argv: list[str], stdin_data: bytes | None,
              extra_env: dict[str, str] | None = None) -> None:
    """Replace this process with ``program``; replay buffered stdin through an unlinked file.

    ``extra_env`` (vault secrets) is added to the program's environment only: this process
    becomes the program, so no other process, the caller's shell included, receives it.
    A program the broker approved (:func:`hold_approved`) is run through its descriptor.
    """
    if stdin_data is not None:
        fd = _anonymous_file(stdin_data)
        os.dup2(fd, 0)
        os.close(fd)
    held = _APPROVED.pop(program, None)
    try:
        if held is not None:
            os.set_inheritable(held, True)  # a #! script's interpreter opens /dev/fd/N
            os.execve(held, argv, {**os.environ, **(extra_env or {})})
        if extra_env:
            os.execve(program, argv, {**os.environ, **extra_env})
        os.execv(program, argv)
    except OSError as exc:
        raise ShellgateError(f"{argv[0]}: {exc.strerror}", 126) from exc


def _anonymous_file(data: bytes) -> int:
    """A readable fd holding ``data``, positioned at 0, with no name on disk."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("shellgate-stdin", 0)
    else:  # pragma: no cover - non-Linux
        import tempfile

        fd, name = tempfile.mkstemp(prefix="shellgate-stdin-")
        os.unlink(name)
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
