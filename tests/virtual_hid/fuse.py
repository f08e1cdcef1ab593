"""A minimal FUSE server speaking the kernel protocol on ``/dev/fuse`` directly.

It serves one regular file (the mount's root inode) whose behaviour is a :class:`Node`:
open, read (which may be answered later, as a blocking hidraw read is), write, ioctl,
poll and release. Speaking the protocol ourselves (rather than through libfuse) lets an
ioctl reply carry only the bytes the caller's buffer holds: libfuse's high-level ioctl
reply always sends the full declared size (4100 bytes for ``HIDIOCGRDESC``), more than
CPython's 1 KiB ``fcntl.ioctl`` buffer.

Structures follow ``include/uapi/linux/fuse.h`` (protocol 7.x; we answer INIT with the
kernel's own minor version capped at 31 and ask for no optional features).
"""

from __future__ import annotations

import errno
import os
import struct
import threading
from typing import Protocol

IN_HEADER = struct.Struct("<IIQQIIIHH")  # len, opcode, unique, nodeid, uid, gid, pid, ext, pad
OUT_HEADER = struct.Struct("<IiQ")  # len, error, unique
ATTR = struct.Struct("<QQQQQQIIIIIIIIII")  # fuse_attr (88 bytes)

LOOKUP, FORGET, GETATTR, SETATTR = 1, 2, 3, 4
OPEN, READ, WRITE, STATFS, RELEASE, FSYNC, FLUSH, INIT = 14, 15, 16, 17, 18, 20, 25, 26
ACCESS, INTERRUPT, DESTROY, IOCTL, POLL, BATCH_FORGET = 34, 36, 38, 39, 40, 42
NO_REPLY = {FORGET, BATCH_FORGET}

FOPEN_DIRECT_IO = 1 << 0  # no page cache: every read/write reaches us with its own size
FOPEN_NONSEEKABLE = 1 << 2
POLL_SCHEDULE_NOTIFY = 1 << 0
NOTIFY_POLL = 1
POLLIN, POLLOUT = 0x001, 0x004
ROOT_NODE = 1
FILE_MODE = 0o100666  # a regular file: the mount point is one


class Node(Protocol):
    """What the served file does. Errors are raised as ``OSError(errno, …)``."""

    def open(self) -> int:
        """A new file handle."""

    def read(self, fh: int, size: int, reply: Reply) -> None:
        """Answer ``reply`` now or later (a blocking read parks it)."""

    def write(self, fh: int, data: bytes) -> int:
        """Bytes consumed."""

    def ioctl(self, fh: int, cmd: int, data: bytes, out_size: int) -> tuple[int, bytes]:
        """(return value, bytes copied back to the caller's buffer, at most out_size)."""

    def readable(self, fh: int) -> bool:
        """Whether a read on ``fh`` would answer at once."""

    def release(self, fh: int) -> None:
        """The handle was closed."""


class Reply:
    """One request's answer, sendable once, from any thread."""

    def __init__(self, server: FuseServer, unique: int) -> None:
        self.server = server
        self.unique = unique
        self._sent = False
        self._lock = threading.Lock()

    def send(self, payload: bytes = b"", error: int = 0) -> bool:
        """Send the answer; False if one was already sent (e.g. the read was interrupted)."""
        with self._lock:
            if self._sent:
                return False
            self._sent = True
        self.server.send(self.unique, payload, error)
        return True


class FuseServer:
    """Serve ``node`` on an open ``/dev/fuse`` descriptor until the mount goes away."""

    def __init__(self, fd: int, node: Node) -> None:
        self.fd = fd
        self.node = node
        self._write_lock = threading.Lock()
        self._pending: dict[int, Reply] = {}  # parked reads, by request id
        self._pollers: set[int] = set()  # kernel poll handles waiting for a wake-up
        self._state = threading.Lock()
        self.ops: list[int] = []  # opcodes seen, for tests

    # -- sending ------------------------------------------------------------------------

    def send(self, unique: int, payload: bytes = b"", error: int = 0) -> None:
        """One reply; a request the kernel has already given up on is not an error."""
        data = OUT_HEADER.pack(OUT_HEADER.size + (0 if error else len(payload)), -error,
                               unique) + (b"" if error else payload)
        with self._write_lock:
            try:
                os.write(self.fd, data)
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.ENODEV):
                    raise

    def wake_pollers(self) -> None:
        """Tell every kernel poll waiting on the file to look again (data arrived)."""
        with self._state:
            handles, self._pollers = self._pollers, set()
        for kh in handles:
            # a notification is an "answer" with unique 0 and the notify code in error
            with self._write_lock:
                try:
                    os.write(self.fd, OUT_HEADER.pack(OUT_HEADER.size + 8, NOTIFY_POLL, 0)
                             + struct.pack("<Q", kh))
                except OSError as exc:
                    if exc.errno not in (errno.ENOENT, errno.ENODEV):
                        raise

    # -- the loop -----------------------------------------------------------------------

    def serve(self) -> None:
        """Answer requests until the file system is unmounted (ENODEV)."""
        while True:
            try:
                request = os.read(self.fd, 1 << 17)
            except OSError as exc:
                if exc.errno in (errno.ENODEV, errno.EBADF):
                    return
                if exc.errno in (errno.EINTR, errno.ENOENT, errno.EAGAIN):
                    continue
                raise
            if len(request) < IN_HEADER.size:
                continue
            _, opcode, unique, _node, _uid, _gid, _pid, _ext, _ = IN_HEADER.unpack_from(request)
            body = request[IN_HEADER.size:]
            self.ops.append(opcode)
            if opcode in NO_REPLY:
                continue
            if opcode == DESTROY:
                self.send(unique)
                return
            try:
                self._dispatch(opcode, unique, body)
            except OSError as exc:
                self.send(unique, error=exc.errno or errno.EIO)

    def _dispatch(self, opcode: int, unique: int, body: bytes) -> None:
        if opcode == INIT:
            _major, minor, readahead, _flags = struct.unpack_from("<IIII", body)
            out = struct.pack("<IIIIHHIIHHI", 7, min(minor, 31), readahead, 0, 16, 12, 4096,
                              1, 1, 0, 0)
            self.send(unique, out.ljust(64, b"\0"))
        elif opcode == GETATTR:
            attr = ATTR.pack(ROOT_NODE, 0, 0, 0, 0, 0, 0, 0, 0, FILE_MODE, 1, 0, 0, 0, 4096, 0)
            self.send(unique, struct.pack("<QII", 1, 0, 0) + attr)
        elif opcode == OPEN:
            fh = self.node.open()
            self.send(unique, struct.pack("<QII", fh, FOPEN_DIRECT_IO | FOPEN_NONSEEKABLE, 0))
        elif opcode == READ:
            fh, _offset, size = struct.unpack_from("<QQI", body)
            reply = _TrackedReply(self, unique)
            with self._state:
                self._pending[unique] = reply
            self.node.read(fh, size, reply)
        elif opcode == WRITE:
            fh, _offset, size = struct.unpack_from("<QQI", body)
            data = body[40:40 + size]
            self.send(unique, struct.pack("<II", self.node.write(fh, data), 0))
        elif opcode == IOCTL:
            fh, _flags, cmd, _arg, in_size, out_size = struct.unpack_from("<QIIQII", body)
            result, out = self.node.ioctl(fh, cmd, body[32:32 + in_size], out_size)
            self.send(unique, struct.pack("<iIII", result, 0, 0, 0) + out[:out_size])
        elif opcode == POLL:
            fh, kh, flags, _events = struct.unpack_from("<QQII", body)
            ready = self.node.readable(fh)
            if not ready and flags & POLL_SCHEDULE_NOTIFY:
                with self._state:
                    self._pollers.add(kh)
            self.send(unique, struct.pack("<II", POLLOUT | (POLLIN if ready else 0), 0))
        elif opcode == INTERRUPT:
            (target,) = struct.unpack_from("<Q", body)
            with self._state:
                parked = self._pending.pop(target, None)
            if parked is not None:  # a blocked read: the caller got a signal
                parked.send(error=errno.EINTR)
        elif opcode == RELEASE:
            (fh,) = struct.unpack_from("<Q", body)
            self.node.release(fh)
            self.send(unique)
        elif opcode in (FLUSH, FSYNC, ACCESS):
            self.send(unique)
        else:  # LOOKUP, SETATTR, STATFS, xattrs…: not a directory, nothing to change
            self.send(unique, error=errno.ENOSYS)

    def done(self, unique: int) -> None:
        """A parked read was answered: forget it."""
        with self._state:
            self._pending.pop(unique, None)


class _TrackedReply(Reply):
    def send(self, payload: bytes = b"", error: int = 0) -> bool:
        self.server.done(self.unique)
        return super().send(payload, error)
