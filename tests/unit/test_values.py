"""shellgate.values: the value records the engine uses instead of dataclasses."""

from __future__ import annotations

import copy
import pickle

import pytest

from shellgate.values import (
    Command,
    Decision,
    FrozenRecordError,
    Word,
    astuple,
    field,
    fields,
    mutable_record,
    record,
    replace,
)


@record
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@mutable_record
class Bag:
    name: str
    items: list[int] = field(default_factory=list)


def test_init_takes_positional_and_keyword_arguments_with_defaults() -> None:
    assert (Point(1).x, Point(1).y, Point(1, 2).y, Point(x=3, y=4).y) == (1, 0, 2, 4)
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, z=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, 2, (), 4)  # type: ignore[call-arg]


def test_equality_and_hash_follow_the_fields() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(2, 1)
    assert Point(1) != (1, 0, ())
    assert len({Point(1, 2), Point(1, 2), Point(2, 2)}) == 2


def test_immutable_records_refuse_assignment_and_deletion() -> None:
    point = Point(1)
    with pytest.raises(FrozenRecordError):
        point.x = 5  # type: ignore[misc]
    with pytest.raises(FrozenRecordError):
        del point.x  # type: ignore[misc]
    assert point.x == 1


def test_mutable_records_get_a_fresh_default_each_and_no_hash() -> None:
    first, second = Bag("a"), Bag("b")
    first.items.append(1)
    assert second.items == []
    first.name = "c"
    assert first == Bag("c", [1])
    with pytest.raises(TypeError):
        hash(first)


def test_repr_fields_astuple_replace() -> None:
    point = Point(1, 2, ("t",))
    assert repr(point) == "Point(x=1, y=2, tags=('t',))"
    assert fields(Point) == ("x", "y", "tags") == fields(point)
    assert astuple(point) == (1, 2, ("t",))
    moved = replace(point, y=7)
    assert (moved, point.y) == (Point(1, 7, ("t",)), 2)
    with pytest.raises(TypeError):
        replace(point, z=1)


def test_copies_and_pickles_round_trip() -> None:
    command = Command((Word("git", "git"), Word(None, "$X")))
    assert copy.deepcopy(command) == command
    assert pickle.loads(pickle.dumps(command)) == command  # noqa: S301 - our own bytes
    decision = Decision("gate")
    assert decision.files == () and decision.findings == ()


def test_required_after_default_and_record_subclasses_are_refused() -> None:
    with pytest.raises(TypeError):
        @record
        class Bad:
            a: int = 1
            b: int

    with pytest.raises(TypeError):
        @record
        class Sub(Point):
            z: int = 0


def test_init_is_compiled_when_the_first_instance_is_made() -> None:
    @record
    class Late:
        a: int
        b: list[int] = field(default_factory=list)

    first = Late.__init__
    with pytest.raises(TypeError):  # a wrong first call still fails as __init__ would
        Late()  # type: ignore[call-arg]
    assert Late.__init__ is not first  # compiled by that call, and kept
    one, two = Late(1), Late(1)
    assert one == two and one.b == [] and one.b is not two.b
    assert Late.__init__.__qualname__.endswith("Late.__init__")
