"""The tool registry is data: a new SQL client, HTTP client or interpreter is a ``[tools.X]``
block in a pattern file, read exactly as the built-in tool it names; a broken block stops
the loader with the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from shellgate.config import Config
from shellgate.engine import engine_only_tools, evaluate
from shellgate.errors import RuleFileError
from shellgate.rules.loader import load_rules, pattern_files
from shellgate.rules.registry import interactive_tools, payload_tools, reader_of, stdin_tools
from shellgate.rules.ruleset import RuleSet
from shellgate.surfaces.fastpath import quick_allow

EXTRA = '''
[tools.pgx]
payload = "sql"
reader = "psql"
stdin = "unseen-first"
interactive = true

[tools.warehouse]
payload = "sql"
reader = "options"
sql_subcommand = ["run"]
sql_options = ["--sql"]
sql_file_options = ["--sql-file"]
dialect = "postgres"
stdin = "unseen-first"

[tools.fetchy]
payload = "http"
reader = "curl"
stdin = "unseen-first"

[tools.py3x]
payload = "code"
reader = "python"
stdin = "payload"
'''


def _with_extra(tmp_path: Path, text: str = EXTRA) -> RuleSet:
    user = tmp_path / "patterns"
    user.mkdir(exist_ok=True)
    (user / "local-tools.toml").write_text(text)
    return load_rules(pattern_files(user))


VOLUME_DELETE = """'{"query":"mutation { volumeDelete(volumeId: \\"v1\\") }"}'"""

# Each pair: a command of the registered tool, and the same command of the built-in tool it
# reads like. The registered one must get the same verdict and the same rules.
PAIRS = [
    ("pgx -c 'DROP TABLE users'", "psql -c 'DROP TABLE users'"),
    ("pgx -c 'DELETE FROM users'", "psql -c 'DELETE FROM users'"),
    ("pgx -c 'SELECT 1'", "psql -c 'SELECT 1'"),
    ("pgx -f drop.sql", "psql -f drop.sql"),
    ("pgx db <<'EOF'\nTRUNCATE audit;\nEOF", "psql db <<'EOF'\nTRUNCATE audit;\nEOF"),
    ("fetchy -X DELETE https://api.github.com/repos/acme/app",
     "curl -X DELETE https://api.github.com/repos/acme/app"),
    ("fetchy -X POST https://backboard.railway.app/graphql/v2 -d " + VOLUME_DELETE,
     "curl -X POST https://backboard.railway.app/graphql/v2 -d " + VOLUME_DELETE),
    ("fetchy https://example.com", "curl https://example.com"),
    ("""py3x -c 'import os; os.system("rm -rf /srv/data")'""",
     """python3 -c 'import os; os.system("rm -rf /srv/data")'"""),
    ("""py3x -c 'import requests; requests.delete("https://api.stripe.com/v1/customers/cus_1")'""",
     """python3 -c 'import requests; requests.delete("https://api.stripe.com/v1/customers/cus_1")'"""),
    ("py3x -c 'print(1)'", "python3 -c 'print(1)'"),
]


@pytest.mark.parametrize(("registered", "builtin"), PAIRS)
def test_a_registered_tool_is_read_like_the_builtin_it_names(
        tmp_path: Path, registered: str, builtin: str) -> None:
    rules = _with_extra(tmp_path)
    files = {"drop.sql": b"DROP TABLE users;"}

    def read(path: str) -> bytes | None:
        return files.get(path)

    mine, theirs = evaluate(registered, rules, read), evaluate(builtin, rules, read)
    assert (mine.verdict, mine.rule_ids) == (theirs.verdict, theirs.rule_ids)


def test_the_pairs_cover_gates_and_passes(tmp_path: Path) -> None:
    rules = _with_extra(tmp_path)
    verdicts = {evaluate(builtin, rules, lambda _p: b"DROP TABLE users;").verdict
                for _, builtin in PAIRS}
    assert verdicts == {"allow", "gate"}


def test_an_unregistered_tool_gets_no_payload_reading(tmp_path: Path) -> None:
    """The control: without the block, the same command is an ordinary unknown tool."""
    rules = load_rules(pattern_files(None))
    assert "pgx" not in payload_tools(rules)
    assert evaluate("pgx -c 'SELECT 1'", rules).verdict == "allow"


@pytest.mark.parametrize(("command", "verdict"), [
    ("warehouse run --sql 'DROP TABLE orders'", "gate"),
    ("warehouse run --sql-file wipe.sql", "gate"),
    ("warehouse run --sql 'SELECT count(*) FROM orders'", "allow"),
    ("warehouse status --sql 'DROP TABLE orders'", "allow"),  # not the sub-command that runs SQL
])
def test_an_options_reader_client_from_toml_alone(tmp_path: Path, command: str,
                                                  verdict: str) -> None:
    rules = _with_extra(tmp_path)
    decision = evaluate(command, rules, {"wipe.sql": b"DELETE FROM orders;"}.get)
    assert decision.verdict == verdict


def test_registry_views(tmp_path: Path) -> None:
    rules = _with_extra(tmp_path)
    assert {"pgx", "warehouse", "fetchy", "py3x", "psql", "curl", "python3"} <= payload_tools(rules)
    assert payload_tools(rules, "http") >= {"fetchy", "curl", "wget"}
    assert "pgx" in interactive_tools(rules) and "warehouse" not in interactive_tools(rules)
    assert {"pgx", "fetchy", "py3x"} <= stdin_tools(rules)
    assert reader_of(rules, "pgx") == ("sql", "psql")
    assert reader_of(rules, "psql") == ("sql", "psql")
    assert reader_of(rules, "git") == ("", "")
    assert {"pgx", "warehouse", "fetchy", "py3x"} <= engine_only_tools(rules)


def test_the_fast_path_leaves_a_registered_tool_to_the_engine(tmp_path: Path) -> None:
    config_dir = tmp_path / "cfg"
    (config_dir / "patterns").mkdir(parents=True)
    (config_dir / "patterns" / "local-tools.toml").write_text(EXTRA)
    rules = Config.at(config_dir).rules()  # compiles the cache and the quick index
    assert evaluate("pgx -c 'DROP TABLE users'", rules).verdict == "gate"
    assert not quick_allow(["pgx", "-c", "DROP TABLE users"], str(config_dir))
    assert not quick_allow(["fetchy", "-X", "DELETE", "https://x.example/a"], str(config_dir))
    assert quick_allow(["uname", "-a"], str(config_dir))  # the index itself works


@pytest.mark.parametrize(("block", "key", "message"), [
    ('[tools.q]\npayload = "graph"', "tools.q.payload", "expected one of"),
    ('[tools.q]\npayload = "sql"\nreader = "oracle-magic"', "tools.q.reader", "no sql reader"),
    ('[tools.q]\npayload = "sql"', "tools.q.reader", "no sql reader named 'q'"),
    ('[tools.q]\nreader = "psql"', "tools.q.reader", "only meaningful with a payload"),
    ('[tools.q]\npayload = "sql"\nreader = "psql"\ndialect = "postgres"', "tools.q.dialect",
     'reader = "options"'),
    ('[tools.q]\npayload = "sql"\nreader = "options"\ndialect = "cobol"', "tools.q.dialect",
     "expected one of"),
    ('[tools.q]\npayload = "http"\nreader = "curl"\nstdin = "sometimes"', "tools.q.stdin",
     "expected one of"),
    ('[tools.q]\npayload = "sql"\nreader = "psql"\nsql_options = ["-x"]', "tools.q.reader",
     "sql_* keys need"),
    ('[tools.q]\npayload = 3', "tools.q.payload", "expected a string"),
    ('[tools.q]\npayload = "code"\nreader = "python"\ninteractive = "yes"',
     "tools.q.interactive", ""),
])
def test_a_broken_registry_entry_stops_the_loader(tmp_path: Path, block: str, key: str,
                                                  message: str) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(block + "\n")
    with pytest.raises(RuleFileError) as caught:
        load_rules([path])
    text = str(caught.value)
    assert text.startswith("mine.toml:1 ") and key in text and message in text
