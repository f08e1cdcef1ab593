"""The small text files a hardened install writes besides the code: systemd units, the
udev rule that gives the broker (and only it) the FIDO devices, the PATH snippet and the
marker."""

from __future__ import annotations

import json

from shellgate.hardened.layout import Layout

SERVICE = "shellgate-broker.service"
SOCKET = "shellgate-broker.socket"


def socket_unit(layout: Layout) -> str:
    """Socket activation: systemd creates the socket as the broker's, mode 0666 (who may
    ask is checked per connection from the kernel's peer credentials)."""
    return f"""[Unit]
Description=shellgate broker socket (hardened mode)

[Socket]
ListenStream={layout.socket}
SocketUser={layout.broker_user}
SocketGroup={layout.broker_user}
SocketMode=0666
DirectoryMode=0755

[Install]
WantedBy=sockets.target
"""


def service_unit(layout: Layout) -> str:
    """The broker: started by root only to fork the runner as its own user, then it drops
    to the broker's user itself (``broker.server.prepare``); it needs the FIDO hidraw
    devices (udev group) and writes only its state directory (the runner its home)."""
    return f"""[Unit]
Description=shellgate broker: decides, asks the security key, records (hardened mode)
Requires={SOCKET}

[Service]
Type=simple
ExecStart={layout.venv}/bin/shellgate broker
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={layout.state} {layout.runner_home}
PrivateTmp=yes
DeviceAllow=char-hidraw rw
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def udev_rule(layout: Layout) -> str:
    """FIDO security keys (systemd's 60-fido-id.rules sets ID_SECURITY_TOKEN) readable and
    writable by the broker's group, so the broker can talk to the key."""
    return ("# shellgate hardened mode: the broker talks to FIDO security keys.\n"
            'SUBSYSTEM=="hidraw", ENV{ID_SECURITY_TOKEN}=="1", '
            f'GROUP="{layout.broker_user}", MODE="0660"\n')


def profile_snippet(layout: Layout, user: str) -> str:
    """Login shells of the guarded user get the shims first on PATH."""
    return (f'# shellgate hardened mode (written by `shellgate install --hardened`)\n'
            f'if [ "$(id -un 2>/dev/null)" = "{user}" ]; then\n'
            f'  case ":$PATH:" in *":{layout.shims}:"*) ;; '
            f'*) PATH="{layout.shims}:$PATH"; export PATH ;; esac\n'
            'fi\n')


def marker(layout: Layout, user: str, uid: int) -> str:
    """``hardened.toml``: who is guarded, and every path of this install."""
    lines = ["# shellgate hardened mode. Root-owned; `shellgate uninstall --hardened` removes it.",
             "version = 1", f"user = {json.dumps(user)}", f"uid = {uid}", "", "[layout]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in layout.as_dict().items()]
    return "\n".join(lines) + "\n"
