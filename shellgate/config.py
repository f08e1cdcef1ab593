"""Where configuration comes from: ``--config DIR`` or the user's account, never the
environment (an agent can set variables; it cannot change the password database)."""

from __future__ import annotations

import os
import sys

from shellgate.errors import ConfigError
from shellgate.rules.index import SETTINGS_NAME
from shellgate.values import record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from shellgate.rules.ruleset import RuleSet


def _read_settings(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    data = _cached_settings(path, text)
    fresh = data is None
    if data is None:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    for key, value in data.items():
        types = _SETTINGS.get(key)
        if types is None:
            raise ConfigError(f"{path}: unknown setting {key!r} (known: {', '.join(_SETTINGS)})")
        if not isinstance(value, types) or (types != (bool,) and isinstance(value, bool)):
            raise ConfigError(f"{path}: {key} has the wrong type ({type(value).__name__})")
    if fresh:
        _cache_settings(path, text, data)
    return dict(data)


_SETTINGS_CACHE = ("cache", "settings.marshal")
"""Where the settings read from ``config.toml`` are kept with the exact text they were
read from: ``tomllib`` (with ``re``, ``datetime`` and ``string``) costs a call ~25 % of the
interpreter start, for a file that rarely changes. The cache is used only when the text
is identical, and it sits in the configuration directory, as trusted as ``config.toml``
itself (like the compiled rules beside it)."""


def _cached_settings(path: str, text: str) -> dict[str, Any] | None:
    import marshal

    cache = os.path.join(os.path.dirname(path), *_SETTINGS_CACHE)
    try:
        with open(cache, "rb") as handle:
            # marshal builds data only (it runs no code), like the rules cache beside it
            cached = marshal.loads(handle.read())  # noqa: S302
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not (isinstance(cached, tuple) and len(cached) == 2 and cached[0] == text
            and isinstance(cached[1], dict)):
        return None
    return cached[1]


def _cache_settings(path: str, text: str, data: dict[str, Any]) -> None:
    """Best effort: a cache that cannot be written only costs the next call time. Only
    into a cache directory that exists (made when rules are compiled): reading the
    settings never creates one (``install --dry-run`` writes nothing)."""
    import marshal

    directory = os.path.join(os.path.dirname(path), _SETTINGS_CACHE[0])
    tmp = os.path.join(directory, f".{_SETTINGS_CACHE[1]}.{os.getpid()}")
    try:
        blob = marshal.dumps((text, data))
        with open(tmp, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, os.path.join(directory, _SETTINGS_CACHE[1]))
    except (OSError, ValueError):
        return


def config_directory(directory: str | Path | None) -> str:
    """``--config DIR`` made absolute, else ``~/.config/shellgate`` of the real user."""
    from shellgate.rules.index import config_dir

    try:
        return config_dir(str(directory) if directory else None)
    except KeyError as exc:
        raise ConfigError("cannot find this user's home directory in the password database") \
            from exc


DEFAULT_APPROVAL_TIMEOUT = 60.0
_SETTINGS = {"approval_timeout": (int, float), "hardened": (bool,),
             "allow_software_keys": (bool,), "strict": (bool,)}


@record
class Config:
    """Resolved configuration for one shellgate invocation. ``root`` is the configuration
    directory as a string (deciding on a command needs no ``pathlib``, ~3 ms to import);
    :attr:`directory` is the same as a ``Path``."""

    root: str
    approval_timeout: float = DEFAULT_APPROVAL_TIMEOUT
    hardened: bool = False
    state: str = ""
    """Hardened mode: the broker's state directory (audit trail); empty in personal mode."""
    allow_software_keys: bool = False
    """``allow_software_keys = true`` in config.toml (``enroll --soft`` writes it)."""
    strict: bool = False
    """Gate the families docs/residual-risk.md accepts (only ever tightens)."""

    @classmethod
    def at(cls, directory: str | Path | None) -> Config:
        """Read ``config.toml`` in the directory (absent: defaults; broken: an error).

        Where hardened mode is installed (root-owned marker), the configuration is root's
        policy directory whatever ``directory`` says: another one is refused."""
        from shellgate.hardened.state import marker_path
        from shellgate.protect import places as protected

        marker = marker_path()
        if marker is not None:
            config = cls._hardened(marker, directory)
            protected.register(config.root)
            return config
        base = config_directory(directory)
        protected.register(base)
        settings = _read_settings(os.path.join(base, SETTINGS_NAME))
        timeout = float(settings.get("approval_timeout", DEFAULT_APPROVAL_TIMEOUT))
        if not 1 <= timeout <= 600:
            raise ConfigError("config.toml: approval_timeout must be between 1 and 600 seconds")
        return cls(base, timeout, bool(settings.get("hardened", False)),
                   allow_software_keys=settings.get("allow_software_keys") is True,
                   strict=bool(settings.get("strict", False)))

    @classmethod
    def _hardened(cls, marker: str, directory: str | Path | None) -> Config:
        from shellgate.hardened.state import load

        state = load(marker)
        base = str(state.layout.etc)
        if directory is not None and os.path.realpath(str(directory)) != base:
            raise ConfigError(f"hardened mode is installed: the configuration is {base}; "
                              f"--config {directory} is not accepted")
        settings = _read_settings(os.path.join(base, SETTINGS_NAME))
        timeout = float(settings.get("approval_timeout", DEFAULT_APPROVAL_TIMEOUT))
        if not 1 <= timeout <= 600:
            raise ConfigError("config.toml: approval_timeout must be between 1 and 600 seconds")
        return cls(base, timeout, True, str(state.layout.state),
                   strict=bool(settings.get("strict", False)))

    @property
    def directory(self) -> Path:
        from pathlib import Path

        return Path(self.root)

    @property
    def accepts_software_keys(self) -> bool:
        """Software keys approve only where ``config.toml`` says ``allow_software_keys =
        true``, and never in hardened mode (whose broker has its own rule)."""
        return self.allow_software_keys and not self.hardened and not self.state

    @property
    def settings_path(self) -> Path:
        return self.directory / SETTINGS_NAME

    @property
    def keys_path(self) -> Path:
        return self.directory / "keys.json"

    @property
    def audit_path(self) -> Path:
        from pathlib import Path

        return Path(self.state or self.root) / "audit.jsonl"

    @property
    def patterns_dir(self) -> Path:
        return self.directory / "patterns"

    def rules(self, write_cache: bool = True, exceptions: str = "here") -> RuleSet:
        """The policy in force here: shipped packs, the user's pattern files, and the
        project files above the working directory (``shellgate.rules.policy``); a broken
        file raises RuleFileError. When the user has scoped exceptions, the rule set
        carries the facts they are checked against (``shellgate.rules.where``):

        - ``here``: the command runs in a fresh process from this one's working directory
          and environment (shims, ``run``, ``shellgate-sh -c``, ``check``);
        - ``no-tilde``: as ``here``, but ``~`` is never trusted (an agent hook: the agent's
          shell session may have set its own HOME);
        - ``off``: no exception applies (the command runs in a process whose directory and
          variables shellgate does not follow line by line: the interactive shell, a
          database client session, the broker deciding for another process)."""
        from shellgate.engine import engine_only_tools
        from shellgate.rules.cache import load_cached
        from shellgate.rules.index import layer_files

        try:
            cwd = os.getcwd()
        except OSError as exc:
            raise ConfigError(f"cannot find the working directory: {exc.strerror}") from exc
        rules = load_cached(layer_files(self.root, cwd), self.root, engine_only_tools,
                            self.accepted, write_cache)
        if rules.exceptions and exceptions != "off":
            from shellgate.rules.where import edge_where

            rules.where = edge_where(trust_tilde=exceptions == "here")
        rules.strict = self.strict
        return rules

    def accepted(self) -> dict[str, str]:
        """User pattern file → the digest of its newest verified acceptance."""
        from shellgate.approve.acceptances import accepted_digests

        return accepted_digests(self.root)
