"""``graphql_reader`` held to graphql-core: on every generated document, what the reader
reads is exactly what graphql-core reads, and what it leaves alone graphql-core decides.

Documents come from a grammar (operations of every type and shorthand, names, aliases,
arguments with every kind of value, variables and defaults, directives, fragments and
spreads, inline fragments, strings with escapes, block strings, comments, commas, byte
order marks, several operations) and from damaging those documents one character at a
time, which makes near-misses of every token.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shellgate.payloads.http import graphql_reader
from shellgate.payloads.http.graphql import graphql_core_document, graphql_from_document

NAMES = ["a", "me", "user", "on", "query", "mutation", "fragment", "true", "null", "_x1",
         "volumeDelete", "deleteRepository", "__typename", "subscription", "Query", "F"]
names = st.sampled_from(NAMES)
ignored = st.sampled_from([" ", "", "\n", ",", "\t", "\r\n", "\ufeff", " # note\n",
                           "#x\r", ",,", "\r"])

strings = st.sampled_from([
    '""', '"x"', r'"a\"b"', r'"\\"', r'"\/\b\f\n\r\t"', r'"\u00e9"', r'"\uD83D\uDE00"',
    r'"\u{1F600}"', r'"\ud800"', '"é 🙂"', '"""block"""', '"""a\\"""b"""', '"""\n  x\n"""',
    '""""""', '"""a""b"""', r'"\x"', '"a\nb"', '"""un', '"\t"', '"\x00"'])
numbers = st.sampled_from(["0", "-1", "12", "1.5", "1e3", "-0.5E-2", "00", "1.", "1e",
                           "0x1", ".5", "1_0", "-"])


@st.composite
def values(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.integers(0, 6 if depth < 1 else 4))
    if kind == 0:
        return draw(numbers)
    if kind == 1:
        return draw(strings)
    if kind == 2:
        return draw(names)
    if kind in (3, 4):
        return "$" + draw(names)
    if kind == 5:
        items = draw(st.lists(values(depth + 1), max_size=2))
        return "[" + draw(ignored).join(items) + "]"
    fields = draw(st.lists(st.tuples(names, values(depth + 1)), max_size=2))
    return "{" + " ".join(f"{k}:{draw(ignored)}{v}" for k, v in fields) + "}"


@st.composite
def arguments(draw: st.DrawFn) -> str:
    args = draw(st.lists(st.tuples(names, values()), max_size=2))
    if not args:
        return draw(st.sampled_from(["", "", "()"]))
    return "(" + draw(ignored).join(f"{k}: {v}" for k, v in args) + ")"


@st.composite
def directives(draw: st.DrawFn) -> str:
    found = draw(st.lists(st.tuples(names, arguments()), max_size=1))
    return "".join(f" @{n}{a}" for n, a in found)


@st.composite
def selection_sets(draw: st.DrawFn, depth: int = 0) -> str:
    selections = draw(st.lists(selections_(depth), min_size=0 if depth else 1, max_size=3))
    return "{" + draw(ignored) + draw(ignored).join(selections) + draw(ignored) + "}"


@st.composite
def selections_(draw: st.DrawFn, depth: int) -> str:
    kind = draw(st.integers(0, 3 if depth < 2 else 1))
    if kind <= 1:
        alias = draw(st.sampled_from(["", "", "alias: ", "a:"]))
        tail = draw(selection_sets(depth + 1)) if depth < 2 and draw(st.booleans()) else ""
        return f"{alias}{draw(names)}{draw(arguments())}{draw(directives())} {tail}"
    if kind == 2:
        return "..." + draw(names) + draw(directives())
    condition = draw(st.sampled_from(["", " on User", "on Query", " on on"]))
    return f"...{condition}{draw(directives())} {draw(selection_sets(depth + 1))}"


types = st.sampled_from(["Int", "Int!", "[Int]", "[Int!]!", "[[ID]]", "Int!!", "[Int"])


@st.composite
def variable_definitions(draw: st.DrawFn) -> str:
    found = draw(st.lists(st.tuples(names, types, st.booleans()), max_size=3))
    if not found:
        return ""
    parts = [f"${n}: {t}" + (f" = {draw(values())}" if d else "") + draw(directives())
             for n, t, d in found]
    return "(" + draw(ignored).join(parts) + ")"


@st.composite
def definitions(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 5))
    body = draw(selection_sets())
    if kind == 0:
        return body
    if kind <= 3:
        operation = ["query", "mutation", "subscription"][kind - 1]
        name = draw(st.sampled_from(["", " Op", " Other", " Op"]))
        return f"{operation}{name}{draw(variable_definitions())}{draw(directives())} {body}"
    if kind == 4:
        return f"fragment {draw(names)} on {draw(names)}{draw(directives())} {body}"
    return draw(st.sampled_from(['"described" query { a }', "type T { a: Int }",
                                 "extend type T { b: Int }", "schema { query: Q }"]))


@st.composite
def documents(draw: st.DrawFn) -> str:
    found = draw(st.lists(definitions(), min_size=1, max_size=3))
    return draw(ignored) + draw(ignored).join(found) + draw(ignored)


@st.composite
def damaged(draw: st.DrawFn) -> str:
    document = draw(documents())
    at = draw(st.integers(0, len(document)))
    edit = draw(st.sampled_from(["delete", "insert", "replace"]))
    char = draw(st.sampled_from(list('{}()[]:$@!."\\#,=|& \n') + ["...", "on", "1", "\ud800"]))
    if edit == "delete":
        return document[:at] + document[at + 1:]
    if edit == "insert":
        return document[:at] + char + document[at:]
    return document[:at] + char + document[at + 1:]


def _same(document: str) -> bool:
    """Assert the reader's answer equals graphql-core's for several operationNames;
    True when the reader read the document itself."""
    for name in (None, "Op", "Missing"):
        assert graphql_from_document(document, name) == graphql_core_document(document, name)
    return graphql_reader.read(document) is not None


SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
@SETTINGS
@given(documents())
def test_generated_documents_read_as_graphql_core_reads_them(document: str) -> None:
    _same(document)


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
@SETTINGS
@given(damaged())
def test_damaged_documents_read_as_graphql_core_reads_them(document: str) -> None:
    _same(document)


def test_reader_reads_the_documents_it_is_for() -> None:
    """The executable documents requests carry are read without graphql-core."""
    for document in [
        "query { me { id } }", "{ me { id } }", 'mutation { volumeDelete(volumeId: "v") }',
        "query Q($first: Int = 5, $ids: [ID!]!) @live { a: user(id: $ids) { ...F } }\n"
        "fragment F on User { id ... on Admin { role } }",
        'mutation M { x(input: {a: [1, 2.5e3, "s\\n\\u00e9", """b\\"""c""", ENUM, null]}) '
        '{ ok } }  # trailing comment',
        "query A { a } query B { b } mutation C { c }",
        "subscription { events @skip(if: true) { id } }",
    ]:
        assert _same(document), document


def test_reader_leaves_the_rest_to_graphql_core() -> None:
    for document in ["type Query { a: Int }", '"desc" query { a }', "{ }", "{ a(x: $y", "",
                     'query { a(x: "\\u{1F600}") }', "query { a } extend type Q { b: Int }",
                     "{" * 100 + "a" + "}" * 100, "{ a }" + " " * graphql_reader.MAX_CHARS]:
        assert graphql_reader.read(document) is None, document
        _same(document)


def test_fragment_cycles_and_missing_fragments() -> None:
    document = ("mutation { ...A ...Missing } fragment A on M { a ...B } "
                "fragment B on M { ...A b }")
    assert _same(document)
    call = graphql_from_document(document, None)
    assert call.operations == (("mutation", ("a", "b")),)
    assert call.opaque == ("fragment Missing is not defined in the document",)
    redefined = document + " fragment A on M { c }"  # the last definition counts
    assert _same(redefined)
    assert graphql_from_document(redefined, None).operations == (("mutation", ("c",)),)
