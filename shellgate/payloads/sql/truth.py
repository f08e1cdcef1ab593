"""Whether a WHERE condition narrows: evaluated on sqlglot's tree, not by string matching.

Constant sub-expressions are evaluated with SQL's three-valued logic; a comparison of an
expression with itself (``x = x``) is decided by its operator; ``p OR NOT p`` holds for
every row. The verdicts are ordered so that AND is their minimum and OR their maximum:
FALSE < NULL < ROWS (depends on the row) < CONST (the same for every row, value not
known) < TRUE. A condition that is TRUE or CONST does not narrow. Helper of
:mod:`shellgate.payloads.sql.statements`; works on any sqlglot node by class name, so it imports
nothing from sqlglot.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

FALSE, NULL, ROWS, CONST, TRUE = range(5)
"""Verdicts, weakest to strongest."""
_UNKNOWN = object()


def truth(e: Any, ties: bool = False) -> int:
    """How a condition holds across rows: one of FALSE, NULL, ROWS, CONST, TRUE.

    ``ties``: the statement reads several tables (``DELETE … USING``, ``UPDATE … FROM``,
    joins), and an equality between columns of two different tables only ties their rows
    together (``o.customer_id = c.id``): it narrows nothing, so it counts as CONST."""
    name = type(e).__name__
    if name == "Paren":
        return truth(e.this, ties)
    if name == "And":
        return min(truth(p, ties) for p in _flatten(e, "And"))
    if name == "Or":
        parts = _flatten(e, "Or")
        if any(_complement(p, q) for p in parts for q in parts[:8]):
            return TRUE  # p OR NOT p
        return max(truth(p, ties) for p in parts)
    if name == "Not":
        inner = truth(e.this, ties)
        return {TRUE: FALSE, FALSE: TRUE}.get(inner, inner)
    if ties and name == "EQ" and _tie(e):
        return CONST
    value = _const(e)
    if value is not _UNKNOWN:
        return _value_truth(value)
    pattern = _const(e.args.get("expression")) if name in ("Like", "ILike") else None
    if name in _COMPARE:
        verdict = _compare(e, name)
    elif isinstance(pattern, str) and pattern and not pattern.strip("%"):
        verdict = TRUE  # LIKE '%'
    else:
        verdict = ROWS if _has_column(e) else CONST
    if e.args.get("negate"):  # sqlglot writes x IS NOT NULL as Is(negate=True)
        verdict = {TRUE: FALSE, FALSE: TRUE}.get(verdict, verdict)
    return verdict


def _complement(p: Any, q: Any) -> bool:
    """``q`` is ``NOT p`` (as Not(p), or p with the opposite ``negate`` flag)."""
    if type(q).__name__ == "Not":
        return bool(q.this == p)
    return (type(p) is type(q) and p.this == q.this and p.args.get("expression") ==
            q.args.get("expression") and bool(p.args.get("negate")) != bool(
                q.args.get("negate")) and type(p).__name__ in ("Is", "Like", "In", "ILike"))


def _flatten(e: Any, op: str) -> list[Any]:
    """The operands of a chain of AND (or OR), without recursion: chains can be long."""
    out, stack = [], [e]
    while stack:
        cur = stack.pop()
        while type(cur).__name__ == "Paren":
            cur = cur.this
        if type(cur).__name__ == op:
            stack += [cur.this, cur.expression]
        else:
            out.append(cur)
    return out


def _value_truth(value: object) -> int:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, Decimal):
        return TRUE if value != 0 else FALSE
    return CONST  # a string as a condition: server-specific conversion


_COMPARE = {
    "EQ": lambda a, b: a == b, "NEQ": lambda a, b: a != b, "GT": lambda a, b: a > b,
    "GTE": lambda a, b: a >= b, "LT": lambda a, b: a < b, "LTE": lambda a, b: a <= b,
    "NullSafeEQ": lambda a, b: a == b, "NullSafeNEQ": lambda a, b: a != b,
    "Is": lambda a, b: a == b,
}
_REFLEXIVE = {"EQ": TRUE, "GTE": TRUE, "LTE": TRUE, "NullSafeEQ": TRUE, "Is": TRUE,
              "NEQ": FALSE, "GT": FALSE, "LT": FALSE, "NullSafeNEQ": FALSE}


def _compare(e: Any, name: str) -> int:
    a, b = _const(e.this), _const(e.expression)
    if a is not _UNKNOWN and b is not _UNKNOWN:
        if name in ("NullSafeEQ", "NullSafeNEQ", "Is"):
            pass
        elif a is None or b is None:
            return NULL
        if isinstance(a, bool) and isinstance(b, Decimal):  # MySQL: TRUE is 1
            a = Decimal(int(a))
        elif isinstance(b, bool) and isinstance(a, Decimal):
            b = Decimal(int(b))
        if type(a) is type(b) or None in (a, b):
            try:
                return TRUE if _COMPARE[name](a, b) else FALSE
            except (TypeError, ArithmeticError):
                return CONST
        return CONST
    if e.this == e.expression and not _volatile(e.this):
        return _REFLEXIVE[name]
    return ROWS if _has_column(e) else CONST


def _const(e: Any) -> object:
    """The Python value of a constant expression, or _UNKNOWN."""
    name = type(e).__name__
    if name == "Literal":
        if e.is_string:
            return str(e.this)
        try:
            return Decimal(str(e.this))
        except InvalidOperation:
            return _UNKNOWN
    if name == "Boolean":
        return bool(e.this)
    if name == "Null":
        return None
    if name == "Paren":
        return _const(e.this)
    if name == "Neg":
        inner = _const(e.this)
        return -inner if isinstance(inner, Decimal) else _UNKNOWN
    if name in ("Add", "Sub", "Mul"):
        a, b = _const(e.this), _const(e.expression)
        if isinstance(a, Decimal) and isinstance(b, Decimal):
            try:
                return a + b if name == "Add" else a - b if name == "Sub" else a * b
            except ArithmeticError:  # 1e999999999 * 1e999999999
                return _UNKNOWN
    return _UNKNOWN


def _tie(e: Any) -> bool:
    """``a.x = b.y``: two columns qualified by different tables (or aliases)."""
    a, b = e.this, e.expression
    if type(a).__name__ != "Column" or type(b).__name__ != "Column":
        return False
    left, right = str(a.table or ""), str(b.table or "")
    return bool(left) and bool(right) and left.lower() != right.lower()


def _has_column(e: Any) -> bool:
    return any(type(n).__name__ == "Column" for n in e.walk())


def _volatile(e: Any) -> bool:
    return any(type(n).__name__ in ("Rand", "Random", "Anonymous") for n in e.walk())
