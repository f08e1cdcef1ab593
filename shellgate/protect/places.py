"""The places no command may write without a key touch, resolved to real paths: the
configuration directory in use, shellgate's own installed code and the virtual environment
it runs from, and the agents' hook settings. A write target (``protect.writes``) is
resolved the way the kernel will — ``~`` from the password database, relative to the
working directory and to every ``cd`` in the script, symlinks followed — so no spelling
(``~/…``, ``../../``, a symlinked directory, an interpreter's file API) gets past.

This is the one I/O step of deciding (``realpath``, ``getcwd``); it runs only for commands
that write files. :func:`register` is called by ``Config.at``, so every surface that reads
a configuration protects it.
"""

from __future__ import annotations

import os

from shellgate.values import Finding, Script

_ROOTS: dict[str, str] = {}
"""real path → what it is, for the message."""
HOOK_FILES = (".claude/settings.json", ".claude/settings.local.json", ".codex/hooks.json",
              ".codex/config.toml", ".cursor/hooks.json", ".gemini/settings.json",
              ".codeium/windsurf/hooks.json", ".copilot/hooks", "Documents/Cline/Hooks",
              ".config/opencode/plugins")
"""The agents' hook settings, relative to the home directory (``install.agent_entries``
writes these; listed here because deciding must not import the installer)."""


def _venv(package_dir: str) -> str | None:
    """The virtual environment holding ``package_dir`` (a ``pyvenv.cfg`` above it)."""
    probe = package_dir
    for _ in range(5):
        probe = os.path.dirname(probe)
        if os.path.isfile(os.path.join(probe, "pyvenv.cfg")):
            return probe
    return None


def _home() -> str | None:
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return None


def register(config_root: str, package: str | None = None, home: str | None = None) -> None:
    """Protect ``config_root`` and (once) the code, its environment and the hook files.
    ``package`` and ``home`` default to this shellgate's package and the real user's home
    (tests pass others)."""
    _ROOTS[os.path.realpath(config_root)] = "shellgate's configuration"
    if len(_ROOTS) > 1 and package is None:
        return
    # this module sits in shellgate/protect/: the package is one level up
    here = os.path.dirname(os.path.abspath(__file__))
    package = os.path.realpath(package or os.path.dirname(here))
    _ROOTS[package] = "shellgate's own code"
    venv = _venv(package)
    if venv is not None:
        _ROOTS[os.path.realpath(venv)] = "the virtual environment shellgate runs from"
    home = home or _home()
    if home:
        for relative in HOOK_FILES:
            _ROOTS[os.path.realpath(os.path.join(home, relative))] = "an agent's hook settings"


class suspended:
    """No protected places inside the block: rule examples must decide the same on every
    machine and in every directory. (A class, not ``contextlib.contextmanager``: importing
    ``contextlib`` costs every hook call its ``functools``/``collections`` imports.)"""

    def __enter__(self) -> None:
        self._saved = dict(_ROOTS)
        _ROOTS.clear()

    def __exit__(self, *_exc: object) -> None:
        _ROOTS.update(self._saved)


def clear() -> None:
    """Forget every registered place (tests)."""
    _ROOTS.clear()


def roots() -> dict[str, str]:
    """The registered protected places (real path → description)."""
    return dict(_ROOTS)


def _expand(path: str, home: str | None) -> str:
    if path == "~" or path.startswith("~/"):
        return (home or "~") + path[1:]
    return path


def _inside(path: str) -> str | None:
    for root, what in _ROOTS.items():
        if path == root or path.startswith(root.rstrip("/") + "/"):
            return what
    return None


def findings(script: Script) -> list[Finding]:
    """A ``core.self-write`` finding for each write that lands in a protected place."""
    if not _ROOTS:
        return []
    from shellgate.protect.writes import directory_changes, write_targets

    targets = write_targets(script)
    if not targets:
        return []
    from shellgate.classify.core import core_finding

    home = _home()
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = "/"
    bases = [cwd] + [os.path.join(cwd, _expand(d, home)) for d in directory_changes(script)]
    found: list[Finding] = []
    for path, command in targets:
        expanded = _expand(path, home)
        candidates = [expanded] if os.path.isabs(expanded) else \
            [os.path.join(base, expanded) for base in bases]
        for candidate in candidates:
            what = _inside(os.path.realpath(candidate))
            if what is not None:
                shown = " ".join(w.show() for w in command.argv) or path
                found.append(core_finding("self-write", f"{shown}: {path} is in {what}",
                                          command.via))
                break
    return found
