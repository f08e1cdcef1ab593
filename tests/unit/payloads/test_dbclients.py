"""Database-client invocations: where the payload comes from, what is opaque, what it does."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from shellgate.payloads.databases.clients import (
    DB_CLIENTS,
    INTERACTIVE,
    MAX_PAYLOAD,
    STDIN_OPAQUE,
    DbPayload,
    db_payload,
)

FILES: dict[str, bytes] = {
    "drop.sql": b"DROP TABLE a;",
    "ok.sql": b"SELECT 1;",
    "main.sql": b"SELECT 1;\n\\i drop.sql\n",
    "dir/main.sql": b"\\ir inner.sql\n\\i ok.sql\n",
    "dir/inner.sql": b"TRUNCATE t;",
    "loop.sql": b"\\i loop.sql\n",
    "missing_inner.sql": b"\\i nowhere.sql\n",
    "src.sql": b"DELETE FROM t;",
    "my.cnf": b"[client]\nuser = app\n[mysql]\ninit_command='DROP TABLE x'\n",
    "plain.cnf": b"[client]\nuser = app\n",
    "wipe.js": b"db.users.drop()",
    "read.js": b"db.users.find()",
    "wipe.lua": b"return redis.call('FLUSHALL')",
    "big.sql": b"SELECT 1;" + b" " * MAX_PAYLOAD,
    "crlf.sql": b"DROP TABLE t;\r\n",
}


def read(path: str) -> bytes | None:
    if path == "raises.sql":
        raise PermissionError(path)
    return FILES.get(path)


def run(argv: Sequence[str | None], stdin: str | None = None,
        stdin_opaque: bool = False) -> DbPayload:
    tool = argv[0]
    assert tool is not None
    payload = db_payload(tool, argv, stdin, stdin_opaque, read)
    assert payload is not None
    return payload


def kinds(p: DbPayload) -> set[str]:
    return {f.kind for f in p.findings}


# argv, stdin, stdin_opaque, finding kinds, opaque reasons, files
CASES: list[tuple[list[str | None], str | None, bool, set[str], tuple[str, ...],
                  tuple[str, ...]]] = [
    # psql
    (["psql", "app", "-c", "DROP TABLE t"], None, False, {"sql.drop"}, (), ()),
    (["psql", "--command=DELETE FROM users", "app"], None, False, {"sql.delete-unscoped"},
     (), ()),
    (["psql", "--comm", "TRUNCATE t"], None, False, {"sql.truncate"}, (), ()),
    (["psql", "-Atc", "DROP TABLE t", "app"], None, False, {"sql.drop"}, (), ()),
    (["psql", "-cDROP TABLE t"], None, False, {"sql.drop"}, (), ()),
    (["psql", "-c", "SELECT 1", "-c", "DROP TABLE t"], None, False, {"sql.drop"}, (), ()),
    (["psql", "-v", "x=1", "-U", "u", "-h", "h", "-p", "5432", "-d", "app", "-c",
      "SELECT 1"], None, False, set(), (), ()),
    (["psql", "-X", "-q", "-1", "-f", "drop.sql", None], None, False, {"sql.drop"}, (),
     ("drop.sql",)),
    (["psql", "--file=ok.sql"], "DROP TABLE ignored", False, set(), (), ("ok.sql",)),
    (["psql", "-f", "-"], "DROP TABLE t;", False, {"sql.drop"}, (), ()),
    (["psql", "-f", "-"], None, True, set(), (STDIN_OPAQUE,), ()),
    (["psql", "app"], "TRUNCATE t;", False, {"sql.truncate"}, (), ()),
    (["psql", "app"], None, True, set(), (STDIN_OPAQUE,), ()),
    (["psql", "app"], None, False, set(), (INTERACTIVE,), ()),
    (["psql", "app", "-c", None], None, False, set(), ("the -c SQL is computed at run time",),
     ()),
    (["psql", "app", "-f", None], None, False, set(),
     ("a payload file's name is computed at run time",), ()),
    (["psql", "app", "-f", "gone.sql"], None, False, set(), ("file gone.sql not visible",),
     ("gone.sql",)),
    (["psql", "app", "-f", "raises.sql"], None, False, set(),
     ("file raises.sql not visible",), ("raises.sql",)),
    (["psql", "-f", "main.sql"], None, False, {"sql.drop"}, (), ("main.sql", "drop.sql")),
    (["psql", "-f", "dir/main.sql"], None, False, {"sql.truncate"}, (),
     ("dir/main.sql", "dir/inner.sql", "ok.sql")),
    (["psql", "-c", "\\i missing_inner.sql"], None, False, set(),
     ("file nowhere.sql not visible",), ("missing_inner.sql", "nowhere.sql")),
    (["psql", "-f", "loop.sql"], None, False, set(),
     ("file loop.sql is included too deeply to inspect",), ("loop.sql",)),
    (["psql", "-o", "|sh", "-c", "SELECT 1"], None, False, {"sql.shell"}, (), ()),
    (["psql", "-o", None, "-c", "SELECT 1"], None, False, set(),
     ("the -o output target is computed at run time (it may be |command)",), ()),
    (["psql", "-l"], None, False, set(), (), ()),
    (["psql", "--version"], None, False, set(), (), ()),
    (["psql", "app", "-f", "big.sql"], None, False, set(), ("payload too large to inspect",),
     ("big.sql",)),
    (["psql", "-f", "crlf.sql"], None, False, {"sql.drop"}, (), ("crlf.sql",)),
    (["psql", "--", "-c"], None, False, set(), (INTERACTIVE,), ()),
    # mysql / mariadb
    (["mysql", "-e", "DROP DATABASE shop"], None, False, {"sql.drop"}, (), ()),
    (["mysql", "--execute=TRUNCATE t", "shop"], None, False, {"sql.truncate"}, (), ()),
    (["mysql", "--exec", "TRUNCATE t"], None, False, {"sql.truncate"}, (), ()),
    (["mysql", "--loose-execute=DROP TABLE t"], None, False, {"sql.drop"}, (), ()),
    (["mysql", "-BNe", "DROP TABLE t"], None, False, {"sql.drop"}, (), ()),
    (["mysql", "-uroot", "-psecret", "shop", "-e", "SELECT 1"], None, False, set(), (), ()),
    (["mysql", "-p", "shop"], "DELETE FROM t", False, {"sql.delete-unscoped"}, (), ()),
    (["mysql", "--init-command=DROP TABLE t", "-e", "SELECT 1"], None, False, {"sql.drop"},
     (), ()),
    (["mysql", "--init_command", "DROP TABLE t", "-e", "SELECT 1"], None, False,
     {"sql.drop"}, (), ()),
    (["mysql", "--defaults-file=my.cnf", "-e", "SELECT 1"], None, False, {"sql.drop"}, (),
     ("my.cnf",)),
    (["mysql", "--defaults-extra-file=plain.cnf", "-e", "SELECT 1"], None, False, set(), (),
     ("plain.cnf",)),
    (["mysql", "--defaults-extra-file=nope.cnf", "-e", "SELECT 1"], None, False, set(),
     ("option file nope.cnf not visible (it may set init-command)",), ("nope.cnf",)),
    (["mysql", "shop", "-e", "source src.sql"], None, False, {"sql.delete-unscoped"}, (),
     ("src.sql",)),
    (["mysql", "shop"], "\\. drop.sql\n", False, {"sql.drop"}, (), ("drop.sql",)),
    (["mariadb", "-e", "DROP TABLE t"], None, False, {"sql.drop"}, (), ()),
    (["mysql", "--help"], None, False, set(), (), ()),
    # sqlite3 / duckdb
    (["sqlite3", "app.db", "DROP TABLE users"], None, False, {"sql.drop"}, (), ()),
    (["sqlite3", "app.db", "SELECT 1", ".tables"], "DROP TABLE t", False, set(), (), ()),
    (["sqlite3", "-cmd", "DELETE FROM s", "app.db", ".quit"], None, False,
     {"sql.delete-unscoped"}, (), ()),
    (["sqlite3", "--cmd", "DELETE FROM s", "app.db"], None, False, {"sql.delete-unscoped"},
     (INTERACTIVE,), ()),
    (["sqlite3", "-init", "drop.sql", "app.db", "SELECT 1"], None, False, {"sql.drop"}, (),
     ("drop.sql",)),
    (["sqlite3", "app.db", ".read drop.sql"], None, False, {"sql.drop"}, (), ("drop.sql",)),
    (["sqlite3", "-header", "-csv", "app.db"], "UPDATE u SET a = 1;", False,
     {"sql.update-unscoped"}, (), ()),
    (["sqlite3", "-lookaside", "10", "20", "app.db", "DROP TABLE t"], None, False,
     {"sql.drop"}, (), ()),
    (["sqlite3", "app.db", None], None, False, set(),
     ("the SQL argument is computed at run time",), ()),
    (["sqlite3", "app.db", "-A", "x"], None, False, set(),
     ("sqlite archive mode is not inspected",), ()),
    (["duckdb", "w.db", "-c", "DROP TABLE e"], None, False, {"sql.drop"}, (), ()),
    (["duckdb", "w.db", "-f", "drop.sql"], None, False, {"sql.drop"}, (), ("drop.sql",)),
    (["duckdb", "w.db"], None, True, set(), (STDIN_OPAQUE,), ()),
    # clickhouse
    (["clickhouse-client", "--query", "DROP TABLE t"], None, False, {"sql.drop"}, (), ()),
    (["clickhouse-client", "-q", "SELECT 1"], "DROP TABLE data", False, set(), (), ()),
    (["clickhouse-client", "--max_threads", "4", "-n", "-q", "TRUNCATE t"], None, False,
     {"sql.truncate"}, (), ()),
    (["clickhouse-client", "--queries-file", "drop.sql"], None, False, {"sql.drop"}, (),
     ("drop.sql",)),
    (["clickhouse-client", "--multiquery"], "DROP TABLE t", False, {"sql.drop"}, (), ()),
    (["clickhouse", "client", "--query", "DROP TABLE t"], None, False, {"sql.drop"}, (), ()),
    (["clickhouse-client", "clickhouse://h:9000"], None, False, set(), (INTERACTIVE,), ()),
    # cockroach
    (["cockroach", "sql", "--insecure", "-e", "TRUNCATE t", "-e", "SELECT 1"], None, False,
     {"sql.truncate"}, (), ()),
    (["cockroach", "sql", "--url", None, "--execute=DROP DATABASE b CASCADE"], None, False,
     {"sql.drop"}, (), ()),
    (["cockroach", "sql", "-f", "drop.sql"], None, False, {"sql.drop"}, (), ("drop.sql",)),
    (["cockroach", "sql"], None, False, set(), (INTERACTIVE,), ()),
    # usql: the DSN names the dialect
    (["usql", "my://u@h/db", "-c", "SELECT 'a\\'; DROP TABLE t; -- '"], None, False, set(),
     (), ()),
    (["usql", "pg://u@h/db", "-c", "SELECT 'a\\'; DROP TABLE t; -- '"], None, False,
     {"sql.drop"}, (), ()),
    # mongosh / mongo
    (["mongosh", "app", "--eval", "db.users.drop()"], None, False, {"mongo.drop-collection"},
     (), ()),
    (["mongosh", None, "--quiet", "--eval", "db.stats()"], None, False, set(), (), ()),
    (["mongosh", "app", "wipe.js"], None, False, {"mongo.drop-collection"}, (), ("wipe.js",)),
    (["mongosh", "app", "-f", "read.js", "--file", "wipe.js"], None, False,
     {"mongo.drop-collection"}, (), ("read.js", "wipe.js")),
    (["mongosh", None, "migrate.js"], None, False, set(), ("file migrate.js not visible",),
     ("migrate.js",)),
    (["mongosh", "app"], "db.carts.drop()", False, {"mongo.drop-collection"}, (), ()),
    (["mongosh", "app"], None, True, set(), (STDIN_OPAQUE,), ()),
    (["mongosh", "app", "--eval", "db.x.find()", "--shell"], None, False, set(),
     (INTERACTIVE,), ()),
    (["mongosh", "-u", "admin", "-p", "pw", "--authenticationDatabase", "admin", "app",
      "--eval", "db.dropDatabase()"], None, False, {"mongo.drop-database"}, (), ()),
    (["mongo", "app", "--eval", "db.sessions.remove({})"], None, False,
     {"mongo.delete-unscoped"}, (), ()),
    (["mongosh", "--eval", None], None, False, set(),
     ("the --eval script is computed at run time",), ()),
    # redis-cli
    (["redis-cli", "FLUSHALL"], None, False, {"redis.flush"}, (), ()),
    (["redis-cli", "-h", "h", "-a", None, "flushdb"], None, False, {"redis.flush"}, (), ()),
    (["redis-cli", "-n", "2", "FLUSHDB", "ASYNC"], None, False, {"redis.flush"}, (), ()),
    (["redis-cli", "GET", "-h"], None, False, set(), (), ()),
    (["redis-cli", None, "x"], None, False, set(),
     ("the Redis command's name is computed at run time",), ()),
    (["redis-cli", "CONFIG", None, "dir", "/x"], None, False, {"redis.config"}, (), ()),
    (["redis-cli", "del", None], None, False, {"redis.dynamic"}, (), ()),  # xargs input
    (["redis-cli", "UNLINK", "a", None], None, False, {"redis.dynamic"}, (), ()),
    (["redis-cli", "DEL", "session:1"], None, False, set(), (), ()),
    (["redis-cli", "-h", "cache"], "PING\nFLUSHALL\n", False, {"redis.flush"}, (), ()),
    (["redis-cli"], None, True, set(), (STDIN_OPAQUE,), ()),
    (["redis-cli"], None, False, set(), (INTERACTIVE,), ()),
    (["redis-cli", "--pipe"], "*1\r\n$8\r\nFLUSHALL\r\n", False, {"redis.flush"}, (), ()),
    (["redis-cli", "--pipe"], None, True, set(), (STDIN_OPAQUE,), ()),
    (["redis-cli", "-x", "SET", "k"], "FLUSHALL", False, set(), (), ()),
    (["redis-cli", "--eval", "wipe.lua", "k", ",", "a"], None, False, {"redis.dynamic"}, (),
     ("wipe.lua",)),
    (["redis-cli", "--eval", "nope.lua"], None, False, {"redis.dynamic"},
     ("file nope.lua not visible",), ("nope.lua",)),
    (["redis-cli", "--cluster", "call", "h:7000", "FLUSHALL"], None, False, {"redis.flush"},
     (), ()),
    (["redis-cli", "--cluster", "del-node", "h:7000", "id"], None, False, {"redis.config"},
     (), ()),
    (["redis-cli", "--cluster", "check", "h:7000"], None, False, set(), (), ()),
    (["redis-cli", "--scan", "--pattern", "session:*"], None, False, set(), (), ()),
    (["redis-cli", "--bigkeys"], None, True, set(), (), ()),
]


@pytest.mark.parametrize(("argv", "stdin", "stdin_opaque", "expected", "opaque", "files"),
                         CASES)
def test_db_payload(argv: list[str | None], stdin: str | None, stdin_opaque: bool,
                    expected: set[str], opaque: tuple[str, ...], files: tuple[str, ...]) -> None:
    payload = run(argv, stdin, stdin_opaque)
    assert kinds(payload) == expected
    assert payload.opaque == opaque
    assert payload.files == files


def test_language_dialect_and_texts() -> None:
    p = run(["psql", "-c", "SELECT 1", "-f", "ok.sql"])
    assert (p.language, p.dialect, p.texts) == ("sql", "postgres", ("SELECT 1", "SELECT 1;"))
    assert run(["cockroach", "sql", "-e", "SELECT 1"]).dialect == "cockroach"
    assert run(["clickhouse-client", "-q", "SELECT 1"]).dialect == "clickhouse"
    assert run(["duckdb", "-c", "SELECT 1"]).dialect == "duckdb"
    assert run(["usql", "sqlite:app.db", "-c", "SELECT 1"]).dialect == "sqlite"
    assert run(["usql", "odbc+x://h", "-c", "SELECT 1"]).dialect == "generic"
    m = run(["mongosh", "--eval", "db.x.find()"])
    assert (m.language, m.dialect, m.texts) == ("mongo", "", ("db.x.find()",))
    r = run(["redis-cli", "SET", "k", None])
    assert (r.language, r.dialect, r.texts) == ("redis", "", ("SET k $…",))


def test_findings_carry_the_statement() -> None:
    [finding] = run(["psql", "-f", "main.sql"]).findings
    assert finding.detail == "DROP TABLE a — drops the table"


def test_tools_not_handled_return_none() -> None:
    assert db_payload("curl", ["curl", "x"], None, False, read) is None
    assert db_payload("clickhouse", ["clickhouse", "local", "-q", "DROP TABLE t"], None,
                      False, read) is None
    assert db_payload("cockroach", ["cockroach", "start"], None, False, read) is None


def test_every_client_is_handled() -> None:
    for tool in DB_CLIENTS:
        argv = [tool, "client"] if tool == "clickhouse" else [tool, "sql"] if (
            tool == "cockroach") else [tool]
        assert db_payload(tool, argv, None, False, read) is not None, tool
