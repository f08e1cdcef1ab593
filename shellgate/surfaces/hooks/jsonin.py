"""Strict JSON for hook input, read without importing ``json``.

``import json`` imports ``re`` and compiles its patterns: ~8 ms of every hook call on this
project's machines, for a decision that otherwise needs neither. :func:`loads` drives the
same C scanner ``json`` uses (``_json.make_scanner``, which reads only the six attributes
of :class:`_Strict`) and does ``json.loads``'s own checks around it (byte-order mark,
leading and trailing whitespace, extra data), with duplicate keys and the NaN/Infinity
constants refused. Where ``_json`` is missing it is ``json.loads`` with the same hooks.
``tests/unit/hooks/test_jsonin.py`` holds it to ``json.loads`` on generated input.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable

_WHITESPACE = " \t\n\r"


def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """An ``object_pairs_hook`` that refuses a key given twice."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def no_constant(name: str) -> None:
    """A ``parse_constant`` that refuses ``NaN``, ``Infinity`` and ``-Infinity``."""
    raise ValueError(f"{name} is not JSON")


class _Strict:
    """The decoder settings the C scanner reads (as ``json.JSONDecoder`` holds them)."""

    strict = True
    object_hook = None
    parse_float = float
    parse_int = int

    def __init__(self) -> None:
        self.object_pairs_hook = no_duplicates
        self.parse_constant = no_constant


def _c_scanner() -> Callable[[str, int], tuple[object, int]] | None:
    try:
        from _json import make_scanner
    except ImportError:  # another Python implementation: json.loads below
        return None
    scanner: Callable[[str, int], tuple[object, int]] = make_scanner(_Strict())  # type: ignore[arg-type]
    return scanner


def loads(text: str) -> object:
    """Exactly one JSON value; ValueError (or RecursionError) for anything else."""
    scan = _c_scanner()
    if scan is None:
        import json

        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)
    if text.startswith("\ufeff"):
        raise ValueError("Unexpected UTF-8 BOM (decode using utf-8-sig)")
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = scan(text, start)
    except StopIteration as exc:
        raise ValueError(f"Expecting value: char {exc.value}") from None
    if text[end:].strip(_WHITESPACE):
        raise ValueError(f"Extra data: char {end}")
    return value
