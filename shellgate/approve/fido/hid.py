"""USB HID keys with bounded reads.

python-fido2 reads the next HID report with a blocking read and looks at its cancel
event only between reports, so a key that stops answering (no reply, no keepalive)
would hold the caller for ever. On Linux we open hidraw ourselves and wait for each
report with ``poll`` in short slices: once the cancel event is set we send CTAPHID CANCEL
and give the key a moment to say so; past the hard deadline the read fails.
Elsewhere the library's own connections are used (calls are still bounded by the
caller's threads, see ``race``).
"""

from __future__ import annotations

import errno
import os
import select
import struct
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fido2.ctap import CtapDevice
    from fido2.hid.base import HidDescriptor

CANCEL_GRACE = 1.0
"""Seconds a cancelled key gets to answer before its read fails."""
SLICE_MS = 50
_CTAPHID_CANCEL = 0x80 | 0x11


def _connection_class() -> type:
    from fido2.hid.base import CtapHidConnection

    class BoundedConnection(CtapHidConnection):
        """A hidraw connection whose reads end on cancel (after a grace) or deadline."""

        def __init__(self, descriptor: HidDescriptor, cancel: threading.Event,
                     deadline: float) -> None:
            self.handle = os.open(descriptor.path, os.O_RDWR | os.O_CLOEXEC)
            self.descriptor = descriptor
            self.cancel = cancel
            self.deadline = deadline
            self.channel = b"\xff\xff\xff\xff"
            self.poller = select.poll()
            self.poller.register(self.handle, select.POLLIN)

        def write_packet(self, data: bytes) -> None:
            self.channel = bytes(data[:4])
            if os.write(self.handle, b"\0" + data) != len(data) + 1:  # report id 0 first
                raise OSError(errno.EIO, "failed to write a whole HID report")

        def read_packet(self) -> bytes:
            cancelled_at: float | None = None
            while True:
                now = time.monotonic()
                if cancelled_at is None and self.cancel.is_set():
                    cancelled_at = now
                    packet = struct.pack(">4sB", self.channel, _CTAPHID_CANCEL)
                    self.write_packet(packet.ljust(self.descriptor.report_size_out, b"\0"))
                limit = self.deadline if cancelled_at is None else min(
                    self.deadline, cancelled_at + CANCEL_GRACE)
                if now >= limit:
                    raise TimeoutError("the key stopped answering")
                wait = max(1, min(SLICE_MS, int((limit - now) * 1000)))
                if self.poller.poll(wait):
                    return os.read(self.handle, self.descriptor.report_size_in)

        def close(self) -> None:
            os.close(self.handle)

    return BoundedConnection


def list_devices(cancel: threading.Event, deadline: float) -> list[CtapDevice]:
    """Every FIDO HID device, opened; none (not an error) where HID is unavailable."""
    try:
        from fido2.hid import CtapHidDevice, list_descriptors
    except Exception:  # unsupported platform: no hardware path
        return []
    if not sys.platform.startswith("linux"):
        try:
            return list(CtapHidDevice.list_devices())
        except OSError:
            return []
    connection = _connection_class()
    devices: list[CtapDevice] = []
    try:
        descriptors = list_descriptors()  # type: ignore[no-untyped-call]
    except OSError:
        return []
    for descriptor in descriptors:
        try:
            opened = connection(descriptor, cancel, deadline)
            devices.append(CtapHidDevice(descriptor, opened))
        except Exception:  # noqa: S112 -- a device that fails to open is not ours to use
            continue
    return devices
