"""Writing files the way every part of shellgate must: atomically, never half-written."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the hot paths import this module
if TYPE_CHECKING:
    from pathlib import Path

MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
"""Payload files larger than this are not inspected (and so fail closed)."""


def write_atomic(path: Path | str, data: bytes | str, mode: int = 0o600) -> None:
    """Replace ``path`` so readers see the old or the new content, never half of it: a
    temp file beside it, fsync, ``os.replace``; as root the old owner is kept."""
    import tempfile
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.shellgate-", dir=target.parent)
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, mode)
            if os.getuid() == 0 and target.exists():
                stat = target.stat()
                os.fchown(fd, stat.st_uid, stat.st_gid)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class PayloadFiles:
    """The filesystem as the engine may see it: payload files and symlinks."""

    def __call__(self, path: str) -> bytes | None:
        """A file a command reads its payload from, relative to the working directory and
        bounded (one byte over the cap, so an oversized file is noticed); None if
        unreadable."""
        return read_regular_file(path, MAX_PAYLOAD_BYTES)

    @staticmethod
    def real_path(path: str) -> str | None:
        """``path`` with its symlinks resolved, when one of its parts is a symlink (a
        ``build/`` that points at real data); None when none is or nothing can be told."""
        return real_path(path)


def read_regular_file(path: str, cap: int) -> bytes | None:
    """A regular file's bytes, one byte over ``cap`` at most; None if unreadable.

    Only regular files: a FIFO, a terminal or ``/dev/stdin`` is a stream that belongs to
    the command (reading it here would take the input away from the command, or from the
    surface itself: ``scan -`` fed its own remaining lines to ``bash /dev/stdin``)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except (OSError, ValueError):
        return None
    try:
        if os.fstat(fd).st_mode & 0o170000 != 0o100000:  # S_IFREG, without importing stat
            return None
        chunks: list[bytes] = []
        left = cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def real_path(path: str) -> str | None:
    """The resolved absolute path when resolving symlinks changes it, else None. ``~`` is
    the real user's home from the password database, never ``$HOME``."""
    if not path or "\x00" in path:
        return None
    try:
        if path == "~" or path.startswith("~/"):
            import pwd

            path = pwd.getpwuid(os.getuid()).pw_dir + path[1:]
        elif path.startswith("~"):
            return None
        written = os.path.abspath(path)
        real = os.path.realpath(path)
    except (OSError, ValueError, KeyError):
        return None
    return real if real != written else None


read_payload_file = PayloadFiles()
"""Reads payload files relative to the working directory (``PayloadFiles``)."""
