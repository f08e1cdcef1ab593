"""Statement boundaries and decisions at interactive database prompts (no pty here: the
sessions themselves run in tests/integration/test_interactive.py)."""

from __future__ import annotations

import pytest

from shellgate.config import Config
from shellgate.rules.ruleset import RuleSet
from shellgate.surfaces.db_client.session import ClientSession
from shellgate.surfaces.db_client.split import (
    Ready,
    StatementBuffer,
    classify,
    js_incomplete,
    language,
)


def feed(tool: str, *lines: str) -> tuple[StatementBuffer, list[Ready | None]]:
    buffer = StatementBuffer(tool)
    results = []
    for line in lines:
        ready = buffer.feed(line)
        results.append(ready)
        if ready is not None:
            buffer.sent()
    return buffer, results


@pytest.mark.parametrize(("lines", "sent_at"), [
    (["SELECT 1;"], [0]),
    (["SELECT", "1;"], [1]),
    (["SELECT 1 -- no end;"], []),
    (["SELECT 'a;", "b';"], [1]),
    (["SELECT $$ ; $$", ";"], [1]),
    (["/* ;", "*/ SELECT 1;"], [1]),
    (["\\dt"], [0]),
    (["SELECT 1 \\g"], [0]),
    (["-- DROP TABLE users"], [0]),
    (["COPY t FROM STDIN;", "1", "\\."], [2]),
])
def test_psql_lines_are_held_until_the_client_would_act(lines: list[str],
                                                        sent_at: list[int]) -> None:
    _, results = feed("psql", *lines)
    assert [i for i, r in enumerate(results) if r is not None] == sent_at


def test_a_split_statement_is_inspected_whole() -> None:
    _, results = feed("psql", "DROP TABLE", "users;")
    ready = results[1]
    assert ready is not None and ready.lines == ("DROP TABLE", "users;")
    assert [f.kind for f in classify("psql", ready.text)] == ["sql.drop"]


def test_a_client_command_inside_an_open_statement_is_sent_alone() -> None:
    buffer, results = feed("psql", "DELETE FROM users", "\\echo hi")
    ready = results[1]
    assert ready is not None and ready.text == "\\echo hi"
    assert buffer.holding  # the client still holds the open DELETE
    closing = buffer.feed(";")
    assert closing is not None and closing.lines == (";",)
    assert "sql.delete-unscoped" in [f.kind for f in classify("psql", closing.text)]


def test_dropping_an_open_statement_clears_the_clients_buffer() -> None:
    buffer, _ = feed("psql", "DROP TABLE x", "\\echo hi")
    assert buffer.drop() == "\\r"
    assert not buffer.holding
    held = StatementBuffer("mysql")
    assert held.feed("DROP TABLE x") is None
    assert held.drop() is None  # nothing reached the client: nothing to clear


def test_mysql_delimiter_carries_over_between_statements() -> None:
    buffer, results = feed("mysql", "DELIMITER //",
                           "CREATE PROCEDURE p() BEGIN DROP TABLE t; END//")
    assert results[0] is not None
    ready = results[1]
    assert ready is not None and "sql.drop" in [f.kind for f in classify("mysql", ready.text)]
    assert not buffer.holding


def test_redis_is_one_command_a_line() -> None:
    _, results = feed("redis-cli", "GET k", "FLUSHALL")
    assert all(r is not None for r in results)
    assert classify("redis-cli", "GET k") == []
    assert [f.kind for f in classify("redis-cli", "FLUSHALL")] == ["redis.flush"]
    assert [f.kind for f in classify("redis-cli", "3 flushdb async")] == ["redis.flush"]


@pytest.mark.parametrize(("text", "incomplete"), [
    ("db.users.find({})", False),
    ("db.users.find({", True),
    ("db.users.", True),
    ("db['us' +", True),
    ("/* open", True),
    ("`a ${", True),
    ("'unterminated", False),  # an error, not a continuation: judged (and refused) now
    ("x = 1;", False),
])
def test_mongosh_statement_ends(text: str, incomplete: bool) -> None:
    assert js_incomplete(text) is incomplete


@pytest.mark.parametrize(("tool", "text", "kind"), [
    ("psql", "\\e", "sql.dynamic"),
    ("psql", "\\ef my_function", "sql.dynamic"),
    ("psql", "\\i wipe.sql", "sql.include"),
    ("psql", "\\! rm -rf /", "sql.shell"),
    ("mysql", "edit", "sql.dynamic"),
    ("mongosh", ".editor", "mongo.dynamic"),
    ("mongosh", ".load wipe.js", "mongo.dynamic"),
    ("mongosh", "db.dropDatabase()", "mongo.drop-database"),
])
def test_what_escapes_the_prompt_is_flagged(tool: str, text: str, kind: str) -> None:
    assert kind in [f.kind for f in classify(tool, text)]


@pytest.mark.parametrize("text", ["SELECT 1;", "-- DROP TABLE users\nSELECT 1;",
                                  "SELECT 'DROP TABLE users';", "\\dt", "\\r"])
def test_harmless_statements_pass(text: str) -> None:
    assert classify("psql", text) == []


def test_languages() -> None:
    assert language("/usr/bin/mariadb") == ("sql", "mysql")
    assert language("valkey-cli") == ("redis", "")
    assert language("mongo") == ("mongo", "")


def test_session_decisions_use_the_payload_rules(rules: RuleSet, tmp_path: object) -> None:
    session = ClientSession("psql", ["psql", "-h", "db"], Config.at(str(tmp_path)), rules)
    assert session.decide("SELECT 1;").verdict == "allow"
    drop = session.decide("DROP TABLE users;")
    assert drop.verdict == "gate" and drop.rule_ids == ["sql.drop"]
    assert drop.findings[0].via == ("psql prompt",)
    assert session.decide("\\i x.sql").rule_ids == ["sql.unseen"]
