"""The values passed between pipeline stages (parse → classify → decide), and the record
machinery they are declared with.

Value records for the hot paths, without ``dataclasses``.

``import dataclasses`` costs the restricted shell and every hook call ~15 ms on this
project's machines (it imports ``inspect``, ``ast``, ``dis`` and ``tokenize``, and its
decorator execs several functions per class). The values the engine passes around (words,
commands, findings, rules) are declared with :func:`record` instead: the same class syntax
(annotated fields, defaults, :func:`field` factories), one generated ``__init__``, and
``__eq__``, ``__hash__``, ``__repr__`` over the fields. :func:`record` classes are
immutable; :func:`mutable_record` classes are not, and are unhashable like a mutable
dataclass. Type checkers read both as dataclasses (``dataclass_transform``).

Subclassing a record is not supported (no shellgate record needs it).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    import re
    from collections.abc import Callable
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform  # 3.10 has no typing.dataclass_transform

    T = TypeVar("T")

_MISSING = object()


class FrozenRecordError(AttributeError):
    """A field of an immutable record was assigned or deleted."""


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], Any]) -> Any:
    """A field whose default is made fresh for every instance (``default_factory()``)."""
    return _Factory(default_factory)


def fields(cls_or_obj: Any) -> tuple[str, ...]:
    """The field names, in declaration order."""
    names: tuple[str, ...] = cls_or_obj.__record_fields__
    return names


def astuple(obj: Any) -> tuple[Any, ...]:
    """The field values in declaration order (shallow: nested records are kept)."""
    values = obj.__dict__
    return tuple(values[name] for name in obj.__record_fields__)


def replace(obj: T, **changes: Any) -> T:
    """A copy of ``obj`` with some fields changed."""
    values = dict(zip(fields(obj), astuple(obj), strict=True))
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {sorted(unknown)[0]!r}")
    values.update(changes)
    return type(obj)(**values)


def _build(cls: Any, frozen: bool) -> Any:
    for base in cls.__mro__[1:-1]:
        if "__record_fields__" in base.__dict__:
            raise TypeError(f"{cls.__name__}: records cannot subclass records")
    names = tuple(cls.__dict__.get("__annotations__", {}))  # noqa: RUF063 - no inspect here
    namespace: dict[str, object] = {"_MISSING": _MISSING}
    params: list[str] = []
    body: list[str] = []
    for name in names:
        default = cls.__dict__.get(name, _MISSING)
        if isinstance(default, _Factory):
            namespace[f"_f_{name}"] = default.make
            params.append(f"{name}=_MISSING")
            body.append(f" d[{name!r}] = _f_{name}() if {name} is _MISSING else {name}")
            delattr(cls, name)
            continue
        if default is _MISSING:
            if any("=" in p for p in params):
                raise TypeError(f"{cls.__name__}: field {name!r} without a default follows "
                                "one with a default")
            params.append(name)
        else:
            namespace[f"_d_{name}"] = default
            params.append(f"{name}=_d_{name}")
        body.append(f" d[{name!r}] = {name}")
    source = (f"def __init__(self, {', '.join(params)}):\n d = self.__dict__\n"
              + "\n".join(body or [" pass"]) + "\n")

    def first_init(self: Any, *args: Any, **kwargs: Any) -> None:
        # compiled when the first instance is made: a hook call imports ~25 record classes
        # and makes instances of fewer than half of them (compiling costs ~0.1 ms each)
        exec(source, namespace)  # noqa: S102 - source built above from the class's own fields
        init = namespace["__init__"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
        cls.__init__ = init
        init(self, *args, **kwargs)  # type: ignore[operator]

    first_init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = first_init
    cls.__record_fields__ = names
    setattr(cls, "__match_args__", names)  # noqa: B010 - mypy rejects the plain assignment

    def values(self: Any) -> tuple[object, ...]:
        own = self.__dict__
        return tuple(own[name] for name in names)

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return values(self) == values(other)

    def __repr__(self: Any) -> str:
        pairs = zip(names, values(self), strict=True)
        shown = ", ".join(f"{name}={value!r}" for name, value in pairs)
        return f"{type(self).__qualname__}({shown})"

    cls.__eq__ = __eq__
    cls.__repr__ = __repr__
    if frozen:
        def __hash__(self: Any) -> int:
            return hash(values(self))

        def __setattr__(self: Any, name: str, value: object) -> None:
            raise FrozenRecordError(f"cannot assign to field {name!r} of a "
                                    f"{type(self).__name__}")

        def __delattr__(self: Any, name: str) -> None:
            raise FrozenRecordError(f"cannot delete field {name!r} of a {type(self).__name__}")

        cls.__hash__ = __hash__
        cls.__setattr__ = __setattr__
        cls.__delattr__ = __delattr__
    else:
        cls.__hash__ = None
    return cls


if TYPE_CHECKING:
    @dataclass_transform(frozen_default=True, field_specifiers=(field,))
    def record(cls: type[T]) -> type[T]:
        """An immutable record."""

    @dataclass_transform(field_specifiers=(field,))
    def mutable_record(cls: type[T]) -> type[T]:
        """A mutable record (unhashable)."""
else:
    def record(cls):
        """An immutable record: fields fixed at ``__init__``, hashable."""
        return _build(cls, frozen=True)

    def mutable_record(cls):
        """A mutable record (unhashable)."""
        return _build(cls, frozen=False)


def lazy_pattern(source: str) -> Callable[[], re.Pattern[str]]:
    """A regular expression compiled on its first use: call the result for the pattern.

    ``import re`` (it builds ``enum`` flags and imports ``functools`` and ``collections``)
    and compiling at import time cost every engine call milliseconds, for patterns that
    only some commands (awk programs, Makefiles, ``printf`` formats…) ever reach."""
    compiled: list[re.Pattern[str]] = []

    def pattern() -> re.Pattern[str]:
        if not compiled:
            import re

            compiled.append(re.compile(source))
        return compiled[0]

    return pattern


# ---- pipeline values ----

if TYPE_CHECKING:
    from typing import Literal

    Verdict = Literal["allow", "gate", "deny"]
else:
    Verdict = str

_RANK: dict[str, int] = {"allow": 0, "gate": 1, "deny": 2}


def stricter(a: Verdict, b: Verdict) -> Verdict:
    """The stricter of two verdicts (deny > gate > allow)."""
    return a if _RANK[a] >= _RANK[b] else b


@record
class Word:
    """One shell word after quote removal.

    ``value`` is the literal text bash would pass, or None when part of the word is only
    known at run time (a variable, a command substitution); ``prefix`` is then the static
    text before the first dynamic part.
    """

    value: str | None
    source: str = ""
    prefix: str = ""

    @property
    def dynamic(self) -> bool:
        return self.value is None

    def show(self) -> str:
        return self.value if self.value is not None else self.source or "<dynamic>"


def lit(value: str) -> Word:
    """A fully static word."""
    return Word(value, value)


@record
class Redirect:
    """An I/O redirection: ``op`` as written (``>``, ``>>``, ``<``, ``<<``, ``<<<``, …)."""

    op: str
    target: Word | None
    fd: int | None = None
    body: str | None = None


@record
class Stdin:
    """What a command will read on standard input, as far as shellgate can see."""

    text: str | None = None
    opaque: str = ""
    files: tuple[str, ...] = ()

    @property
    def known(self) -> bool:
        return self.text is not None


NO_STDIN = Stdin()
UNKNOWN_STDIN = Stdin(opaque="standard input shellgate cannot see")
"""A command line's own stdin where the surface cannot tell what it holds (scan, check,
hooks): a shell or client reading it needs a human."""


@record
class Command:
    """One simple command that bash would run, after unwrapping."""

    argv: tuple[Word, ...]
    redirects: tuple[Redirect, ...] = ()
    stdin: Stdin = NO_STDIN
    via: tuple[str, ...] = ()

    @property
    def name(self) -> str | None:
        return self.argv[0].value if self.argv else None

    def show(self) -> str:
        return " ".join(_quote(w) for w in self.argv)


def _quote(word: Word) -> str:
    text = word.show()
    if word.value is None:
        return text
    if text and all(c.isalnum() or c in "-_./:=@%+,~^" for c in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


@record
class Problem:
    """Something the parser could not see into: becomes a core finding."""

    kind: str
    detail: str
    via: tuple[str, ...] = ()


@record
class Script:
    """Every simple command found in a command line, nested ones included."""

    commands: tuple[Command, ...]
    problems: tuple[Problem, ...] = ()


@record
class Finding:
    """A rule (or a core check) that matched part of the command."""

    rule_id: str
    summary: str
    why: str
    severity: str
    action: Verdict
    command: str
    via: tuple[str, ...] = ()
    evidence: str = ""


@record
class Decision:
    """The engine's answer for one command line."""

    verdict: Verdict
    findings: tuple[Finding, ...] = ()
    files: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    waived: tuple[Finding, ...] = ()
    """Findings a user's scoped exception waived (shown by ``check``; they decide nothing)."""

    @property
    def rule_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for finding in self.findings:
            seen.setdefault(finding.rule_id, None)
        return list(seen)
