"""The payload paths users run, for ``bench/perf.py``: GraphQL and SQL bodies, database
clients, interpreter one-liners, large commands, and a gated command up to the moment
the key is asked.

Commands that would reach a network or a database run against stub programs (``curl``,
``psql``, ``redis-cli``, ``mongosh`` that exit 0) first on ``PATH``, for the baselines and
for shellgate alike, so the figures are shellgate's own and nothing leaves the machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

STUBS = ("curl", "psql", "redis-cli", "mongosh")
"""Programs replaced by a stub that exits 0 (shims are installed for the database ones)."""

QUERY = ("curl -sS -X POST https://backboard.railway.app/graphql/v2 "
         "-H 'Content-Type: application/json' "
         """-d '{"query":"query Me($first: Int) { me { id name projects(first: $first) """
         """{ edges { node { id name } } } } }","variables":{"first":5}}'""")
"""An allowed GraphQL request: a query with a variable."""

MUTATION = ("curl -sS -X POST https://backboard.railway.app/graphql/v2 "
            '-H "Authorization: Bearer $RAILWAY_TOKEN" '
            """-d '{"query":"mutation { volumeDelete(volumeId: \\"vol_123\\") }"}'""")
"""The PocketOS command (April 2026): a Railway GraphQL mutation deleting a volume."""

SQL_FILE = "SELECT id, name FROM users WHERE active ORDER BY id LIMIT 10;\n"


def allowed_commands(work: Path) -> dict[str, str]:
    """Allowed commands carrying payloads, by scenario name (files they read in ``work``)."""
    query = work / "query.sql"
    query.write_text(SQL_FILE)
    return {
        "graphql query": QUERY,
        'psql -c "SELECT 1"': 'psql -c "SELECT 1"',
        "psql -f FILE": f"psql -d app -f {query}",
        "psql stdin (heredoc)": "psql -d app <<'SQL'\n" + SQL_FILE + "SQL",
        "redis-cli GET": "redis-cli -h localhost GET session:42",
        "mongosh --eval find": "mongosh app --quiet --eval 'db.users.find({active: true})'",
        "python3 -c one-liner": "python3 -c 'import sys; print(sys.version_info[:2])'",
    }


def large_command(size: int) -> str:
    """An allowed-looking command of ``size`` bytes: one long quoted message."""
    words = "lorem ipsum dolor sit amet "
    return 'echo "' + (words * (size // len(words) + 1))[: size - 8] + '"'


def make_stubs(directory: Path) -> str:
    """Stub programs in ``directory``; returns a PATH with them first."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in STUBS:
        stub = directory / name
        stub.write_text("#!/bin/sh\ncat >/dev/null 2>&1 </dev/null\nexit 0\n")
        stub.chmod(0o755)
    return f"{directory}{os.pathsep}{os.environ.get('PATH', os.defpath)}"


PROMPT = b"touch your key"
"""What shellgate prints once the key is waiting for the touch (``gate.require_approval``'s
prompt, called by python-fido2's keepalive when the authenticator reports it needs the
user)."""


def until_prompt(argv: list[str], stdin: bytes, env: dict[str, str],
                 limit: float = 60.0) -> float | None:
    """Seconds from start until ``argv`` prints the touch prompt on stderr; the process
    (in its own session, so it has no terminal to also print to) is then killed. None when
    it ended or ran past ``limit`` without asking."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, start_new_session=True)
    assert proc.stdin is not None and proc.stderr is not None
    try:
        proc.stdin.write(stdin)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    seen = b""
    elapsed: float | None = None
    try:
        while time.perf_counter() - started < limit:
            chunk = proc.stderr.read1(4096)
            if not chunk:
                break
            seen += chunk
            if PROMPT in seen:
                elapsed = time.perf_counter() - started
                break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    return elapsed


def soft_key_config(shellgate: str, config: Path, work: Path) -> None:
    """A config directory with a software key enrolled that is never touched (so the
    approval waits) and the shortest approval timeout, for the gated scenarios."""
    subprocess.run([shellgate, "--config", str(config), "check", "-c", "true"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([shellgate, "--config", str(config), "enroll", "--soft",
                    str(work / "soft-key.json")], check=True, cwd=work,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _set_touch(work / "soft-key.json", False)
    settings = config / "config.toml"  # keep what enroll wrote (allow_software_keys)
    kept = settings.read_text() if settings.exists() else ""
    settings.write_text("approval_timeout = 1\n" + kept)
    subprocess.run([shellgate, "--config", str(config), "check", "-c", "true"], check=True,
                   stdout=subprocess.DEVNULL)


def _set_touch(path: Path, touch: bool) -> None:
    import json

    state = json.loads(path.read_text())
    state["touch"] = touch
    path.write_text(json.dumps(state))
