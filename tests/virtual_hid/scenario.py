"""Run inside ``tests.virtual_hid.run``: python-fido2's own HID transport against
``/dev/hidraw0``, and a JSON report of what it saw on stdout.

    python -m tests.virtual_hid.scenario
"""

from __future__ import annotations

import json
import os
import threading

from fido2.ctap import STATUS, CtapError
from fido2.ctap2.base import Ctap2
from fido2.hid import CtapHidDevice, list_descriptors

RP = {"id": "shellgate:local", "name": "shellgate"}


def main() -> None:
    report: dict[str, object] = {}
    descriptors = list_descriptors()
    report["descriptors"] = [[d.path, d.vid, d.pid, d.report_size_in, d.report_size_out,
                              d.product_name, d.serial_number] for d in descriptors]
    device = next(iter(CtapHidDevice.list_devices()))
    report["capabilities"] = device.capabilities
    message = os.urandom(300)  # several continuation packets each way
    report["ping"] = device.ping(message) == message
    ctap2 = Ctap2(device)
    report["versions"] = ctap2.info.versions
    # a touch that never comes: wait for UPNEEDED, then cancel through CTAPHID CANCEL
    seen: list[int] = []
    cancel = threading.Event()

    def keepalive(status: int) -> None:
        seen.append(int(status))
        if status == STATUS.UPNEEDED:
            cancel.set()

    try:
        ctap2.make_credential(os.urandom(32), RP, {"id": b"u", "name": "u"},
                              [{"type": "public-key", "alg": -7}], event=cancel,
                              on_keepalive=keepalive)
        report["cancel"] = "not cancelled"
    except CtapError as exc:
        report["cancel"] = exc.code.name
    report["keepalives"] = seen
    device.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
