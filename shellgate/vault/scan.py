"""``shellgate secrets scan``: plaintext credentials an agent could read.

Looks at the environment shellgate sees, ``.env`` and config files under the given paths
(the workspace), shell history and the common CLI credential files in the home directory.
What counts as a credential is data (``providers.toml``, with examples run as tests).
A finding names the provider and ``file:line`` and shows at most the first four
characters of a value; the value itself stays in the finding for ``secrets import`` and
is never part of its text, repr or JSON.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from shellgate.errors import ConfigError

MAX_FILE_BYTES = 1 << 20
MAX_FILES = 5000
MAX_ENTRIES = 200_000
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".tox",
                       ".mypy_cache", ".ruff_cache", ".pytest_cache", "dist", "build",
                       "target", ".next", ".cache", "site-packages", "dist-packages",
                       ".pyenv", ".rustup", ".cargo", ".npm", ".nvm", ".gradle", ".m2"})
CONFIG_NAMES = frozenset({".env", ".envrc", ".npmrc", ".pypirc", ".netrc", ".git-credentials",
                          "credentials", "hosts.yml", "auth.json", "config.json"})
CONFIG_SUFFIXES = (".env", ".json", ".yml", ".yaml", ".toml", ".ini", ".cfg", ".conf",
                   ".properties", ".tfvars", ".sh", ".bash", ".zsh")
GENERIC = "generic credential"
"""The provider of names like *_TOKEN (providers.toml)."""
PLACEHOLDER = "shellgate-vault:"
"""What ``secrets import`` leaves where a value was."""

_SHELL_PAIR = re.compile(r"""(?:^|[\s;&|(])(?:export\s+|setenv\s+)?([A-Za-z_][A-Za-z0-9_]*)"""
                         r"""=("[^"]*"|'[^']*'|[^\s;&|)'"]+)""")
_JSON_PAIR = re.compile(r'"([A-Za-z_][A-Za-z0-9_.-]*)"\s*:\s*"((?:[^"\\]|\\.)*)"')
_KEY_VALUE = re.compile(r"""^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*[:=]\s*("[^"]*"|'[^']*'|[^\s#;]+)""")
_NETRC = re.compile(r"\b(password|login)\s+(\S+)")
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@\s]*:([^@/\s]+)@", re.IGNORECASE)
_TRIVIAL = frozenset({"changeme", "change-me", "null", "none", "true", "false", "secret",
                      "password", "token", "example", "placeholder", "redacted", "todo"})


@dataclass(frozen=True)
class Finding:
    """One plaintext credential: where, which provider, a masked hint; never the value."""

    provider: str
    path: str
    line: int
    key: str
    shown: str
    rule: str
    value: str = field(default="", repr=False, compare=False)

    def where(self) -> str:
        """``file:line``, or ``environment:NAME``."""
        return f"environment:{self.key}" if self.path == "environment" else \
            f"{self.path}:{self.line}"

    def text(self) -> str:
        """One line for the human."""
        return f"{self.where()}  {self.provider}  {self.key}  {self.shown}"

    def to_json(self) -> dict[str, Any]:
        """Everything but the value."""
        return {"provider": self.provider, "path": self.path, "line": self.line,
                "key": self.key, "shown": self.shown, "rule": self.rule}


@dataclass(frozen=True)
class Catalog:
    """providers.toml, compiled."""

    formats: tuple[tuple[str, str, re.Pattern[str]], ...]
    names: dict[str, str]
    suffixes: tuple[tuple[str, str], ...]
    url_names: frozenset[str]
    files: tuple[dict[str, Any], ...]
    raw: dict[str, Any]


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """Load and check ``providers.toml``; a broken file is an error, not fewer checks."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    text = files("shellgate.vault").joinpath("providers.toml").read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
        formats = tuple((str(f["id"]), str(f["provider"]), re.compile(str(f["regex"])))
                        for f in data["format"])
        names: dict[str, str] = {}
        suffixes: list[tuple[str, str]] = []
        url_names: set[str] = set()
        for item in data["name"]:
            for name in item["names"]:
                if item.get("suffix"):
                    suffixes.append((str(name).lower(), str(item["provider"])))
                else:
                    names[str(name).lower()] = str(item["provider"])
                if item.get("url_password"):
                    url_names.add(str(name).lower())
        cli_files = tuple(dict(f) for f in data["file"])
        for item in cli_files:
            str(item["provider"]), str(item["path"])
    except (KeyError, TypeError, ValueError, re.error, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"providers.toml is broken: {exc}") from exc
    return Catalog(formats, names, tuple(suffixes), frozenset(url_names), cli_files, data)


def mask(value: str) -> str:
    """At most the first four characters and the length."""
    if len(value) >= 16:
        return f"{value[:4]}…({len(value)} chars)"
    return f"…({len(value)} chars)"


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def is_placeholder(value: str) -> bool:
    """Empty, a variable reference, our own placeholder, or an obvious dummy."""
    bare = value.strip()
    if len(bare) < 8 or bare.startswith(("$", "<", "{{", "%", PLACEHOLDER)):
        return True
    return bare.lower() in _TRIVIAL or len(set(bare)) <= 2


def _generic(key: str, value: str) -> bool:
    """A *_TOKEN-style name counts only as an environment-style (upper-case) name with a
    value shaped like a secret: long, no spaces, letters and digits mixed. (JSON keys such
    as botocore's ``"output_token": "NextToken"`` are not credentials.)"""
    if key != key.upper() or len(value) < 16 or any(c.isspace() for c in value):
        return False
    kinds = (any(c.islower() for c in value), any(c.isupper() for c in value),
             any(c.isdigit() for c in value))
    return sum(kinds) >= 2


def _name_provider(cat: Catalog, key: str, file_keys: Iterable[str],
                   file_provider: str) -> str | None:
    low = key.lower()
    if any(low == k.lower() for k in file_keys):
        return file_provider
    if low in cat.names:
        return cat.names[low]
    return next((p for s, p in cat.suffixes if low.endswith(s)), None)


def _pairs(line: str) -> Iterator[tuple[str, str]]:
    for pattern in (_SHELL_PAIR, _JSON_PAIR, _KEY_VALUE):
        for match in pattern.finditer(line):
            yield match.group(1), _unquote(match.group(2))
    for match in _NETRC.finditer(line):
        if match.group(1) == "password":
            yield "password", match.group(2)


def scan_line(line: str, path: str, number: int, file_keys: Iterable[str] = (),
              file_provider: str = "") -> list[Finding]:
    """The credentials on one line (each value once)."""
    cat = catalog()
    found: dict[str, Finding] = {}
    keys = tuple(file_keys)
    for key, value in _pairs(line):
        provider = _name_provider(cat, key, keys, file_provider)
        if provider is None or value in found:
            continue
        if key.lower() in cat.url_names:
            match = _URL_PASSWORD.match(value)
            if match is None or is_placeholder(match.group(1)):
                continue
            value = match.group(1)
        if is_placeholder(value) or (provider == GENERIC and not _generic(key, value)):
            continue
        found[value] = Finding(provider, path, number, key, mask(value), "name", value)
    for rule, provider, pattern in cat.formats:
        for match in pattern.finditer(line):
            value = match.group(1) if pattern.groups else match.group(0)
            same = next((v for v in found if value in v or v in value), None)
            if same is not None:
                named = found[same]
                if named.provider == GENERIC:  # the value's shape names the provider
                    found[same] = Finding(provider, path, number, named.key, named.shown,
                                          rule, named.value)
                continue
            shown = value if rule == "private-key" else mask(value)
            found[value] = Finding(provider, path, number, rule, shown, rule, value)
    return list(found.values())


def scan_text(text: str, path: str, file_keys: Iterable[str] = (),
              file_provider: str = "") -> list[Finding]:
    """Every line of a text file."""
    keys = tuple(file_keys)
    return [f for number, line in enumerate(text.splitlines(), 1)
            for f in scan_line(line, path, number, keys, file_provider)]


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:4096]:
        return None
    return data.decode("utf-8", "replace")


def scan_file(path: Path, file_keys: Iterable[str] = (), file_provider: str = "",
              ) -> list[Finding]:
    """One file (unreadable or binary: nothing)."""
    text = _read(path)
    return [] if text is None else scan_text(text, str(path), file_keys, file_provider)


def _interesting(name: str) -> bool:
    return (name in CONFIG_NAMES or name.startswith(".env.") or name.endswith(CONFIG_SUFFIXES))


def workspace_files(roots: Iterable[Path]) -> Iterator[Path]:
    """Config-like files under ``roots`` (bounded; no symlinked directories)."""
    count = visited = 0
    for root in roots:
        if root.is_file():
            yield root
            continue
        for directory, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            visited += len(names) + len(dirs)
            if visited > MAX_ENTRIES:  # a home or / given as the workspace: stay bounded
                return
            for name in sorted(names):
                if _interesting(name):
                    count += 1
                    if count > MAX_FILES:
                        return
                    yield Path(directory) / name


def home_findings(home: Path) -> list[Finding]:
    """The CLI credential files and shell history in ``home``."""
    found: list[Finding] = []
    for item in catalog().files:
        path = home / str(item["path"])
        if not path.is_file():
            continue
        provider = str(item["provider"])
        if item.get("whole"):
            text = _read(path)
            value = (text or "").strip()
            shown = mask(value) if text is not None else "(a binary credential store)"
            found.append(Finding(provider, str(path), 1, path.name, shown, "file",
                                 value if text is not None and "\n" not in value else ""))
            continue
        found.extend(scan_file(path, [str(k) for k in item.get("keys", [])], provider))
    return found


def environment_findings(environ: Mapping[str, str]) -> list[Finding]:
    """Credentials in an environment (variable names and value shapes)."""
    found: list[Finding] = []
    for name, value in sorted(environ.items()):
        for finding in scan_line(f"{name}={value}", "environment", 0):
            found.append(Finding(finding.provider, "environment", 0, name, finding.shown,
                                 finding.rule, finding.value))
    return found


def scan(paths: Iterable[Path], home: Path | None, environ: Mapping[str, str] | None,
         ) -> list[Finding]:
    """Everything: environment, workspace files, home files; each file:line:value once."""
    found: list[Finding] = []
    if environ is not None:
        found.extend(environment_findings(environ))
    seen: set[str] = set()
    if home is not None:
        home_found = home_findings(home)
        seen.update(f.path for f in home_found)
        found.extend(home_found)
    for path in workspace_files(paths):
        if str(path) not in seen:
            seen.add(str(path))
            found.extend(scan_file(path))
    return found
