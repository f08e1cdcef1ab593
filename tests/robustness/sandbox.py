"""Host side of the bash sandbox: what bash really executes for a command line.

Commands never run against the real system. ``sandbox_driver.py`` runs under ``unshare``
in private mount, network and PID namespaces, chroots into a read-only tmpfs root whose
program directories hold only logging stubs and bash, and runs each case as a dedicated
unprivileged uid with resource limits and a timeout (see that module's docstring).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DRIVER = Path(__file__).with_name("sandbox_driver.py")
REAL_WRAPPERS = ("env", "nice", "nohup", "timeout", "xargs", "setsid", "stdbuf", "ionice",
                 "taskset", "flock")
"""Wrappers that only start another program: the real binary runs (behind a logging
stub), so what they execute is observed, not assumed."""
HOME = "/home/agent"
CWD = HOME + "/project"
FIRST_UID = 61_000
"""Cases run as uids from here up (no such users exist; every process of the case's uid is
killed after each case), distinct per test process so parallel runs do not meet."""


def uid_for(worker: int) -> int:
    return FIRST_UID + (os.getpid() % 500) * 8 + worker
COMMON = ("ls", "cat", "grep", "sed", "awk", "head", "tail", "sort", "uniq", "wc", "cut",
          "tr", "tee", "touch", "mkdir", "cp", "mv", "rm", "ln", "chmod", "chown", "find",
          "sleep", "date", "jq", "yq", "make", "npm", "node", "python3", "python", "pip",
          "git", "docker", "kubectl", "ssh", "scp", "sudo", "curl", "wget", "tar", "gzip",
          "base64", "xxd", "rev", "diff", "patch", "which", "whoami", "id", "uname", "sha256sum",
          "stat", "du", "df", "ps", "kill", "pkill", "killall", "basename", "dirname",
          "realpath", "readlink", "mktemp", "seq", "yes", "true", "false", "test", "env",
          "printenv", "watch", "parallel", "nproc", "hostname", "less", "more", "vi", "nano",
          "zsh", "ksh", "fish", "su", "doas", "chroot", "strace", "psql", "mysql", "sqlite3")


@dataclass(frozen=True)
class Case:
    """A command line and the files its project directory holds before it runs."""

    cmd: str
    files: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """One program bash (or a real wrapper) started: its name, arguments, cwd, stdin."""

    name: str
    args: tuple[str, ...]
    pwd: str
    stdin: str | None = None

    @property
    def argv(self) -> list[str]:
        return [self.name, *self.args]


@dataclass(frozen=True)
class Trace:
    """What happened when bash ran one case."""

    case: Case
    status: int | str
    calls: tuple[Call, ...]
    files: dict[str, str]
    stderr: str
    garbled: bool = False


@lru_cache(maxsize=1)
def unavailable() -> str | None:
    """Why the sandbox cannot be built here (None when it can)."""
    if not sys.platform.startswith("linux"):
        return "the bash sandbox needs Linux namespaces"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    if os.geteuid() != 0:
        return "the bash sandbox needs root (unshare -m, chroot, a dedicated uid)"
    probe = subprocess.run(_unshare(["true"]), capture_output=True, check=False, timeout=30)
    if probe.returncode != 0:
        return f"unshare failed: {probe.stderr.decode(errors='replace').strip()}"
    return None


def _unshare(argv: list[str]) -> list[str]:
    return ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child",
            "--propagation", "private", *argv]


def run(cases: Sequence[Case], stubs: Iterable[str], stdin_tools: Iterable[str],
        workers: int = 0, timeout: float = 3.0) -> list[Trace]:
    """Run every case under real bash in the sandbox; traces in the order of ``cases``.
    ``workers`` sandboxes run side by side (default: the CPUs, at most 8)."""
    workers = workers or max(1, min(8, os.cpu_count() or 1))
    reason = unavailable()
    if reason is not None:
        raise RuntimeError(reason)
    names = sorted(set(stubs) | set(COMMON))
    chunks = [list(range(i, len(cases), workers)) for i in range(min(workers, len(cases)))]
    results: dict[int, Trace] = {}
    with tempfile.TemporaryDirectory(prefix="shellgate-sandbox-") as scratch:
        procs = []
        for worker, indexes in enumerate(chunks):
            base = Path(scratch) / f"w{worker}"
            (base / "root").mkdir(parents=True)
            spec = {"root": str(base / "root"), "scratch": str(base), "uid": uid_for(worker),
                    "timeout": timeout, "stubs": names, "stdin_tools": sorted(stdin_tools),
                    "real_wrappers": list(REAL_WRAPPERS),
                    "cases": [{"cmd": cases[i].cmd, "files": cases[i].files} for i in indexes]}
            (base / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
            argv = _unshare([sys.executable, "-I", "-S", str(DRIVER), str(base / "spec.json"),
                             str(base / "out.json")])
            procs.append((indexes, base, subprocess.Popen(argv, stdout=subprocess.PIPE,
                                                          stderr=subprocess.PIPE)))
        for indexes, base, proc in procs:
            _, err = proc.communicate(timeout=60 + len(indexes) * (timeout + 1))
            if proc.returncode != 0:
                raise RuntimeError(f"sandbox driver failed ({proc.returncode}): "
                                   f"{err.decode(errors='replace')[-2000:]}")
            raw = json.loads((base / "out.json").read_text(encoding="utf-8"))
            for index, item in zip(indexes, raw, strict=True):
                results[index] = _trace(cases[index], item)
    return [results[i] for i in range(len(cases))]


def _trace(case: Case, item: dict[str, object]) -> Trace:
    status = item["status"]
    calls, garbled = parse_log(str(item["log"]), truncated_ok=status == "timeout")
    return Trace(case, status if isinstance(status, (int, str)) else str(status), calls,
                 dict(item["files"]), str(item["stderr"]), garbled)  # type: ignore[call-overload]


def parse_log(log: str, truncated_ok: bool = False) -> tuple[tuple[Call, ...], bool]:
    """Decode the stubs' NUL-separated records; ``garbled`` when a record does not parse.
    ``truncated_ok`` (the case was killed at its timeout): a last record cut short by the
    kill is dropped rather than called garbled — every complete record before it is still
    compared, and damage anywhere before the last record is still garbled."""
    fields = log.split("\0")
    calls: list[Call] = []
    i = 0
    while i < len(fields) - 1:
        try:
            if fields[i] != "R":
                raise ValueError(fields[i][:40])
            pwd, argc, name = fields[i + 2], int(fields[i + 3]), fields[i + 4]
            args = tuple(fields[i + 5: i + 5 + argc])
            j = i + 5 + argc
            stdin: str | None = None
            if fields[j] == "+":
                stdin, j = fields[j + 1], j + 1
            elif fields[j] != "-":
                raise ValueError(fields[j][:40])
            if fields[j + 1] != "E" or len(args) != argc:
                raise ValueError("record end")
        except (IndexError, ValueError):
            last = "E" not in fields[i + 1:]  # no complete record follows this one
            return tuple(calls), not (truncated_ok and last and fields[i] == "R")
        calls.append(Call(name.rsplit("/", 1)[-1], args, pwd, stdin))
        i = j + 2
    return tuple(calls), False
