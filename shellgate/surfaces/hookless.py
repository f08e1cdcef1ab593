"""``shellgate wrap -- AGENT…``: run an agent that has no hooks (Aider, Continue) with
``SHELL`` pointing at the restricted shell and the shims first on ``PATH``.

Such agents run every command as ``$SHELL -c CMD`` (Aider) or ``$SHELL -l -c CMD``
(Continue). ``SHELL`` must be one path, so the restricted shell with this config dir
baked in is a small script written into the config dir. It starts the interpreter
running shellgate isolated (``-I``), so variables the agent sets (``PYTHONPATH``,
``PYTHONSTARTUP``, ``PYTHONHOME``…) cannot load other code into the shell.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from shellgate.config import Config
from shellgate.errors import ShellgateError

WRAP_DIR = "wrap"
"""The directory inside the config directory that holds the shell script."""
SHELL_NAME = "shellgate-sh"
"""The file name of the restricted-shell script (what ``$SHELL`` points at)."""
_MARKER = "# written by `shellgate wrap`; rewritten on every run"
_ENTRY = "from shellgate.surfaces.restricted_shell.main import main; main()"


def shell_script(config_dir: Path, python: str | None = None) -> str:
    """The text of the ``$SHELL`` script: exec the restricted shell with ``--config``."""
    interpreter = python or sys.executable
    return ("#!/bin/sh\n"
            f"{_MARKER}\n"
            f"exec {shlex.quote(interpreter)} -I -c {shlex.quote(_ENTRY)} "
            f"--config {shlex.quote(str(config_dir))} \"$@\"\n")


def write_shell(config: Config, python: str | None = None) -> Path:
    """Write (atomically, mode 0700) the restricted-shell script and return its path."""
    from shellgate.approve.keystore import write_atomic

    if not sys.executable and python is None:
        raise ShellgateError("cannot tell which Python runs shellgate (sys.executable is "
                             "empty); the restricted shell cannot be set up")
    path = config.directory / WRAP_DIR / SHELL_NAME
    text = shell_script(config.directory, python)
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    try:
        if current != text:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomic(path, text, mode=0o700)
        else:
            path.chmod(0o700)
    except OSError as exc:
        raise ShellgateError(f"cannot write the restricted shell script {path}: "
                             f"{exc.strerror or exc}") from exc
    return path


def agent_environment(environ: Mapping[str, str], shell: Path,
                      shims_dir: Path | None) -> dict[str, str]:
    """The agent's environment: ``SHELL`` set, the shims dir first on ``PATH`` (once)."""
    env = dict(environ)
    env["SHELL"] = str(shell)
    if shims_dir is not None:
        shims = str(shims_dir)
        rest = [part for part in env.get("PATH", os.defpath).split(os.pathsep)
                if part and os.path.abspath(part) != shims]
        env["PATH"] = os.pathsep.join([shims, *rest])
    return env


def exec_agent(config: Config, argv: Sequence[str], shims_dir: Path | None) -> None:
    """Replace this process with the agent (so its exit status is the agent's own)."""
    if not argv:
        raise ShellgateError("give the agent's command after --, e.g. "
                             "`shellgate wrap -- aider`", 2)
    if shims_dir is not None:
        shims_dir = shims_dir.resolve()
        if not shims_dir.is_dir():
            raise ShellgateError(f"the shims directory {shims_dir} does not exist; "
                                 "run `shellgate install --shims-dir DIR` first", 2)
    env = agent_environment(os.environ, write_shell(config), shims_dir)
    program = argv[0] if "/" in argv[0] else shutil.which(argv[0], path=env.get("PATH"))
    if program is None:
        raise ShellgateError(f"{argv[0]}: command not found", 127)
    try:
        os.execve(program, list(argv), env)
    except OSError as exc:
        raise ShellgateError(f"cannot start {argv[0]}: {exc.strerror or exc}", 126) from exc
