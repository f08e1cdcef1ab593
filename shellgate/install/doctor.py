"""``shellgate doctor``: what is set up, what is missing, what is weaker than it looks."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from shellgate.config import Config
from shellgate.errors import ShellgateError


def report(config: Config, home: Path | None = None) -> tuple[list[str], int]:
    """Lines to print and how many problems were found; ``home`` is the user's home
    directory (the agents' settings are read from it)."""
    lines = [f"config directory: {config.directory}",
             f"mode: {'hardened' if config.hardened else 'personal'}"]
    problems = 0
    if not config.hardened:
        lines.append("  note: personal mode stops a confused agent, not one that deliberately "
                     "edits shellgate's own files (use hardened mode for that)")
    try:
        rules = config.rules()
        lines.append(f"rules: {len(rules.rules)} rules load cleanly")
        lines.extend(_policy(config))
    except ShellgateError as exc:
        problems += 1
        lines.append(f"PROBLEM rules: {exc.message}")
    lines.extend(_keys(config))
    if config.state:
        lines.extend(_hardened(config))
    lines.extend(_install(config))
    lines.extend(_vault(config))
    if home is not None:
        lines.extend(_agents(config, home))
    problems += sum(1 for line in lines if line.startswith(("PROBLEM", "WARNING")))
    lines.extend(_devices())
    return lines, problems


def _policy(config: Config) -> list[str]:
    """The user's and the project's pattern files: what they change, and every change that
    is set aside (not accepted, edited since) or ignored (a project file that weakens)."""
    from shellgate.rules.index import layer_files
    from shellgate.rules.policy import compile_policy

    policy = compile_policy(layer_files(config.root, os.getcwd()), config.accepted)
    lines = [f"policy: {info.layer} file {info.path}"
             + ("" if info.layer == "project" else f" ({info.acceptance})")
             for info in policy.files]
    applied = [c for c in policy.changes if c.weakens and c.state == "applied"]
    if applied:
        lines.append(f"  note: {len(applied)} accepted change(s) weaken the shipped rules "
                     "(`shellgate rules list`)")
    lines += [f"WARNING policy: {warning}" for warning in policy.warnings()]
    return lines


def _install(config: Config) -> list[str]:
    """Shims, PATH blocks and shells (``shellgate.install.check``); a crash there is a problem."""
    try:
        from shellgate.install.check import install_report

        return install_report(config)
    except Exception as exc:  # doctor reports; it never hides a failure as "fine"
        return [f"PROBLEM install check failed: {type(exc).__name__}: {exc}"]


def _hardened(config: Config) -> list[str]:
    """Marker, broker and the agents' managed hooks (``install.hardened_doctor``)."""
    try:
        from shellgate.install.hardened_doctor import hardened_report

        return hardened_report(config)
    except Exception as exc:  # doctor reports; it never hides a failure as "fine"
        return [f"PROBLEM hardened check failed: {type(exc).__name__}: {exc}"]


def _vault(config: Config) -> list[str]:
    """Plaintext credentials the agent could read, and vault policies wider than one tool."""
    try:
        from shellgate.vault.doctor import vault_report

        return vault_report(config)
    except Exception as exc:  # doctor reports; it never hides a failure as "fine"
        return [f"PROBLEM vault check failed: {type(exc).__name__}"]


def _agents(config: Config, home: Path) -> list[str]:
    """Agent hooks (``shellgate.install.agent_check``); a crash there is a problem."""
    try:
        from shellgate.install.agent_check import report as agents_report

        return agents_report(config, home)
    except Exception as exc:  # doctor reports; it never hides a failure as "fine"
        return [f"PROBLEM agent hook check failed: {type(exc).__name__}: {exc}"]


def _keys(config: Config) -> list[str]:
    from shellgate.approve.keystore import KeyStore

    try:
        credentials = KeyStore(config.keys_path).load()
    except ShellgateError as exc:
        return [f"PROBLEM keys: {exc.message}"]
    if not credentials:
        return ["PROBLEM keys: none enrolled; gated commands cannot be approved "
                "(run `shellgate enroll` with a key plugged in)"]
    lines = [f"keys: {len(credentials)} enrolled"]
    for cred in credentials:
        if cred.kind == "soft":
            lines.append(f"WARNING key {cred.short_id} is a SOFTWARE key ({cred.soft_file}): "
                         "anything that can read that file can approve commands; tests and "
                         "demos only")
    if len(credentials) == 1:
        lines.append("  note: enrol a second (backup) key; a lost or reset key cannot approve")
    return lines


def _devices() -> list[str]:
    from shellgate.approve.fido import hardware_devices

    found = hardware_devices()
    nodes = glob.glob("/dev/hidraw*")
    unreadable = [n for n in nodes if not os.access(n, os.R_OK | os.W_OK)]
    lines = [f"hardware keys plugged in and reachable: {len(found)}"]
    for device in found:
        device.close()
    if not found and unreadable:
        lines.append(f"  {len(unreadable)} HID device(s) exist but this user cannot open them: "
                     "if one is your key, add a udev rule (TAG+=\"uaccess\" or a group with "
                     "MODE=\"0660\") for it and re-plug the key")
    return lines
