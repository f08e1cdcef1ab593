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
    from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec

    for entry in sys.path:
        directory = os.path.join(entry or os.curdir, package)
        if not os.path.isfile(os.path.join(directory, "__init__.py")):
            continue
        for suffix in EXTENSION_SUFFIXES:
            path = os.path.join(directory, "_binding" + suffix)
            if os.path.isfile(path):
                loader = ExtensionFileLoader(name, path)
                module = loader.create_module(ModuleSpec(name, loader, origin=path))
                loader.exec_module(module)
                sys.modules[name] = module
                return module
        break  # the package import would pick: no extension there means a broken install
    import importlib

    return importlib.import_module(name)
