"""GraphQL operations carried by an HTTP request: which root fields will be invoked.

A document is read by ``graphql_reader`` (operations and fragments, exactly as
graphql-core reads them), and by graphql-core itself, imported only then, for whatever
that reader leaves to it (type-system definitions, syntax errors, rare escapes). Root
fields are reported by their real names (aliases resolved), through fragment spreads and
inline fragments; directives such as ``@skip(if: true)`` are ignored, so a field is
reported even when it might be skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from shellgate.payloads.http import graphql_reader
from shellgate.payloads.http.request import DYNAMIC, FORM, MULTIPART, HttpRequest
from shellgate.values import record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from graphql.language import DefinitionNode, SelectionSetNode

    from shellgate.payloads.http.graphql_reader import Selection

_MAX_TOKENS = 200_000
_KEYWORDS = ("query", "mutation", "subscription", "fragment", "{")
_DUPLICATE = "\0all:"
_MUTATION = re.compile(r"\bmutation\b\s*\w*\s*[({]")
_PERSISTED_KEYS = ("documentId", "doc_id", "queryId", "persisted_query_id")


@record
class GraphqlCall:
    """The GraphQL a request carries.

    ``operations``: (operation type, root field names) for each operation that will
    execute; ``opaque``: what could not be seen (unparsable document, unknown
    operationName, persisted query hash only, document computed at run time).
    """

    operations: tuple[tuple[str, tuple[str, ...]], ...]
    opaque: tuple[str, ...] = ()

    @property
    def mutations(self) -> tuple[str, ...]:
        """Every root field invoked by a mutation operation."""
        return tuple(dict.fromkeys(f for kind, fields in self.operations
                                   if kind == "mutation" for f in fields))


def _merge(calls: Iterable[GraphqlCall]) -> GraphqlCall | None:
    operations: list[tuple[str, tuple[str, ...]]] = []
    opaque: list[str] = []
    seen = False
    for call in calls:
        seen = True
        operations.extend(call.operations)
        opaque.extend(call.opaque)
    if not seen:
        return None
    return GraphqlCall(tuple(operations), tuple(dict.fromkeys(opaque)))


def _looks_like_document(text: str) -> bool:
    """Whether ``text`` starts like a document once GraphQL's ignored tokens (white
    space, commas, byte order mark, ``#`` comments) are skipped."""
    i = 0
    while i < len(text):
        if text[i] in " \t\r\n,\ufeff":
            i += 1
        elif text[i] == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        else:
            return text.startswith(_KEYWORDS, i)
    return False


def _root_fields(selection_set: SelectionSetNode, fragments: Mapping[str, Any],
                 visiting: frozenset[str], fields: list[str], opaque: list[str]) -> None:
    from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode

    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            if DYNAMIC in name:
                opaque.append("a root field name is computed at run time")
            if name != "__typename" and name not in fields:
                fields.append(name)
        elif isinstance(selection, InlineFragmentNode):
            _root_fields(selection.selection_set, fragments, visiting, fields, opaque)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in fragments:
                opaque.append(f"fragment {name} is not defined in the document")
            elif name not in visiting:
                _root_fields(fragments[name].selection_set, fragments, visiting | {name},
                             fields, opaque)


def _read_fields(selections: list[Selection], fragments: Mapping[str, list[Selection]],
                 visiting: frozenset[str], fields: list[str], opaque: list[str]) -> None:
    """:func:`_root_fields` over ``graphql_reader``'s selections."""
    for kind, value in selections:
        if kind == "field":
            name = str(value)
            if DYNAMIC in name:
                opaque.append("a root field name is computed at run time")
            if name != "__typename" and name not in fields:
                fields.append(name)
        elif kind == "inline":
            _read_fields(value, fragments, visiting, fields, opaque)  # type: ignore[arg-type]
        else:
            name = str(value)
            if name not in fragments:
                opaque.append(f"fragment {name} is not defined in the document")
            elif name not in visiting:
                _read_fields(fragments[name], fragments, visiting | {name}, fields, opaque)


def _from_reader(document: str, operation_name: str | None) -> GraphqlCall | None:
    read = graphql_reader.read(document)
    if read is None:
        return None
    operations, fragments = read
    opaque: list[str] = []
    chosen = operations
    if operation_name:
        chosen = [op for op in operations if op[1] == operation_name]
        if not chosen:
            opaque.append(f"operationName {operation_name!r} is not in the document")
            chosen = operations
    if not operations:
        opaque.append("GraphQL document has no operation")
    result: list[tuple[str, tuple[str, ...]]] = []
    for kind, _name, selections in chosen:
        fields: list[str] = []
        _read_fields(selections, fragments, frozenset(), fields, opaque)
        result.append((kind, tuple(fields)))
    return GraphqlCall(tuple(result), tuple(dict.fromkeys(opaque)))


def graphql_from_document(document: str, operation_name: str | None) -> GraphqlCall:
    """The operations of ``document`` that will execute and the root fields they call.

    The operation named ``operation_name`` executes; with no name and one operation,
    that one; otherwise (several operations, or a name not in the document) every
    operation is reported, as the server's choice cannot be known.
    """
    read = _from_reader(document, operation_name)
    return read if read is not None else graphql_core_document(document, operation_name)


def graphql_core_document(document: str, operation_name: str | None) -> GraphqlCall:
    """:func:`graphql_from_document` read by graphql-core alone (the reference that
    ``graphql_reader`` is held to)."""
    from graphql import GraphQLError, parse
    from graphql.language import FragmentDefinitionNode, OperationDefinitionNode

    try:
        tree = parse(document, no_location=True, max_tokens=_MAX_TOKENS)
    except (GraphQLError, RecursionError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return GraphqlCall((), (f"GraphQL document could not be parsed: {message}",))
    definitions: tuple[DefinitionNode, ...] = tuple(tree.definitions)
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    opaque: list[str] = []
    chosen = operations
    if operation_name:
        chosen = [op for op in operations if op.name and op.name.value == operation_name]
        if not chosen:
            opaque.append(f"operationName {operation_name!r} is not in the document")
            chosen = operations
    if not operations:
        opaque.append("GraphQL document has no operation")
    result: list[tuple[str, tuple[str, ...]]] = []
    for operation in chosen:
        fields: list[str] = []
        _root_fields(operation.selection_set, fragments, frozenset(), fields, opaque)
        result.append((operation.operation.value, tuple(fields)))
    return GraphqlCall(tuple(result), tuple(dict.fromkeys(opaque)))


def _from_object(obj: Mapping[str, Any], url_graphql: bool) -> GraphqlCall | None:
    """A GraphQL-over-HTTP request object ``{"query", "operationName", …}``."""
    query = obj.get("query")
    name = obj.get("operationName")
    name = name if isinstance(name, str) else None
    queries = obj.get(_DUPLICATE + "query", [query])
    if all(isinstance(q, str) for q in queries) and (
            url_graphql or any(_looks_like_document(q) for q in queries)):
        return _merge(graphql_from_document(q, name) for q in queries)
    extensions = obj.get("extensions")
    if (isinstance(extensions, Mapping) and "persistedQuery" in extensions) or any(
            key in obj for key in _PERSISTED_KEYS) or (url_graphql and "id" in obj):
        return GraphqlCall((), ("persisted query: only its hash or id is sent",))
    if query is not None and url_graphql:
        return GraphqlCall((), ("GraphQL query is not a string",))
    if query is not None:
        return None
    found = [graphql_from_document(v, name) for v in obj.values()
             if isinstance(v, str) and _looks_like_document(v) and v.lstrip()[:1] != "{"]
    return _merge(call for call in found if call.operations)


def _keep_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object that also remembers every value of a repeated ``query`` key:
    servers differ in which one they use, so all are inspected."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key == "query" and key in obj:
            obj.setdefault(_DUPLICATE + key, [obj[key]]).append(value)
        obj[key] = value
    return obj


def _from_json(value: Any, url_graphql: bool) -> GraphqlCall | None:
    if isinstance(value, Mapping):
        return _from_object(value, url_graphql)
    if isinstance(value, list):
        return _merge(c for c in (_from_json(v, url_graphql) for v in value if
                                  isinstance(v, Mapping)) if c is not None)
    return None


def _from_pairs(pairs: list[tuple[str, str]], url_graphql: bool) -> GraphqlCall | None:
    """Form fields or query parameters (``query=…&operationName=…``, ``operations=…``)."""
    fields: dict[str, list[str]] = {}
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    names = set(fields.get("operationName", []))
    name = names.pop() if len(names) == 1 else None
    calls = [graphql_from_document(query, name) for query in fields.get("query", [])
             if url_graphql or _looks_like_document(query)]
    for operations in fields.get("operations", []):
        try:
            call = _from_json(json.loads(operations, object_pairs_hook=_keep_duplicates), True)
        except ValueError:
            call = GraphqlCall((), ("multipart 'operations' field is not JSON",))
        calls += [call] if call is not None else []
    if not calls and ("extensions" in fields or any(k in fields for k in _PERSISTED_KEYS)):
        calls.append(GraphqlCall((), ("persisted query: only its hash or id is sent",)))
    for key, values in fields.items():
        if key not in ("query", "operations"):
            calls += [c for c in (graphql_from_document(v, name) for v in values
                                  if _looks_like_document(v) and v.lstrip()[:1] != "{")
                      if c.operations]
    return _merge(calls)


def _from_body(request: HttpRequest, url_graphql: bool) -> GraphqlCall | None:
    body = request.body
    if body is None:
        return None
    stripped = body.strip()
    if request.content_type in ("application/graphql", "application/graphql+json") and not (
            stripped.startswith("{") and stripped.endswith("}") and '"' in stripped):
        return graphql_from_document(body, None)
    if stripped[:1] in ("{", "["):
        try:
            value = json.loads(stripped, object_pairs_hook=_keep_duplicates)
        except ValueError:
            value = None
        if value is not None:
            return _from_json(value, url_graphql)
    if request.content_type in (FORM, MULTIPART) or ("=" in body and not _looks_like_document(
            body)):
        call = _from_pairs(parse_qsl(body, keep_blank_values=True), url_graphql)
        if call is not None:
            return call
    mutation = _MUTATION.search(body) is not None
    if _looks_like_document(body) or mutation:
        call = graphql_from_document(body, None)
        if call.operations or url_graphql or mutation:
            return call
    return None


def graphql_calls(request: HttpRequest) -> GraphqlCall | None:
    """The GraphQL ``request`` carries, or None when it carries none.

    Looks in the URL query (``?query=…``), a JSON body (one request object or a batch
    array), a form or multipart body (``query=``, ``operations=``), an
    ``application/graphql`` body, and a raw body that reads as a document. A request
    to a ``…graphql…`` path whose body cannot be seen gives an opaque call.
    """
    url_graphql = "graphql" in request.path.lower() or "graphql" in request.content_type
    calls: list[GraphqlCall] = []
    from_url = _from_pairs(parse_qsl(request.query, keep_blank_values=True), url_graphql)
    calls += [from_url] if from_url is not None else []
    from_body = _from_body(request, url_graphql)
    calls += [from_body] if from_body is not None else []
    if not calls and request.body is None and url_graphql and request.opaque:
        calls.append(GraphqlCall((), ("GraphQL document not visible: "
                                      + "; ".join(request.opaque),)))
    return _merge(calls)


def graphql_from_fields(fields: Mapping[str, str]) -> GraphqlCall | None:
    """GraphQL from already separated fields (``gh api graphql -f query=… -F …``).

    None when there is no ``query`` field.
    """
    query = fields.get("query")
    if query is None:
        return None
    return graphql_from_document(query, fields.get("operationName") or None)
