"""What a persistent decision helper could save: the numbers behind the "no helper"
decision in docs/benchmarks.md.

Run with the project's venv: ``.venv/bin/python bench/helper_probe.py [--rounds N]``.
A server process keeps the engine and the rules loaded and answers one decision per
connection on a Unix socket in a 0700 directory; clients send a command and read the
verdict. Measured, interleaved round by round: the bare interpreter start, a Python
client (``python -I -S`` with the C ``_socket`` module only), a Perl client (a non-Python
client that exists on this machine), and the in-process hook as installed, on a plain
and an engine command. Nothing here is used by shellgate itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVER = r"""
import os, socket, sys
from shellgate.engine import evaluate
from shellgate.rules.loader import load_rules, pattern_files
rules = load_rules(pattern_files(None))
path = sys.argv[1]
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path)
listener.listen(64)
print("ready", flush=True)
while True:
    conn, _ = listener.accept()
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    verdict = evaluate(data.decode("utf-8", "surrogateescape").rstrip("\n"), rules).verdict
    conn.sendall(verdict.encode() + b"\n")
    conn.close()
"""

PY_CLIENT = ("import _socket, sys; s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM); "
             "s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode() + b'\\n'); "
             "sys.stdout.write(s.recv(64).decode())")

PERL_CLIENT = ("use Socket; socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die; "
               "connect($s, sockaddr_un($ARGV[0])) or die; syswrite($s, \"$ARGV[1]\\n\"); "
               "sysread($s, my $v, 64); print $v;")


def timed(argv: list[str], stdin: bytes = b"") -> float:
    started = time.perf_counter()
    subprocess.run(argv, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from perf import _hook_input, installed_hook

    python = str(Path(sys.executable).parent / "python")
    with tempfile.TemporaryDirectory(prefix="shellgate-helper-") as tmp:
        os.chmod(tmp, 0o700)
        path = str(Path(tmp) / "engine.sock")
        config = str(Path(tmp) / "config")
        subprocess.run([str(Path(python).parent / "shellgate"), "--config", config, "check",
                        "-c", "true"], check=True, stdout=subprocess.DEVNULL)
        server = subprocess.Popen([python, "-I", "-c", SERVER, path], stdout=subprocess.PIPE)
        assert server.stdout is not None
        server.stdout.readline()
        try:
            commands = {"plain": "git status && ls -la",
                        "engine": 'cd /tmp && ls -la | head -5 && echo "in $PWD"'}
            scenarios: dict[str, tuple[list[str], bytes]] = {
                "python -I -S -c pass": ([python, "-I", "-S", "-c", "pass"], b"")}
            hook = installed_hook(python, config)
            for kind, command in commands.items():
                scenarios[f"python client ({kind})"] = (
                    [python, "-I", "-S", "-c", PY_CLIENT, path, command], b"")
                scenarios[f"perl client ({kind})"] = (
                    ["perl", "-e", PERL_CLIENT, path, command], b"")
                scenarios[f"in-process hook ({kind})"] = (hook, _hook_input(tmp, command))
            check = subprocess.run(["perl", "-e", PERL_CLIENT, path, "git push --force"],
                                   capture_output=True, text=True, check=True)
            assert check.stdout.strip() == "gate", check.stdout
            times: dict[str, list[float]] = {name: [] for name in scenarios}
            names = list(scenarios)
            for index in range(args.rounds):
                for name in names[index % len(names):] + names[:index % len(names)]:
                    times[name].append(timed(*scenarios[name]))
        finally:
            server.kill()
            server.wait()
    base = statistics.median(times["python -I -S -c pass"])
    print(f"{'scenario':34} {'median ms':>10} {'ratio':>6}")
    for name in names:
        median = statistics.median(times[name])
        print(f"{name:34} {median * 1000:10.2f} {median / base:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
