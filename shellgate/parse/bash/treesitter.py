"""The only module that imports tree-sitter: one bash parser per process."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from types import ModuleType

    from tree_sitter import Node as Node
    from tree_sitter import Parser

_parser: Parser | None = None
_ASCII = bytes(range(128)) + bytes(ord("a") + byte % 26 for byte in range(128, 256))
"""Every byte above 127 as an ASCII letter: bash reads such bytes as word characters,
while tree-sitter-bash's scanner can misread some (or crash: ``{`` followed by U+DEC4F)."""


def parse_bash(source: bytes) -> Node:
    """Parse bash source and return the root node of the concrete syntax tree.

    tree-sitter sees the source with non-ASCII bytes turned into ASCII letters, byte for
    byte, so every node's offsets index ``source`` itself: take text from ``source``.
    """
    global _parser
    if _parser is None:
        core, bash = binding("tree_sitter"), binding("tree_sitter_bash")
        _parser = core.Parser(core.Language(bash.language()))
    return _parser.parse(source.translate(_ASCII)).root_node


def binding(package: str) -> ModuleType:
    """``package._binding``, the compiled extension, loaded without ``package/__init__.py``.

    The two packages' ``__init__`` files import ``typing`` and ``importlib.resources``
    (~15 ms together) for things shellgate never uses. The extension is found the way
    ``import`` would find it (``sys.path`` in order, the interpreter's extension suffixes)
    and registered under its own name, so a later ``import tree_sitter`` reuses it.
    """
    name = package + "._binding"
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    # the import system's own classes, already loaded: ``importlib.machinery`` would add
    # the ``importlib`` package and ``warnings``
    import _frozen_importlib
    import _frozen_importlib_external

    for entry in sys.path:
        directory = os.path.join(entry or os.curdir, package)
        if not os.path.isfile(os.path.join(directory, "__init__.py")):
            continue
        for suffix in _frozen_importlib_external.EXTENSION_SUFFIXES:
            path = os.path.join(directory, "_binding" + suffix)
            if os.path.isfile(path):
                loader = _frozen_importlib_external.ExtensionFileLoader(name, path)
                spec = _frozen_importlib.ModuleSpec(name, loader, origin=path)
                try:
                    with _StandIns():
                        module = loader.create_module(spec)
                        loader.exec_module(module)
                except Exception:  # a release that wants more: load it with the real modules
                    module = loader.create_module(spec)
                    loader.exec_module(module)
                sys.modules[name] = module
                return module
        break  # the package import would pick: no extension there means a broken install
    import importlib

    return importlib.import_module(name)


class _Point(tuple[int, int]):
    """``tree_sitter.Point`` when the core binding is loaded with stand-ins: a (row,
    column) pair, as the real named tuple is (shellgate reads byte offsets, not points)."""

    __slots__ = ()

    def __new__(cls, row: int, column: int) -> _Point:
        return super().__new__(cls, (row, column))

    @property
    def row(self) -> int:
        return self[0]

    @property
    def column(self) -> int:
        return self[1]


class _LogType(int):
    """``tree_sitter.LogType`` with stand-ins (only a parser logger, never set by
    shellgate, receives one)."""

    PARSE = 0
    LEX = 1


def _namedtuple(typename: str, fields: object, **_options: object) -> type:
    if typename != "Point" or list(fields) != ["row", "column"]:  # type: ignore[call-overload]
        raise ImportError(f"tree-sitter asked for an unknown named tuple {typename!r}")
    return _Point


def _int_enum(typename: str, members: object) -> type:
    if typename != "LogType":
        raise ImportError(f"tree-sitter asked for an unknown enum {typename!r}")
    return _LogType


def _re_compile(pattern: str, flags: int = 0) -> object:
    import re  # only a tree-sitter query's #match? predicate (shellgate runs no queries)

    return re.compile(pattern, flags)


def _module(name: str, **names: object) -> ModuleType:
    module = type(sys)(name)  # ModuleType, without importing ``types``
    module.__dict__.update(names)
    return module


class _StandIns:
    """While tree-sitter's core extension initialises, small stand-ins for the three
    standard modules it takes one name each from — ``re.compile`` (query predicates),
    ``collections.namedtuple`` (the ``Point`` type) and ``enum.IntEnum`` (the logger's
    ``LogType``) — and no ``wasmtime`` (its optional WebAssembly languages). Importing
    the real ``re``, ``collections`` and ``enum`` (with ``functools`` and ``types``) costs
    more than the rest of a hook call's parse; shellgate parses with the extension and
    uses none of the four. A module already imported is used as it is; the stand-ins
    leave ``sys.modules`` when the extension is loaded, so any later import gets the real
    modules. If a tree-sitter release asks for anything else, the load fails (an
    ImportError: the engine refuses, it never allows) and ``tests/unit/parse`` say so."""

    _NAMES = ("re", "collections", "enum", "wasmtime")

    def __enter__(self) -> None:
        stand_ins: dict[str, object] = {
            "re": _module("re", compile=_re_compile),
            "collections": _module("collections", namedtuple=_namedtuple),
            "enum": _module("enum", IntEnum=_int_enum),
            "wasmtime": None,  # `import wasmtime` fails at once, without a sys.path search
        }
        self._placed = {n: m for n, m in stand_ins.items() if n not in sys.modules}
        sys.modules.update(self._placed)  # type: ignore[arg-type]

    def __exit__(self, *_exc: object) -> None:
        for name, module in self._placed.items():
            if sys.modules.get(name, module) is module:
                sys.modules.pop(name, None)
