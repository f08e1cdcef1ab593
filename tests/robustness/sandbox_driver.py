"""Runs inside private mount, network and PID namespaces (``unshare``); never imported by
the package. Builds a throw-away root where every program is a stub that logs its argv,
then runs each case under real bash, chrooted there, as an unprivileged user.

    unshare --mount --net --pid --fork --kill-child --propagation private \\
        python -I -S sandbox_driver.py SPEC.json OUT.json

The sandbox root (a tmpfs, remounted read-only once built) holds:

- ``/usr/bin``, ``/usr/sbin``, ``/usr/local/bin``, ``/usr/local/sbin`` (and ``/bin``,
  ``/sbin`` as on the host): only stubs and bash (``sh`` and ``dash`` are bash too, so
  nested shells really run);
- ``/.sgreal``: a few real wrapper programs (``env``, ``xargs``, ``timeout``…) whose
  stubs log and then exec them, so what they run is observed rather than assumed;
- the shared libraries those programs need, ``/dev/null`` and friends;
- writable tmpfs mounts only at ``/tmp``, ``/home`` and the log directory ``/.sglog``.

No ``/proc``, no ``/etc``, no network interface but a downed loopback. Each case runs as
a dedicated uid with process, file-size, memory and CPU limits and a wall-clock timeout,
after which every process of that uid is killed.

Log record (one ``printf`` per call, NUL-separated): ``R pid pwd argc name args… S [stdin] E``
where S is ``-`` (stdin not captured) or ``+`` followed by what the stub read from stdin.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import time

LOG_DIR = "/.sglog"
LOG = LOG_DIR + "/argv"
REAL_DIR = "/.sgreal"
HOME = "/home/agent"
CWD = HOME + "/project"
BIN_DIRS = ("/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin")
PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
DEVICES = ("null", "zero", "full", "random", "urandom")
HARVEST_FILES = 64
HARVEST_BYTES = 64 * 1024

_LOG_CALL = 'printf \'%s\\0\' R "$$" "$PWD" "$#" "${0##*/}" "$@"'
STUB = f"""#!/usr/bin/bash -p
{_LOG_CALL} - E >> {LOG}
exit 0
"""
STDIN_STUB = f"""#!/usr/bin/bash -p
IFS= read -r -N 1048576 -t 5 __sg_in
{_LOG_CALL} + "$__sg_in" E >> {LOG}
exit 0
"""
WRAPPER_STUB = f"""#!/usr/bin/bash -p
{_LOG_CALL} - E >> {LOG}
exec {REAL_DIR}/@NAME@ "$@"
"""
NOT_FOUND = (
    f"() {{ printf '%s\\0' R \"$$\" \"$PWD\" $(($# - 1)) \"$@\" - E >> {LOG}; return 0; }}"
)


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def libraries(binary: str) -> list[str]:
    """Shared objects ``binary`` loads, from ldd's output."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=False).stdout
    found: list[str] = []
    for line in out.splitlines():
        parts = line.split()
        for part in parts:
            if part.startswith("/"):
                found.append(part)
                break
    return found


def copy_into(root: str, path: str, depth: int = 0) -> None:
    """Make ``root + path`` resolve to a copy of the host's file: every symlink on the
    way (``/lib64/ld-linux…`` → ``../lib/…``) is recreated, then the file is copied."""
    parts = [p for p in path.split("/") if p]
    current = ""
    for index, part in enumerate(parts):
        current += "/" + part
        rest = "/".join(parts[index + 1:])
        if os.path.islink(current) and depth < 16:
            target = os.readlink(current)
            if not os.path.lexists(root + current):
                os.makedirs(os.path.dirname(root + current), exist_ok=True)
                os.symlink(target, root + current)
            resolved = os.path.normpath(os.path.join(os.path.dirname(current), target))
            copy_into(root, resolved + ("/" + rest if rest else ""), depth + 1)
            return
        if not rest:
            if not os.path.lexists(root + current):
                os.makedirs(os.path.dirname(root + current), exist_ok=True)
                shutil.copy2(current, root + current)
            return


def mirror_top_links(root: str) -> None:
    """``/lib`` → ``usr/lib`` and the like, as on the host (merged /usr or not)."""
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = "/" + name
        if os.path.islink(host):
            os.symlink(os.readlink(host), os.path.join(root, name))


def build(root: str, spec: dict[str, object], uid: int) -> None:
    sh("mount", "-t", "tmpfs", "-o", "size=96m,mode=755", "sgroot", root)
    mirror_top_links(root)
    bash = os.path.realpath(shutil.which("bash") or "/bin/bash")
    for lib in libraries(bash):
        copy_into(root, lib)
    os.makedirs(root + REAL_DIR)
    reals = [str(n) for n in spec["real_wrappers"]]  # type: ignore[attr-defined]
    for name in list(reals):
        found = shutil.which(name)
        if found is None:
            reals.remove(name)
            continue
        shutil.copy2(found, f"{root}{REAL_DIR}/{name}")
        for lib in libraries(found):
            copy_into(root, lib)
    if "stdbuf" in reals:
        for candidate in ("/usr/libexec/coreutils/libstdbuf.so",
                          "/usr/lib/coreutils/libstdbuf.so"):
            if os.path.exists(candidate):
                copy_into(root, candidate)
    stub_dir = root + "/.sgstub"
    os.makedirs(stub_dir)
    for kind, text in (("plain", STUB), ("stdin", STDIN_STUB)):
        with open(f"{stub_dir}/{kind}", "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(f"{stub_dir}/{kind}", 0o755)  # noqa: S103 - programs run by another uid
    stdin_tools = set(spec["stdin_tools"])  # type: ignore[call-overload]
    names = sorted(set(spec["stubs"]) | set(reals))  # type: ignore[call-overload]
    for directory in BIN_DIRS:
        target = root + directory
        if os.path.islink(target):
            continue
        os.makedirs(target, exist_ok=True)
        shutil.copy2(bash, target + "/bash")
        for shell in ("sh", "dash"):
            os.symlink("bash", f"{target}/{shell}")
        for name in names:
            if "/" in name or name in ("", ".", "..", "bash", "sh", "dash"):
                continue
            dest = f"{target}/{name}"
            if name in reals:
                with open(dest, "w", encoding="utf-8") as handle:
                    handle.write(WRAPPER_STUB.replace("@NAME@", name))
                os.chmod(dest, 0o755)  # noqa: S103 - programs run by another uid
            else:
                os.link(f"{stub_dir}/{'stdin' if name in stdin_tools else 'plain'}", dest)
    os.makedirs(root + "/dev")
    for device in DEVICES:
        open(f"{root}/dev/{device}", "w").close()
        sh("mount", "--bind", f"/dev/{device}", f"{root}/dev/{device}")
    for path, mode in (("/tmp", "1777"), ("/home", "755"), (LOG_DIR, "1777")):
        os.makedirs(root + path, exist_ok=True)
        sh("mount", "-t", "tmpfs", "-o", f"size=64m,mode={mode}", "sgtmp", root + path)
    sh("mount", "-o", "remount,bind,ro", root)
    os.makedirs(root + CWD)
    for path in (root + HOME, root + CWD):
        os.chown(path, uid, uid)


def fresh(root: str, files: dict[str, str], uid: int) -> None:
    """Empty the writable places, then lay out the case's files in the project dir."""
    for place in (root + "/tmp", root + "/home"):
        for entry in os.listdir(place):
            target = os.path.join(place, entry)
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            else:
                os.unlink(target)
    os.makedirs(root + CWD)
    for path in (root + HOME, root + CWD):
        os.chown(path, uid, uid)
    for rel, text in files.items():
        if rel.startswith("/") or ".." in rel.split("/"):
            continue
        dest = os.path.join(root + CWD, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(text)
        os.chown(dest, uid, uid)
    with open(root + LOG, "w"):
        pass
    os.chmod(root + LOG, 0o666)  # noqa: S103 - the stubs (another uid) append to it


def signal_uid(uid: int, sig: int) -> bool:
    """kill(-1, sig) from a child running as ``uid``: True if any process of it existed."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, sig)
        except OSError:
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def settle(uid: int, seconds: float) -> None:
    """Give background jobs a moment to finish (and log), then kill what is left."""
    deadline = time.monotonic() + seconds
    while signal_uid(uid, 0) and time.monotonic() < deadline:
        reap()
        time.sleep(0.01)
    signal_uid(uid, signal.SIGKILL)


def reap() -> None:
    """We are PID 1 of our namespace: collect orphans."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run_case(root: str, case: dict[str, object], env: dict[str, str], uid: int,
             timeout: float, scratch: str) -> dict[str, object]:
    fresh(root, dict(case.get("files") or {}), uid)  # type: ignore[call-overload]
    err_path = scratch + "/stderr"
    devnull = os.open("/dev/null", os.O_RDWR)
    err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(devnull, 0)
            os.dup2(devnull, 1)
            os.dup2(err, 2)
            os.chroot(root)
            os.chdir(CWD)
            os.setsid()
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            for limit, value in ((resource.RLIMIT_NPROC, 256), (resource.RLIMIT_FSIZE, 8 << 20),
                                 (resource.RLIMIT_AS, 1 << 30), (resource.RLIMIT_CPU, 20),
                                 (resource.RLIMIT_CORE, 0)):
                resource.setrlimit(limit, (value, value))
            os.execve("/usr/bin/bash", ["bash", "-c", str(case["cmd"])], env)
        except BaseException:
            os._exit(121)
    os.close(devnull)
    os.close(err)
    status: object = wait(pid, timeout)
    settle(uid, 0.3 if status != "timeout" else 0.0)
    reap()
    with open(root + LOG, "rb") as handle:
        log = handle.read()
    with open(err_path, "rb") as handle:
        stderr = handle.read(4096).decode("utf-8", "replace")
    return {"status": status, "log": log.decode("utf-8", "surrogateescape"),
            "files": harvest(root + CWD), "stderr": stderr}


def wait(pid: int, timeout: float) -> object:
    deadline = time.monotonic() + timeout
    fd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if fd is not None:
                select.select([fd], [], [], left)
            else:
                time.sleep(0.002)
    finally:
        if fd is not None:
            os.close(fd)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "timeout"


def harvest(directory: str) -> dict[str, str]:
    """Small regular files the command left in its project dir (never following links)."""
    found: dict[str, str] = {}
    for base, dirs, names in os.walk(directory, followlinks=False):
        for name in sorted(names):
            if len(found) >= HARVEST_FILES:
                return found
            path = os.path.join(base, name)
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                continue
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    continue
                data = os.read(fd, HARVEST_BYTES + 1)
            finally:
                os.close(fd)
            if len(data) <= HARVEST_BYTES:
                found[os.path.relpath(path, directory)] = data.decode("utf-8", "surrogateescape")
        dirs.sort()
    return found


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    root, uid, timeout = spec["root"], int(spec["uid"]), float(spec["timeout"])
    scratch = spec["scratch"]
    build(root, spec, uid)
    env = {"PATH": PATH, "HOME": HOME, "USER": "agent", "LOGNAME": "agent", "LANG": "C",
           "TMPDIR": "/tmp", "SHELL": "/usr/bin/bash", "TERM": "dumb",
           "BASH_FUNC_command_not_found_handle%%": NOT_FOUND}
    results = [run_case(root, case, env, uid, timeout, scratch) for case in spec["cases"]]
    with open(sys.argv[2], "w", encoding="utf-8") as handle:
        json.dump(results, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
