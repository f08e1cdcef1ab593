"""Allowed commands that carry no payload pay nothing for SQL, GraphQL or HTTP parsing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("sqlglot", "graphql", "shellgate.payloads.sql.statements",
         "shellgate.payloads.http.graphql",
         "shellgate.payloads.http.request", "shellgate.payloads.databases.clients", "click",
         "bashlex")

PROBE = """
import sys
from shellgate.engine import evaluate
from shellgate.rules.loader import load_rules, pattern_files
rules = load_rules(pattern_files(None))
for cmd in sys.argv[1:]:
    evaluate(cmd, rules)
print(" ".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded(*commands: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *commands],
                            capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_plain_commands_import_no_payload_parser() -> None:
    assert _loaded("ls -la", "git push --force", "npm test && rm -rf dist",
                   "bash -c 'kubectl get pods'") == set()


def test_sql_payload_imports_the_sql_parser_only() -> None:
    loaded = _loaded("psql -c 'DELETE FROM users WHERE id = 1'")
    assert "sqlglot" in loaded and "graphql" not in loaded


def test_graphql_body_imports_graphql() -> None:
    loaded = _loaded("curl -X POST https://backboard.railway.app/graphql/v2 "
                     """-d '{"query":"query { me { id } }"}'""")
    assert "graphql" in loaded


STARTUP_HEAVY = ("typing", "dataclasses", "inspect", "json", "socket", "hashlib", "tomllib",
                 "base64", "subprocess", "shutil", "tempfile")
"""What the restricted shell and the hooks must not import to allow a command: each costs
milliseconds of interpreter start (measured by bench/perf.py, not here)."""

GATE_PROBE = """
import sys
before = set(sys.modules)
from shellgate.surfaces.restricted_shell.main import _gate
config, approved = _gate(sys.argv[2], ["bash", "-c", sys.argv[2]], sys.argv[1])
assert config is None or approved is None
new = set(sys.modules) - before
print(" ".join(sorted(m for m in new if m in {heavy!r} or m == "shellgate.engine")))
"""


def _gate_loaded(config: str, command: str) -> set[str]:
    probe = GATE_PROBE.format(heavy=STARTUP_HEAVY)
    result = subprocess.run([sys.executable, "-I", "-c", probe, config, command],
                            capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_restricted_shell_allows_plain_commands_without_the_engine(tmp_path: Path) -> None:
    config = str(tmp_path / "cfg")
    _gate_loaded(config, "true")  # compiles the rules and the quick index
    assert _gate_loaded(config, "cd /tmp && git status | head -5; ls -la") == set()


def test_restricted_shell_engine_path_imports_nothing_heavy(tmp_path: Path) -> None:
    config = str(tmp_path / "cfg")
    _gate_loaded(config, "true")
    assert _gate_loaded(config, 'git status | grep "$X"') == {"shellgate.engine"}


def test_hook_allows_plain_commands_without_the_engine(tmp_path: Path) -> None:
    config = str(tmp_path / "cfg")
    _gate_loaded(config, "true")
    probe = ("import sys, runpy; before = set(sys.modules); sys.argv[1:] = sys.argv[2:]\n"
             "import atexit\n"
             "atexit.register(lambda: sys.stderr.write('LOADED ' + ' '.join(sorted("
             f"m for m in set(sys.modules) - before if m in {STARTUP_HEAVY!r} + "
             "('shellgate.engine',))) + '\\n'))\n"
             "from shellgate.hooks.__main__ import main\n"
             "from shellgate.surfaces.hooks import run\n"
             "run.finish = lambda status: sys.exit(status)\n"
             "main(sys.argv[1:])\n")
    payload = json.dumps({"session_id": "s", "hook_event_name": "PreToolUse",
                          "tool_name": "Bash", "cwd": str(tmp_path),
                          "tool_input": {"command": "git status && ls -la"}})
    result = subprocess.run([sys.executable, "-I", "-c", probe, "x", "--config", config,
                             "claude-code"], input=payload, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # allowed: no opinion
    loaded = result.stderr.split("LOADED", 1)[1].split()
    assert loaded == []  # not even json: shellgate.surfaces.hooks.jsonin reads the input
