"""DELETE/UPDATE over several tables whose only condition ties the tables together."""

from __future__ import annotations

import pytest

from shellgate.payloads.sql.statements import classify_sql


@pytest.mark.parametrize(("sql", "dialect"), [
    ("DELETE FROM orders o USING customers c WHERE o.customer_id = c.id", "postgres"),
    ("UPDATE orders SET status = 'void' FROM customers WHERE orders.customer_id = customers.id",
     "postgres"),
    ("DELETE o FROM orders o JOIN customers c ON o.customer_id = c.id", "mysql"),
    ("UPDATE orders o JOIN customers c ON o.customer_id = c.id SET o.total = 0", "mysql"),
    ("DELETE FROM s USING u WHERE s.user_id = u.id AND 1 = 1", "postgres"),
    ("DELETE FROM s USING u WHERE s.user_id = u.id OR s.id = 3", "postgres"),
])
def test_only_ties_is_unscoped(sql: str, dialect: str) -> None:
    kinds = [f.kind for f in classify_sql(sql, dialect)]
    assert any(k in ("sql.delete-unscoped", "sql.update-unscoped") for k in kinds), kinds


@pytest.mark.parametrize(("sql", "dialect"), [
    ("DELETE FROM orders o USING customers c WHERE o.customer_id = c.id AND c.email = 'x'",
     "postgres"),
    ("DELETE o FROM orders o JOIN customers c ON o.customer_id = c.id WHERE c.id = 7", "mysql"),
    ("DELETE FROM t WHERE t.a = t.b", "postgres"),  # one table: a filter, not a tie
    ("DELETE FROM t WHERE a = b", "postgres"),
])
def test_a_narrowing_condition_is_scoped(sql: str, dialect: str) -> None:
    assert classify_sql(sql, dialect) == []
