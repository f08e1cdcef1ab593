"""The entries of a user or project pattern file that change other rules by id:
``[[override]]``, ``[[exception]]`` and ``[packs]``. Strict, like the rule loader: a
malformed entry raises ``RuleFileError`` naming ``file:line``."""

from __future__ import annotations

import datetime
from typing import Any

from shellgate.errors import RuleFileError
from shellgate.rules.ruleset import SEVERITIES
from shellgate.rules.scope import RuleException, glob_regex
from shellgate.values import record

TABLES = frozenset({"override", "exception", "packs"})
ACTIONS = ("off", "gate", "deny")
"""Override actions, weakest first."""
_OVERRIDE_KEYS = frozenset({"rule", "action", "severity", "why"})
_EXCEPTION_KEYS = frozenset({"rule", "paths", "args", "expires", "why"})
_PACK_KEYS = frozenset({"off"})


@record
class Override:
    """One ``[[override]]``: a new action and/or severity for the rule with this id."""

    rule: str
    action: str = ""
    severity: str = ""
    why: str = ""
    source: str = ""


@record
class Tuning:
    """A file's overrides, exceptions and switched-off packs, in file order."""

    overrides: tuple[Override, ...] = ()
    exceptions: tuple[RuleException, ...] = ()
    packs_off: tuple[tuple[str, str], ...] = ()
    """(pack name, source) pairs."""


def action_rank(action: str) -> int:
    """off < gate < deny (``allow`` ranks with off)."""
    return ACTIONS.index(action) if action in ACTIONS else 0


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def parse_tuning(shown: str, text: str, data: dict[str, Any], home: str | None) -> Tuning:
    """The ``[[override]]``, ``[[exception]]`` and ``[packs]`` entries of one file."""
    lines = text.splitlines()
    overrides = tuple(_override(shown, _line(lines, "[[override]]", i), entry)
                      for i, entry in enumerate(_tables(shown, lines, data, "override")))
    exceptions = tuple(_exception(shown, _line(lines, "[[exception]]", i), entry, home)
                       for i, entry in enumerate(_tables(shown, lines, data, "exception")))
    packs: list[tuple[str, str]] = []
    table = data.get("packs", {})
    where = f"{shown}:{_line(lines, '[packs]', 0)}"
    if not isinstance(table, dict):
        raise RuleFileError(f"{where} key 'packs': expected a table")
    for key in table:
        if key not in _PACK_KEYS:
            raise RuleFileError(f"{where} key 'packs.{key}': unknown key (expected 'off')")
    names = table.get("off", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise RuleFileError(f"{where} key 'packs.off': expected a list of pack names")
    packs.extend((name, where) for name in names)
    return Tuning(overrides, exceptions, tuple(packs))


def _tables(shown: str, lines: list[str], data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = data.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RuleFileError(f"{shown}:1 key '{key}': expected an array of tables ([[{key}]])")
    return entries


def _line(lines: list[str], header: str, index: int) -> int:
    """The line of the ``index``-th ``header`` (1 when it cannot be found)."""
    seen = 0
    for number, line in enumerate(lines, 1):
        if line.strip().replace(" ", "") == header:
            if seen == index:
                return number
            seen += 1
    return 1


def _fail(where: str, key: str, message: str) -> RuleFileError:
    return RuleFileError(f"{where} key '{key}': {message}")


def _string(where: str, entry: dict[str, Any], key: str, required: bool = False) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(where, key, f"expected a non-empty string, got {value!r}")
    return value.strip()


def _strings(where: str, entry: dict[str, Any], key: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(where, key, f"expected a list of non-empty strings, got {value!r}")
    return tuple(value)


def _unknown(where: str, entry: dict[str, Any], known: frozenset[str], what: str) -> None:
    for key in entry:
        if key not in known:
            raise _fail(where, key, f"unknown key in [[{what}]] (expected one of "
                        f"{', '.join(sorted(known))})")


def _override(shown: str, line: int, entry: dict[str, Any]) -> Override:
    where = f"{shown}:{line} override"
    _unknown(where, entry, _OVERRIDE_KEYS, "override")
    rule = _string(where, entry, "rule", required=True)
    action = _string(where, entry, "action")
    severity = _string(where, entry, "severity")
    if action and action not in ACTIONS:
        raise _fail(where, "action", f"expected off|gate|deny, got {action!r}")
    if severity and severity not in SEVERITIES:
        raise _fail(where, "severity", f"expected one of {'|'.join(SEVERITIES)}, got "
                    f"{severity!r}")
    if not action and not severity:
        raise _fail(where, "action", "an override needs an action, a severity, or both")
    return Override(rule, action, severity, _string(where, entry, "why"), f"{shown}:{line}")


def _exception(shown: str, line: int, entry: dict[str, Any], home: str | None) -> RuleException:
    where = f"{shown}:{line} exception"
    _unknown(where, entry, _EXCEPTION_KEYS, "exception")
    rule = _string(where, entry, "rule", required=True)
    why = _string(where, entry, "why", required=True)
    paths = _strings(where, entry, "paths")
    if not paths:
        raise _fail(where, "paths", "an exception needs the directories it applies to")
    expanded = []
    for glob in paths:
        path = _absolute(where, glob, home)
        broad = too_broad(path, home)
        if broad:
            raise _fail(where, "paths", f"{glob!r} {broad}; name the directory the exception "
                        "is for (e.g. \"~/scratch/**\")")
        try:
            glob_regex(path)
        except ValueError as exc:
            raise _fail(where, "paths", f"{glob!r}: {exc}") from exc
        expanded.append(path)
    expires = entry.get("expires", "")
    if isinstance(expires, datetime.datetime):
        raise _fail(where, "expires", "expected a date (2026-12-31), got a date and time")
    if isinstance(expires, datetime.date):
        expires = expires.isoformat()
    if not isinstance(expires, str):
        raise _fail(where, "expires", f"expected a date (2026-12-31), got {expires!r}")
    if expires:
        try:
            expires = datetime.date.fromisoformat(expires).isoformat()
        except ValueError as exc:
            raise _fail(where, "expires", f"expected a date (2026-12-31), got {expires!r}") \
                from exc
    return RuleException(rule, tuple(expanded), _strings(where, entry, "args"), expires, why,
                         f"{shown}:{line}")


def _absolute(where: str, glob: str, home: str | None) -> str:
    if glob == "~" or glob.startswith("~/"):
        if home is None:
            raise _fail(where, "paths", f"{glob!r}: this user's home directory is unknown")
        glob = home.rstrip("/") + glob[1:]
    if not glob.startswith("/"):
        raise _fail(where, "paths", f"{glob!r}: expected an absolute path or one under ~/ "
                    "(exceptions match real paths)")
    if any(part in (".", "..") for part in glob.split("/")):
        raise _fail(where, "paths", f"{glob!r}: '.' and '..' are not allowed (write the real "
                    "path)")
    return glob


_SYSTEM = frozenset({"bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32",
                     "nix", "proc", "root", "run", "sbin", "snap", "sys", "usr", "Users",
                     "System", "Library", "Applications", "private"})


def too_broad(glob: str, home: str | None) -> str:
    """Why an absolute path glob covers too much ("" when it does not). The fixed part
    before the first wildcard must name a directory strictly below the home directory, or
    one at least two levels below ``/`` (three in system trees): ``~/scratch/**`` and
    ``/srv/build/**`` pass; ``/**``, ``~/**``, ``/tmp/**``, ``/home/*/x``, ``/etc/x/**`` do
    not."""
    fixed = glob
    wildcard = next((i for i, c in enumerate(glob) if c in "*?["), -1)
    if wildcard >= 0:
        fixed = glob[:glob.rfind("/", 0, wildcard) + 1]
    fixed = "/" + fixed.strip("/")
    parts = [p for p in fixed.split("/") if p]
    if home is not None:
        home = "/" + home.strip("/")
        if fixed == home or (home + "/").startswith(fixed.rstrip("/") + "/"):
            return "covers the home directory or everything above it"
        if fixed.startswith(home + "/"):
            return ""
    if len(parts) < 2:
        return "covers a whole top-level directory"
    if parts[0] in _SYSTEM and len(parts) < 3:
        return "covers a whole system directory"
    return ""
