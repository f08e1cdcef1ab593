"""``shellgate install --hardened --user NAME`` and ``uninstall --hardened``, as root.

Every step is recorded in a root-only manifest before it is taken, so an install that
fails half-way, and a later uninstall, undo exactly what was done: files created are
removed, files changed are restored byte for byte, a broker user created is deleted.
"""

from __future__ import annotations

import base64
import json
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from shellgate.errors import ShellgateError
from shellgate.fsutil import write_atomic
from shellgate.hardened.layout import Layout
from shellgate.install import hardened_units as units
from shellgate.install import managed_agents as agents

NOLOGIN = "/usr/sbin/nologin"


class SetupError(ShellgateError):
    """A hardened install or uninstall cannot go on (exit 2)."""

    exit_code = 2


class Manifest:
    """What this install did, saved after every step (root-only, 0600)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.data: dict[str, Any] = {"created": [], "changed": {}, "broker_user": False,
                                     "units": False}

    def save(self) -> None:
        if self.layout.etc.is_dir():
            write_atomic(self.layout.manifest, json.dumps(self.data, indent=1), mode=0o600)

    def created(self, path: Path) -> None:
        self.data["created"].append(str(path))
        self.save()

    def changing(self, path: Path) -> None:
        """Remember ``path``'s bytes (None: absent) before its first change."""
        if str(path) in self.data["changed"]:
            return
        try:
            before: str | None = base64.b64encode(path.read_bytes()).decode()
            mode: int | None = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            before, mode = None, None
        self.data["changed"][str(path)] = {"before": before, "mode": mode}
        self.save()

    @classmethod
    def load(cls, layout: Layout) -> Manifest:
        manifest = cls(layout)
        try:
            manifest.data = json.loads(layout.manifest.read_text("utf-8"))
        except FileNotFoundError:
            raise SetupError(f"no hardened install found ({layout.manifest} is missing)") \
                from None
        return manifest


def _mkdir(manifest: Manifest, path: Path, uid: int = 0, gid: int = 0,
           mode: int = 0o755) -> None:
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o755)
        manifest.created(directory)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def _write(manifest: Manifest, path: Path, text: str, mode: int = 0o644, uid: int = 0,
           gid: int = 0) -> None:
    if not path.parent.is_dir():
        _mkdir(manifest, path.parent)
    if path.exists() or path.is_symlink():
        manifest.changing(path)
    else:
        manifest.created(path)
    write_atomic(path, text, mode=mode)
    os.chown(path, uid, gid)


def _require_root() -> None:
    if os.geteuid() != 0:
        raise SetupError("a hardened install needs root: run it with sudo")


def _systemd_running() -> bool:
    return os.path.isdir("/run/systemd/system") and shutil.which("systemctl") is not None


def _system_user(manifest: Manifest, name: str, home: Path, flag: str) -> pwd.struct_passwd:
    """The system user ``name`` (created, and noted under ``flag`` for uninstall, if new)."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    manifest.data[flag] = True
    manifest.save()
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                    "--home-dir", str(home), "--shell", NOLOGIN, name], check=True)
    return pwd.getpwnam(name)


def _in_venv(layout: Layout, code: str) -> str:
    """Run ``code`` with the new environment's interpreter (its own sys.path, isolated)."""
    done = subprocess.run([str(layout.python), "-I", "-c", code], check=True,
                          capture_output=True, text=True)
    return done.stdout


def install(layout: Layout, user: str, keys_file: Path | None = None,
            systemd: bool | None = None, agent_names: tuple[str, ...] = agents.ALL) \
        -> list[str]:
    """Install hardened mode for ``user``; returns lines saying what was done."""
    _require_root()
    try:
        guarded = pwd.getpwnam(user)
    except KeyError:
        raise SetupError(f"no such user: {user}") from None
    if guarded.pw_uid == 0:
        raise SetupError("the guarded user cannot be root")
    if layout.marker.exists() or layout.manifest.exists():
        raise SetupError(f"already installed ({layout.marker}); run "
                         "`shellgate uninstall --hardened` first")
    if layout.venv.exists():
        raise SetupError(f"{layout.venv} already exists; remove it first")
    manifest = Manifest(layout)
    _mkdir(manifest, layout.etc)
    manifest.save()
    os.chmod(layout.manifest, 0o600)
    try:
        return _install(manifest, layout, guarded, keys_file, systemd, agent_names)
    except BaseException:
        uninstall(layout, quiet=True)
        raise


def _install(manifest: Manifest, layout: Layout, guarded: pwd.struct_passwd,
             keys_file: Path | None, systemd: bool | None,
             agent_names: tuple[str, ...]) -> list[str]:
    from shellgate.install import hardened_venv as venv

    lines: list[str] = []
    broker = _system_user(manifest, layout.broker_user, layout.state, "broker_user")
    lines.append(f"broker user: {layout.broker_user} (uid {broker.pw_uid})")
    runner = _system_user(manifest, layout.runner_user, layout.runner_home, "runner_user")
    if runner.pw_uid in (0, broker.pw_uid, guarded.pw_uid):
        raise SetupError(f"the runner's user {layout.runner_user} must be a user of its own")
    _mkdir(manifest, layout.runner_home, runner.pw_uid, runner.pw_gid, 0o700)
    lines.append(f"runner user (runs commands that receive vault secrets): "
                 f"{layout.runner_user} (uid {runner.pw_uid})")
    _mkdir(manifest, layout.etc / "patterns")
    _write(manifest, layout.etc / "config.toml", "approval_timeout = 60\n")
    _write(manifest, layout.etc / "keys.json", _keys_text(keys_file))
    _mkdir(manifest, layout.state, broker.pw_uid, broker.pw_gid)
    _write(manifest, layout.state / "audit.jsonl", "", 0o644, broker.pw_uid, broker.pw_gid)
    _mkdir(manifest, layout.prefix)
    manifest.created(layout.venv)
    scripts = venv.create(layout.venv, layout.etc, guarded.pw_uid)
    lines.append(f"code: {layout.venv} (root-owned, isolated)")
    _write(manifest, layout.marker, units.marker(layout, guarded.pw_name, guarded.pw_uid))
    manifest.created(layout.etc / "cache")
    _in_venv(layout, f"from shellgate.config import Config; Config.at({str(layout.etc)!r})"
                     ".rules()")
    venv.lock_down(layout.etc / "cache")
    _mkdir(manifest, layout.shims)
    manifest.created(layout.shims)
    count = _in_venv(layout, _SHIMS_CODE.format(etc=str(layout.etc), shims=str(layout.shims),
                                                python=str(layout.python)))
    venv.lock_down(layout.shims)
    lines.append(f"shims: {count.strip()} in {layout.shims} (first on {guarded.pw_name}'s "
                 f"PATH via {layout.profile_d / 'shellgate.sh'})")
    _write(manifest, layout.profile_d / "shellgate.sh",
           units.profile_snippet(layout, guarded.pw_name))
    _mkdir(manifest, layout.bin)
    for name, target in (("shellgate", scripts["shellgate"]),
                         ("shellgate-sh", str(layout.shims / "shellgate-sh"))):
        _link(manifest, layout.bin / name, target)
    _write(manifest, layout.udev / "70-shellgate-broker.rules", units.udev_rule(layout))
    for agent in agent_names:
        path, text = agents.managed_entry(layout, agent, _hook_command(layout, agent))
        _mkdir(manifest, path.parent)
        if path.exists():
            manifest.changing(path)
        else:
            manifest.created(path)
        write_atomic(path, text, mode=0o644)
        os.chown(path, 0, 0)
        lines.append(f"{agent}: hook in {path} (machine-wide; the user cannot remove it)")
    lines.extend(_start(manifest, layout, systemd))
    return lines


_SHIMS_CODE = """
from pathlib import Path
from shellgate.config import Config
from shellgate.install.shims import default_tools, shim_text
etc, shims, python = Path({etc!r}), Path({shims!r}), {python!r}
tools = default_tools(Config.at(str(etc)).rules())
for tool in [*tools, None]:
    path = shims / (tool or "shellgate-sh")
    path.write_bytes(shim_text(tool, python, etc, shims))
    path.chmod(0o755)
print(len(tools))
"""


def _hook_command(layout: Layout, agent: str) -> str:
    code = ("from pathlib import Path; from shellgate.install.agent_entries import hook_command; "
            f"print(hook_command({str(layout.python)!r}, Path({str(layout.etc)!r}), "
            f"{agent!r}))")
    return _in_venv(layout, code).strip()


def _link(manifest: Manifest, path: Path, target: str) -> None:
    if path.is_symlink() and os.readlink(path) == target:
        return
    if path.exists() or path.is_symlink():
        raise SetupError(f"{path} exists and is not shellgate's; move it away first")
    manifest.created(path)
    path.symlink_to(target)


def _keys_text(keys_file: Path | None) -> str:
    """The key store: hardware keys from ``keys_file`` (software keys refused)."""
    from shellgate.approve.keystore import KeyStore

    if keys_file is None:
        return json.dumps({"version": 1, "credentials": []}, indent=2) + "\n"
    credentials = KeyStore(keys_file).load()
    soft = [c.short_id for c in credentials if c.kind == "soft"]
    if soft:
        raise SetupError(f"{keys_file} holds software keys ({', '.join(soft)}); hardened "
                         "mode refuses them — enrol hardware keys")
    return keys_file.read_text("utf-8")


def _start(manifest: Manifest, layout: Layout, systemd: bool | None) -> list[str]:
    use_systemd = _systemd_running() if systemd is None else systemd
    if not use_systemd:
        return ["broker: no systemd here; as root run `shellgate broker` (foreground) and "
                "keep it running"]
    _write(manifest, layout.systemd / units.SOCKET, units.socket_unit(layout))
    _write(manifest, layout.systemd / units.SERVICE, units.service_unit(layout))
    manifest.data["units"] = True
    manifest.save()
    subprocess.run(["systemctl", "daemon-reload"], check=True)
    subprocess.run(["systemctl", "enable", "--now", units.SOCKET], check=True)
    return [f"broker: {units.SOCKET} enabled (systemctl status shellgate-broker)"]


def uninstall(layout: Layout, quiet: bool = False) -> list[str]:
    """Undo a hardened install from its manifest; the audit trail is kept aside."""
    _require_root()
    manifest = Manifest.load(layout)
    lines: list[str] = []
    if manifest.data.get("units") and _systemd_running():
        subprocess.run(["systemctl", "disable", "--now", units.SOCKET, units.SERVICE],
                       check=False)
    audit = layout.state / "audit.jsonl"
    kept_audit = audit.read_bytes() if audit.is_file() else b""
    for path_text, entry in manifest.data.get("changed", {}).items():
        path = Path(path_text)
        if entry["before"] is None:
            path.unlink(missing_ok=True)
        else:
            write_atomic(path, base64.b64decode(entry["before"]), mode=entry["mode"])
    for path_text in reversed(manifest.data.get("created", [])):
        path = Path(path_text)
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
    if layout.run.is_dir():  # the broker's socket directory, made when it started
        shutil.rmtree(layout.run, ignore_errors=True)
    if manifest.data.get("units") and _systemd_running():
        subprocess.run(["systemctl", "daemon-reload"], check=False)
    if kept_audit:  # the evidence outlives the install
        kept = layout.state.parent / f"shellgate-audit-{int(time.time())}.jsonl"
        kept.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(kept, kept_audit, mode=0o600)
        lines.append(f"audit trail kept at {kept}")
    for flag, name in (("broker_user", layout.broker_user),
                       ("runner_user", layout.runner_user)):
        if manifest.data.get(flag):
            subprocess.run(["userdel", name], check=False, capture_output=quiet)
            lines.append(f"removed the system user {name}")
    layout.manifest.unlink(missing_ok=True)
    with_etc = layout.etc
    if with_etc.is_dir() and not any(with_etc.iterdir()) \
            and str(with_etc) in manifest.data.get("created", []):
        with_etc.rmdir()
    lines.append("hardened mode removed")
    if not quiet:
        print("\n".join(lines), file=sys.stderr)
    return lines
