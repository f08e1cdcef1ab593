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


def test_graphql_body_is_read_without_graphql_core() -> None:
    loaded = _loaded("curl -X POST https://backboard.railway.app/graphql/v2 "
                     """-d '{"query":"query { me { id } }"}'""")
    assert "shellgate.payloads.http.graphql" in loaded and "graphql" not in loaded


def test_type_system_documents_still_go_to_graphql_core() -> None:
    loaded = _loaded("curl -X POST https://api.example.com/graphql "
                     """-d '{"query":"type Query { a: Int }"}'""")
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


PAYLOAD_HEAVY = ("graphql", "sqlglot", "dataclasses", "inspect", "typing", "signal", "psutil",
                 "socket", "subprocess", "shellgate.parse.bash.walker",
                 "shellgate.payloads.databases.nosql", "shellgate.payloads.databases.redis",
                 "shellgate.payloads.databases.jsscan", "shellgate.payloads.code.oneliners")
"""What a hook call may not import on its way to a payload decision (each costs ms of the
call; bench/perf.py measures the calls)."""


def _hook_loaded(tmp_path: Path, command: str) -> tuple[subprocess.CompletedProcess[str],
                                                         set[str]]:
    """Run the hook in a fresh interpreter on ``command``: its result and which of
    :data:`PAYLOAD_HEAVY` it imported."""
    config = str(tmp_path / "cfg")
    _gate_loaded(config, "true")  # compiles the rules and the quick index
    probe = ("import sys; before = set(sys.modules); sys.argv[1:] = sys.argv[2:]\n"
             "import atexit\n"
             "atexit.register(lambda: sys.stderr.write('LOADED ' + ' '.join(sorted("
             f"m for m in set(sys.modules) - before if m in {PAYLOAD_HEAVY!r})) + '\\n'))\n"
             "from shellgate.hooks.__main__ import main\n"
             "from shellgate.surfaces.hooks import run\n"
             "run.finish = lambda status: sys.exit(status)\n"
             "main(sys.argv[1:])\n")
    payload = json.dumps({"session_id": "s", "hook_event_name": "PreToolUse",
                          "tool_name": "Bash", "cwd": str(tmp_path),
                          "tool_input": {"command": command}})
    result = subprocess.run([sys.executable, "-I", "-c", probe, "x", "--config", config,
                             "claude-code"], input=payload, capture_output=True, text=True)
    return result, set(result.stderr.split("LOADED", 1)[1].split())


def test_hook_decides_payloads_without_heavy_imports(tmp_path: Path) -> None:
    """Each payload pays only for its own reader: no graphql-core, no other client's
    module, no dataclasses/typing/signal/psutil."""
    query = tmp_path / "q.sql"
    query.write_text("SELECT id FROM users WHERE active;\n")
    own = {"redis-cli": {"shellgate.payloads.databases.nosql",
                         "shellgate.payloads.databases.redis",
                         "shellgate.payloads.databases.jsscan"},
           "mongosh": {"shellgate.payloads.databases.nosql",
                       "shellgate.payloads.databases.redis",
                       "shellgate.payloads.databases.jsscan"},
           "python3": {"shellgate.payloads.code.oneliners"}}
    for command in [
        "curl -X POST https://backboard.railway.app/graphql/v2 -H 'Content-Type: "
        """application/json' -d '{"query":"query Me($n: Int) { me { id } }"}'""",
        'psql -c "SELECT 1"', f"psql -d app -f {query}",
        "psql -d app <<'SQL'\nSELECT id FROM users;\nSQL",
        "redis-cli -h localhost GET session:42",
        "mongosh app --quiet --eval 'db.users.find({active: true})'",
        "python3 -c 'import sys; print(sys.version_info[:2])'",
    ]:
        result, loaded = _hook_loaded(tmp_path, command)
        assert result.returncode == 0 and result.stdout == "", (command, result.stderr)
        allowed = own.get(command.split()[0], set()) | {"shellgate.parse.bash.walker"}
        assert loaded - allowed == set(), command


def test_hook_refuses_an_oversize_command_unread(tmp_path: Path) -> None:
    result, loaded = _hook_loaded(tmp_path, "echo " + "a" * (300 * 1024))
    assert result.returncode == 0
    answer = json.loads(result.stdout)["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny"
    assert "core.too-large" in answer["permissionDecisionReason"]
    assert "shellgate.parse.bash.walker" not in loaded  # never parsed
    trail = (tmp_path / "cfg" / "audit.jsonl").read_text()  # the refusal is audited,
    assert '"denied"' in trail and "refused unread; sha256" in trail  # as a summary
    assert len(trail) < 4096


def test_hook_gated_path_reads_the_ancestry_without_psutil(tmp_path: Path) -> None:
    """No key enrolled: the gated command is refused, after the approval flow ran (it
    audits the refusal) without psutil, signal's enums or socket."""
    result, loaded = _hook_loaded(tmp_path, "git push --force origin main")
    answer = json.loads(result.stdout)["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny"
    assert "git.force-push" in answer["permissionDecisionReason"]
    assert not loaded & {"psutil", "signal", "socket", "graphql", "sqlglot"}


def test_restricted_shell_refuses_an_oversize_script_unread(tmp_path: Path) -> None:
    config = str(tmp_path / "cfg")
    _gate_loaded(config, "true")
    probe = ("import sys\n"
             "from shellgate.surfaces.restricted_shell.main import _gate\n"
             "from shellgate.guard import Refused\n"
             "text = 'echo ' + 'a' * (300 * 1024)\n"
             "try:\n"
             "    _gate(text, ['bash', '-c', text], sys.argv[1])\n"
             "except Refused as exc:\n"
             "    print('REFUSED', exc.message)\n"
             "print('PARSED' if 'shellgate.parse.bash.walker' in sys.modules else 'UNREAD')\n")
    result = subprocess.run([sys.executable, "-I", "-c", probe, config], capture_output=True,
                            text=True, check=True)
    assert result.stdout.startswith("REFUSED") and "core.too-large" in result.stdout
    assert result.stdout.split()[-1] == "UNREAD"


ENGINE_STDLIB = ("re", "enum", "functools", "collections", "contextlib", "fnmatch", "types",
                 "importlib", "warnings", "typing", "dataclasses", "decimal")
"""What the engine path of a hook call does without (tree-sitter's extension loads with
stand-ins for the names it takes from ``re`` and ``enum``; the rules' globs match without
``fnmatch``; regular expressions of rarely met readers compile on first use; the SQL
lexer reads short runs itself and its tokens are plain tuples): together about as much
as the bare interpreter start."""


def test_hook_engine_path_imports_no_regular_expressions(tmp_path: Path) -> None:
    config = str(tmp_path / "cfg")
    _gate_loaded(config, "true")  # compiles the rules and the quick index
    probe = (f"import sys; sys.path[:0] = {sys.path!r}; before = set(sys.modules)\n"
             "sys.argv[1:] = sys.argv[2:]\n"
             "from shellgate.hooks.__main__ import main\n"
             "from shellgate.surfaces.hooks import run\n"
             "def finish(status):\n"
             "    sys.stderr.write('LOADED ' + ' '.join(sorted("
             f"m for m in set(sys.modules) - before if m in {ENGINE_STDLIB!r}"
             " or m == 'shellgate.parse.bash.walker')) + '\\n')\n"
             "    sys.exit(status)\n"
             "run.finish = finish\n"
             "main(sys.argv[1:])\n")
    for command in ("git status > /dev/null && echo $HOME", "cd /tmp && make -n build | tee log",
                    "rm -rf ./build/* 2>/dev/null", 'psql -c "SELECT 1"',
                    "psql -d app <<'SQL'\nSELECT id FROM users WHERE active LIMIT 10;\nSQL"):
        payload = json.dumps({"session_id": "s", "hook_event_name": "PreToolUse",
                              "tool_name": "Bash", "cwd": str(tmp_path),
                              "tool_input": {"command": command}})
        for _ in range(2):  # the first call compiles the rules for this import path
            result = subprocess.run([sys.executable, "-I", "-S", "-c", probe, "x",
                                     "--config", config, "claude-code"], input=payload,
                                    capture_output=True, text=True)
        loaded = result.stderr.split("LOADED", 1)[1].split()
        assert loaded == ["shellgate.parse.bash.walker"], (command, loaded)  # parsed, no re
        assert result.returncode == 0 and result.stdout == "", (command, result.stderr)
