"""Allowed commands that carry no payload pay nothing for SQL, GraphQL or HTTP parsing."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlglot", "graphql", "shellgate.inspect.sql", "shellgate.inspect.graphql",
         "shellgate.inspect.http", "shellgate.inspect.dbclients", "click", "bashlex")

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
