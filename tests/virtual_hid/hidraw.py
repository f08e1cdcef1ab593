"""A virtual ``/dev/hidrawN``: the hidraw ioctls python-fido2's Linux backend issues, and
a CTAPHID device (channels, framing, KEEPALIVE, CANCEL) in front of the software
authenticator.

Each open handle gets its own copy of every input report, as hidraw gives each reader.
Writes carry the report-ID byte first (0: FIDO reports are unnumbered), which hidraw
strips before the device sees the 64-byte report.
"""

from __future__ import annotations

import errno
import os
import struct
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from fido2.ctap import STATUS, CtapError

from tests.virtual_hid.fuse import Reply

if TYPE_CHECKING:
    from shellgate.approve.softkey.authenticator import SoftAuthenticator
    from tests.virtual_hid.fuse import FuseServer

REPORT = 64
BROADCAST = 0xFFFFFFFF
TYPE_INIT = 0x80
PING, MSG, INIT, WINK, CBOR, CANCEL = 0x01, 0x03, 0x06, 0x08, 0x10, 0x11
KEEPALIVE, ERROR = 0x3B, 0x3F
ERR_INVALID_CMD, ERR_INVALID_LEN, ERR_INVALID_SEQ, ERR_CHANNEL_BUSY = 0x01, 0x03, 0x04, 0x06
CAP_WINK, CAP_CBOR = 0x01, 0x04
KEEPALIVE_EVERY = 0.1  # seconds, as CTAPHID asks of a busy authenticator

# hidraw.h ioctls (the numbers python-fido2 uses; sizes are in the numbers)
HIDIOCGRDESCSIZE = 0x80044801
HIDIOCGRDESC = 0x90044802
HIDIOCGRAWINFO = 0x80084803
HIDIOCGRAWNAME = 0x90044804
HIDIOCGRAWUNIQ = 0x90044808
BUS_USB = 3

# Usage page 0xF1D0 (FIDO), usage 1 (CTAPHID), 64-byte input and output reports.
FIDO_DESCRIPTOR = bytes.fromhex(
    "06d0f1" "0901" "a101"
    "0920" "1500" "26ff00" "7508" "9540" "8102"
    "0921" "1500" "26ff00" "7508" "9540" "9102"
    "c0")


class VirtualHidraw:
    """One plugged-in virtual key. ``hang_after``: answer that many CBOR/MSG requests,
    then go silent (no reply, no keepalive, CANCEL ignored) like a wedged device."""

    def __init__(self, authenticator: SoftAuthenticator, *, name: str = "Soft FIDO (test)",
                 vid: int = 0x1050, pid: int = 0x0407, serial: str = "",
                 hang_after: int | None = None, answer_delay: float = 0.0,
                 touch_make: bool = True) -> None:
        self.auth = authenticator
        self.name, self.vid, self.pid, self.serial = name, vid, pid, serial
        self.hang_after = hang_after
        self.answer_delay = answer_delay
        """Seconds a request that needs a touch (makeCredential, getAssertion with up)
        waits before it is handled, KEEPALIVEs going on: a human's reach for the key, so a
        test can see every key asked before one answers."""
        self.touch_make = touch_make
        """False: the human touches this key to approve (assertions) but not to enrol: a
        makeCredential waits for a touch until cancelled, as a key left alone does."""
        self.server: FuseServer | None = None
        self._lock = threading.Lock()
        self._queues: dict[int, deque[bytes]] = {}
        self._readers: dict[int, deque[tuple[int, Reply]]] = {}
        self._next_fh = 1
        self._next_cid = 1
        self._assembly: dict[int, tuple[int, int, bytearray, int]] = {}  # cid → cmd, len, data, seq
        self._busy: tuple[int, threading.Event] | None = None  # (cid, cancel event)
        self._answered = 0
        self.log: list[str] = []  # CTAPHID commands seen, for tests

    # -- the hidraw node ----------------------------------------------------------------

    def open(self) -> int:
        with self._lock:
            fh, self._next_fh = self._next_fh, self._next_fh + 1
            self._queues[fh] = deque()
            self._readers[fh] = deque()
        return fh

    def release(self, fh: int) -> None:
        with self._lock:
            self._queues.pop(fh, None)
            readers = self._readers.pop(fh, deque())
        for _size, reply in readers:
            reply.send(error=errno.EBADF)

    def readable(self, fh: int) -> bool:
        with self._lock:
            return bool(self._queues.get(fh))

    def read(self, fh: int, size: int, reply: Reply) -> None:
        with self._lock:
            queue = self._queues.get(fh)
            if queue is None:
                raise OSError(errno.EBADF, "closed")
            if queue:
                report = queue.popleft()
            else:
                self._readers[fh].append((size, reply))
                return
        reply.send(report[:size])

    def write(self, fh: int, data: bytes) -> int:
        report = data[1:] if len(data) == REPORT + 1 else data  # hidraw strips report id 0
        if len(report) != REPORT:
            raise OSError(errno.EINVAL, "not a 64-byte report")
        self._packet(report)
        return len(data)

    def ioctl(self, fh: int, cmd: int, data: bytes, out_size: int) -> tuple[int, bytes]:
        if cmd == HIDIOCGRDESCSIZE:
            return 0, struct.pack("<I", len(FIDO_DESCRIPTOR))
        if cmd == HIDIOCGRDESC:
            return 0, struct.pack("<I", len(FIDO_DESCRIPTOR)) + FIDO_DESCRIPTOR
        if cmd == HIDIOCGRAWINFO:
            return 0, struct.pack("<IHH", BUS_USB, self.vid, self.pid)
        if cmd in (HIDIOCGRAWNAME, HIDIOCGRAWUNIQ):
            text = (self.name if cmd == HIDIOCGRAWNAME else self.serial).encode() + b"\0"
            text = text[:out_size]
            return len(text), text
        raise OSError(errno.ENOTTY, "unknown ioctl")

    def _emit(self, report: bytes) -> None:
        """Deliver one input report to every open handle (a parked read first)."""
        answers: list[tuple[int, Reply, bytes]] = []
        with self._lock:
            for fh, queue in self._queues.items():
                readers = self._readers[fh]
                if readers:
                    size, reply = readers.popleft()
                    answers.append((fh, reply, report[:size]))
                else:
                    queue.append(report)
        for fh, reply, data in answers:
            if not reply.send(data):  # that read was interrupted: keep the report
                with self._lock:
                    if fh in self._queues:
                        self._queues[fh].appendleft(report)
        if self.server is not None:
            self.server.wake_pollers()

    # -- CTAPHID ------------------------------------------------------------------------

    def _send(self, cid: int, cmd: int, payload: bytes) -> None:
        header = struct.pack(">IBH", cid, TYPE_INIT | cmd, len(payload))
        chunk, rest = payload[:REPORT - 7], payload[REPORT - 7:]
        self._emit((header + chunk).ljust(REPORT, b"\0"))
        seq = 0
        while rest:
            chunk, rest = rest[:REPORT - 5], rest[REPORT - 5:]
            self._emit((struct.pack(">IB", cid, seq) + chunk).ljust(REPORT, b"\0"))
            seq += 1

    def _error(self, cid: int, code: int) -> None:
        self._send(cid, ERROR, bytes([code]))

    def _packet(self, report: bytes) -> None:
        cid, kind = struct.unpack_from(">IB", report)
        if kind & TYPE_INIT:
            cmd = kind & 0x7F
            (length,) = struct.unpack_from(">H", report, 5)
            if cmd == CANCEL:
                self.log.append("CANCEL")
                busy = self._busy
                if busy is not None and busy[0] == cid:
                    busy[1].set()
                return
            if self._busy is not None and self._busy[0] != cid and cmd != INIT:
                self._error(cid, ERR_CHANNEL_BUSY)
                return
            self._assembly[cid] = (cmd, length, bytearray(report[7:7 + length]), 0)
        else:
            if cid not in self._assembly:
                return  # a stray continuation: ignore, as devices do
            cmd, length, data, seq = self._assembly[cid]
            if kind != seq:
                del self._assembly[cid]
                self._error(cid, ERR_INVALID_SEQ)
                return
            data += report[5:5 + length - len(data)]
            self._assembly[cid] = (cmd, length, data, seq + 1)
        cmd, length, data, _ = self._assembly[cid]
        if len(data) >= length:
            del self._assembly[cid]
            self._request(cid, cmd, bytes(data[:length]))

    def _request(self, cid: int, cmd: int, data: bytes) -> None:
        self.log.append({INIT: "INIT", PING: "PING", WINK: "WINK", CBOR: "CBOR",
                         MSG: "MSG"}.get(cmd, hex(cmd)))
        if cmd == INIT:
            if len(data) != 8:
                self._error(cid, ERR_INVALID_LEN)
                return
            new = cid
            if cid == BROADCAST:
                new, self._next_cid = self._next_cid, self._next_cid + 1
            caps = CAP_WINK | (CAP_CBOR if self.auth.ctap2 else 0)
            self._send(cid, INIT, data + struct.pack(">IBBBBB", new, 2, 1, 0, 0, caps))
        elif cmd == PING:
            self._send(cid, PING, data)
        elif cmd == WINK:
            self._send(cid, WINK, b"")
        elif cmd in (CBOR, MSG):
            index, self._answered = self._answered, self._answered + 1
            if self.hang_after is not None and index >= self.hang_after:
                return  # a wedged device: the request is swallowed for good
            cancel = threading.Event()
            self._busy = (cid, cancel)
            threading.Thread(target=self._run, args=(cid, cmd, data, cancel),
                             daemon=True).start()
        else:
            self._error(cid, ERR_INVALID_CMD)

    def _run(self, cid: int, cmd: int, data: bytes, cancel: threading.Event) -> None:
        """Run one CBOR/MSG request, sending KEEPALIVE every 100 ms until it answers."""
        status = [STATUS.PROCESSING]
        done = threading.Event()

        def keepalive() -> None:
            while not done.wait(KEEPALIVE_EVERY):
                self._send(cid, KEEPALIVE, bytes([status[0]]))

        def on_keepalive(new: STATUS) -> None:
            if new != status[0]:  # a change is said at once, as keys do for UPNEEDED
                self._send(cid, KEEPALIVE, bytes([new]))
            status[0] = new

        ticker = threading.Thread(target=keepalive, daemon=True)
        ticker.start()
        try:
            if self.answer_delay and cmd == CBOR and _needs_touch(data):
                cancel.wait(self.answer_delay)  # a CANCEL meanwhile is answered below
            if cmd == CBOR and data[:1] == b"\x01" and not self.touch_make:
                reply = self._untouched(data, cancel, on_keepalive)
            elif cmd == CBOR:
                reply = self.auth.handle_cbor(data, cancel, on_keepalive)
            else:
                reply = self.auth.handle_apdu(data)
        except CtapError as exc:
            reply = bytes([exc.code])
        finally:
            done.set()
            ticker.join()
            self._busy = None
        self._send(cid, cmd, reply)

    def _untouched(self, data: bytes, cancel: threading.Event,
                   on_keepalive: Callable[[STATUS], None]) -> bytes:
        """One CBOR request answered by a key nobody touches (one request at a time per
        key, so swapping the simulated user for it is safe)."""
        from shellgate.approve.softkey.authenticator import NeverTouch

        presence, self.auth.presence = self.auth.presence, NeverTouch()
        try:
            return self.auth.handle_cbor(data, cancel, on_keepalive)
        finally:
            self.auth.presence = presence


def mount_options(fd: int) -> str:
    """FUSE mount data for a root that is one regular file, usable by every user."""
    return f"fd={fd},rootmode=100000,user_id={os.getuid()},group_id={os.getgid()},allow_other"


def _needs_touch(data: bytes) -> bool:
    """A CTAP2 makeCredential, or a getAssertion that asks for user presence."""
    from fido2 import cbor

    if not data or data[0] not in (0x01, 0x02):
        return False
    if data[0] == 0x01:
        return True
    try:
        request = cbor.decode(data[1:])
    except Exception:  # a malformed request is the authenticator's to refuse
        return False
    options = request.get(5, {}) if isinstance(request, dict) else {}
    return not (isinstance(options, dict) and options.get("up") is False)
