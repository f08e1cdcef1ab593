"""The hardened environment: a fresh virtual environment under the install prefix holding
a copy of shellgate and the distributions it needs, taken file by file (each
distribution's RECORD) from the environment the installer runs in — offline, and nothing
in it left writable by, or pointing back into, a directory the user owns."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from shellgate.errors import ShellgateError
from shellgate.hardened import POINTER_NAME

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(root: str = "shellgate") -> list[metadata.Distribution]:
    """``root`` and every distribution it requires (not extras), as installed here."""
    found: dict[str, metadata.Distribution] = {}
    todo = [root]
    while todo:
        name = _canonical(todo.pop())
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another Python (tomli on 3.11+): not needed here
        found[name] = dist
        for requirement in dist.requires or []:
            if "extra ==" in requirement:
                continue
            match = _NAME.match(requirement)
            if match:
                todo.append(match.group(1))
    return list(found.values())


def _site_packages(venv: Path) -> Path:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return venv / "lib" / version / "site-packages"


def copy_distribution(dist: metadata.Distribution, target: Path) -> int:
    """Copy a distribution's installed files (inside site-packages only) into ``target``;
    refuses an editable install, whose code would stay in the user's directory."""
    files = dist.files or []
    count = 0
    for entry in files:
        if entry.parts and entry.parts[0] == "..":
            continue  # console scripts: written anew for the new interpreter
        source = Path(str(dist.locate_file(entry)))
        if source.suffix == ".pth" or "__editable__" in source.name:
            raise ShellgateError(f"{dist.metadata['Name']} is an editable install; install "
                                 "it normally (`pip install .`) before a hardened install")
        if not source.is_file():
            continue
        destination = target / Path(*entry.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)  # mtimes kept: the copied .pyc files stay valid
        count += 1
    return count


def console_scripts(venv: Path) -> dict[str, str]:
    """Write shellgate's console scripts for the new interpreter, isolated (``-I``)."""
    python = venv / "bin" / "python"
    written: dict[str, str] = {}
    for entry in metadata.distribution("shellgate").entry_points:
        if entry.group != "console_scripts":
            continue
        module, _, attr = entry.value.partition(":")
        path = venv / "bin" / entry.name
        path.write_text(f"#!{python} -I\nimport sys\nfrom {module} import {attr}\n"
                        f"sys.exit({attr}())\n", encoding="utf-8")
        path.chmod(0o755)
        written[entry.name] = str(path)
    return written


def interpreter(uid: int) -> str:
    """A Python of this version that the guarded user can run, standard library and all
    (the installer's own may sit in root's home, e.g. under pyenv)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    base = getattr(sys, "_base_executable", sys.executable)
    for candidate in (base, f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"):
        if not os.path.isfile(candidate):
            continue
        try:
            probe = subprocess.run(
                [candidate, "-I", "-c", f"import sys, encodings, json, ssl; "
                 f"sys.exit(sys.version_info[:2] != {tuple(sys.version_info[:2])!r})"],
                user=uid, capture_output=True, check=False, cwd="/")
        except OSError:  # not executable for the user (e.g. under root's home)
            continue
        if probe.returncode == 0:
            return candidate
    raise ShellgateError(f"no Python {version} that the guarded user can run was found "
                         f"(tried {base}, /usr/bin/python{version}); install one", 2)


def create(venv: Path, etc: Path, uid: int) -> dict[str, str]:
    """Build the environment; returns the console scripts written. Root-owned throughout;
    the pointer file names the policy directory this environment obeys."""
    if venv.exists():
        raise ShellgateError(f"{venv} already exists; remove it or uninstall first")
    subprocess.run([interpreter(uid), "-I", "-m", "venv", "--without-pip", str(venv)],
                   check=True)
    site = _site_packages(venv)
    for dist in closure():
        copy_distribution(dist, site)
    scripts = console_scripts(venv)
    (site / POINTER_NAME).write_text(f"{etc}\n", encoding="utf-8")
    lock_down(venv)
    return scripts


def lock_down(top: Path) -> None:
    """Everything under ``top`` owned by root and writable by no one else."""
    for directory, dirs, files in os.walk(top):
        for name in [*dirs, *files]:
            path = os.path.join(directory, name)
            os.lchown(path, 0, 0)
            if not os.path.islink(path):
                os.chmod(path, os.lstat(path).st_mode & 0o7755)
    os.chown(top, 0, 0)
    os.chmod(top, 0o755)  # noqa: S103 - the guarded user runs this code, never writes it
