"""Every path a hardened install uses. The defaults are the real system locations; tests
build a :class:`Layout` under a temporary directory (:meth:`Layout.under`) so that
installing as root never touches the machine's ``/etc`` or ``/opt``."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from shellgate.hardened import DEFAULT_ETC, MARKER_NAME


@dataclass(frozen=True)
class Layout:
    """Where a hardened install puts things. All absolute paths."""

    etc: Path = Path(DEFAULT_ETC)
    """Policy: hardened.toml, config.toml, patterns/, keys.json — root-owned, 0755/0644."""
    prefix: Path = Path("/opt/shellgate")
    """Code: venv/ (shellgate and its dependencies) and shims/ — root-owned."""
    state: Path = Path("/var/lib/shellgate")
    """The broker's: audit.jsonl, counters.json, nonces, tickets/, cache/."""
    run: Path = Path("/run/shellgate")
    """The broker's socket directory."""
    bin: Path = Path("/usr/local/bin")
    """Where ``shellgate`` and ``shellgate-sh`` are linked, on every user's PATH."""
    profile_d: Path = Path("/etc/profile.d")
    """A login-shell snippet putting the shims first on PATH."""
    systemd: Path = Path("/etc/systemd/system")
    udev: Path = Path("/etc/udev/rules.d")
    claude_managed: Path = Path("/etc/claude-code/managed-settings.json")
    gemini_system: Path = Path("/etc/gemini-cli/settings.json")
    cursor_enterprise: Path = Path("/etc/cursor/hooks.json")
    windsurf_system: Path = Path("/etc/windsurf/hooks.json")
    codex_managed: Path = Path("/etc/codex/requirements.toml")
    broker_user: str = "shellgate-broker"
    runner_user: str = "shellgate-run"
    """Runs the commands that receive vault secrets (neither the guarded user nor the
    broker: ``broker.runner``)."""
    runner_home: Path = Path("/var/lib/shellgate-run")
    """The runner's home (its own, 0700): HOME for commands holding secrets."""

    @classmethod
    def under(cls, root: Path, broker_user: str = "shellgate-broker",
              runner_user: str = "shellgate-run") -> Layout:
        """The default layout with every path moved below ``root`` (tests, staging)."""
        base = cls()
        moved = {f.name: root / str(getattr(base, f.name)).lstrip("/")
                 for f in fields(cls) if isinstance(getattr(base, f.name), Path)}
        return replace(base, broker_user=broker_user, runner_user=runner_user, **moved)

    @property
    def venv(self) -> Path:
        return self.prefix / "venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def shims(self) -> Path:
        return self.prefix / "shims"

    @property
    def marker(self) -> Path:
        return self.etc / MARKER_NAME

    @property
    def socket(self) -> Path:
        return self.run / "broker.sock"

    @property
    def manifest(self) -> Path:
        """What the install created or changed, for an exact uninstall (root-only)."""
        return self.etc / "install-manifest.json"

    def as_dict(self) -> dict[str, str]:
        """Every path as a string (written into the marker)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Layout:
        """The inverse of :meth:`as_dict`; unknown or missing keys keep their defaults."""
        values: dict[str, object] = {}
        for f in fields(cls):
            value = data.get(f.name)
            if isinstance(value, str) and value:
                user = f.name in ("broker_user", "runner_user")
                if not user and not os.path.isabs(value):
                    raise ValueError(f"{f.name} must be an absolute path, got {value!r}")
                values[f.name] = value if user else Path(value)
        return cls(**values)  # type: ignore[arg-type]
