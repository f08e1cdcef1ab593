"""Run a command with virtual FIDO keys plugged in as ``/dev/hidraw0``, ``/dev/hidraw1``…

    python -m tests.virtual_hid.run --key KEYFILE [--key KEYFILE…] [--hang-after N] -- CMD…

As root only. The process enters a private mount namespace, lays a fresh tmpfs over
``/dev`` there (every real entry bound back in, plus one FUSE-served regular file per
key), serves the keys from threads, runs CMD, and exits with CMD's status. Nothing is
created on the real ``/dev``: the tmpfs is built in a temporary directory and moved onto
``/dev`` inside the namespace, and only the namespace ever sees it.

Exit status 77 (and a line on stderr) when this machine cannot do it.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from tests.virtual_hid.fuse import FuseServer
from tests.virtual_hid.hidraw import VirtualHidraw, mount_options

CLONE_NEWNS = 0x00020000
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 0x1000, 0x2000, 0x4000, 1 << 18
MNT_DETACH = 2
CANNOT = 77
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    """mount(2), raising OSError."""
    _check(_libc.mount(source.encode(), target.encode(),
                       fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                       data.encode() if data else None), f"mount {target}")


def why_not() -> str:
    """Empty when this process can build virtual keys, else the reason it cannot."""
    if sys.platform != "linux":
        return "virtual hidraw keys need Linux"
    if os.geteuid() != 0:
        return "virtual hidraw keys need root (a private mount namespace and a FUSE mount)"
    if not os.path.exists("/dev/fuse"):
        return "virtual hidraw keys need /dev/fuse"
    return ""


def private_dev(count: int) -> list[str]:
    """Enter a private mount namespace whose /dev also holds ``count`` empty hidraw files."""
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    mount("none", "/", None, MS_REC | MS_PRIVATE)
    staging = tempfile.mkdtemp(prefix="shellgate-vhid-")
    mount("tmpfs", staging, "tmpfs", 0, "mode=755")
    for name in sorted(os.listdir("/dev")):
        source, target = f"/dev/{name}", f"{staging}/{name}"
        info = os.lstat(source)
        if stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(source), target)
            continue
        if stat.S_ISDIR(info.st_mode):
            os.mkdir(target)
        else:
            Path(target).touch()
        mount(source, target, None, MS_BIND | MS_REC)
    names = []
    for index in range(count):
        name = f"hidraw{index}"
        while os.path.lexists(f"{staging}/{name}"):  # never shadow a real one
            index += 100
            name = f"hidraw{index}"
        Path(f"{staging}/{name}").touch()
        names.append(name)
    mount(staging, "/dev", None, MS_MOVE)
    os.rmdir(staging)  # empty again on the real file system
    return [f"/dev/{name}" for name in names]


def plug(path: str, device: VirtualHidraw) -> FuseServer:
    """Mount a FUSE file system serving ``device`` on ``path`` and serve it from a thread."""
    fd = os.open("/dev/fuse", os.O_RDWR)
    mount("shellgate-vhid", path, "fuse", 0, mount_options(fd))
    server = FuseServer(fd, device)
    device.server = server
    threading.Thread(target=server.serve, daemon=True, name=f"fuse {path}").start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--key", action="append", default=[], help="software key file")
    parser.add_argument("--hang-after", type=int, action="append", default=[],
                        help="per key: answer this many CBOR/MSG requests, then go silent")
    parser.add_argument("--delay", type=float, action="append", default=[],
                        help="per key: seconds before each CBOR/MSG request is handled")
    parser.add_argument("--untouched-make", type=int, action="append", default=[],
                        metavar="INDEX", help="the key at INDEX (0-based, in --key order) is "
                        "touched for approvals but not for makeCredential (enrolment)")
    parser.add_argument("--log", help="write each key's CTAPHID and CTAP2 log here (JSON)")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    reason = why_not()
    if reason:
        print(f"virtual_hid: {reason}", file=sys.stderr)
        return CANNOT
    from shellgate.approve.softkey.authenticator import SoftCtapDevice

    devices = []
    for index, key in enumerate(args.key):
        hang = args.hang_after[index] if index < len(args.hang_after) else -1
        authenticator = SoftCtapDevice.from_file(Path(key)).authenticator
        delay = args.delay[index] if index < len(args.delay) else 0.0
        devices.append(VirtualHidraw(authenticator, serial=f"vhid{index}",
                                     hang_after=None if hang < 0 else hang,
                                     answer_delay=delay,
                                     touch_make=index not in args.untouched_make))
    try:
        paths = private_dev(len(devices))
    except OSError as exc:
        print(f"virtual_hid: cannot build a private /dev here: {exc}", file=sys.stderr)
        return CANNOT
    try:
        for path, device in zip(paths, devices, strict=True):
            plug(path, device)
    except OSError as exc:
        print(f"virtual_hid: cannot serve a FUSE file here: {exc}", file=sys.stderr)
        return CANNOT
    try:
        return subprocess.call(args.command)
    finally:
        for path in paths:
            _libc.umount2(path.encode(), MNT_DETACH)
        if args.log:
            logs = [{"path": path, "hid": device.log,
                     "ctap": [[name, {k: v for k, v in details.items()
                                      if isinstance(v, (str, int, bool))}]
                              for name, details in device.auth.log]}
                    for path, device in zip(paths, devices, strict=True)]
            Path(args.log).write_text(json.dumps(logs), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
