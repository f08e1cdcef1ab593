"""Where configuration comes from: ``--config DIR`` or the user's account, never the
environment (an agent can set variables; it cannot change the password database)."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from shellgate.errors import ConfigError
from shellgate.rules.loader import load_rules, pattern_files
from shellgate.rules.model import RuleSet


def default_config_dir() -> Path:
    """``~/.config/shellgate`` of the real user, with ~ from the password database."""
    try:
        home = pwd.getpwuid(os.getuid()).pw_dir
    except KeyError as exc:
        raise ConfigError("cannot find this user's home directory in the password database") \
            from exc
    return Path(home) / ".config" / "shellgate"


@dataclass(frozen=True)
class Config:
    """Resolved configuration for one shellgate invocation."""

    directory: Path

    @classmethod
    def at(cls, directory: str | Path | None) -> Config:
        return cls(Path(directory).resolve() if directory else default_config_dir())

    @property
    def patterns_dir(self) -> Path:
        return self.directory / "patterns"

    def rules(self) -> RuleSet:
        """Shipped rules plus the user's pattern files; a broken file raises RuleFileError."""
        return load_rules(pattern_files(self.patterns_dir))
