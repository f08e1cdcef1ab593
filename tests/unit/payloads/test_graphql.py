"""GraphQL inspection: which operations execute and which root fields they invoke."""

from __future__ import annotations

import json

import pytest

from shellgate.payloads.http.graphql import (
    GraphqlCall,
    graphql_calls,
    graphql_from_document,
    graphql_from_fields,
)
from shellgate.payloads.http.request import DYNAMIC, build_request, http_requests

RAILWAY = "https://backboard.railway.app/graphql/v2"
Ops = tuple[tuple[str, tuple[str, ...]], ...]


@pytest.mark.parametrize(("document", "name", "operations", "opaque"), [
    ('mutation { volumeDelete(volumeId: "v") }', None,
     (("mutation", ("volumeDelete",)),), ()),
    ('mutation Wipe($id: String!) { gone: volumeDelete(volumeId: $id) }', None,
     (("mutation", ("volumeDelete",)),), ()),
    ("mutation { a: volumeDelete(volumeId: 1) b: volumeDelete(volumeId: 2) __typename }", None,
     (("mutation", ("volumeDelete",)),), ()),
    ("mutation { ...Wipe } fragment Wipe on Mutation { serviceDelete(id: 1) "
     "...More } fragment More on Mutation { projectDelete(id: 2) }", None,
     (("mutation", ("serviceDelete", "projectDelete")),), ()),
    ("mutation { ... on Mutation { environmentDelete(id: 1) } ... { deploymentRemove(id: 2) } }",
     None, (("mutation", ("environmentDelete", "deploymentRemove")),), ()),
    ("mutation { x: volumeInstanceBackupDelete(id: 1) @skip(if: true) }", None,
     (("mutation", ("volumeInstanceBackupDelete",)),), ()),
    ("query Q { me { id } } mutation M { volumeDelete(volumeId: 1) }", "Q",
     (("query", ("me",)),), ()),
    ("query Q { me { id } } mutation M { volumeDelete(volumeId: 1) }", None,
     (("query", ("me",)), ("mutation", ("volumeDelete",))), ()),
    ("query Q { me } mutation M { volumeDelete(volumeId: 1) }", "Nope",
     (("query", ("me",)), ("mutation", ("volumeDelete",))),
     ("operationName 'Nope' is not in the document",)),
    ("{ me { id } }", None, (("query", ("me",)),), ()),
    ("subscription { events }", None, (("subscription", ("events",)),), ()),
    (", , # a comment\n mutation { a }", None, (("mutation", ("a",)),), ()),
    ("query { __schema { types { name } } __typename }", None,
     (("query", ("__schema",)),), ()),
    ("mutation { ...Missing }", None, (("mutation", ()),),
     ("fragment Missing is not defined in the document",)),
    ("mutation { ...A } fragment A on Mutation { ...A volumeDelete }", None,
     (("mutation", ("volumeDelete",)),), ()),
    ("fragment A on Query { me }", None, (), ("GraphQL document has no operation",)),
    (f"mutation {{ {DYNAMIC}(id: 1) }}", None, (("mutation", (DYNAMIC,)),),
     ("a root field name is computed at run time",)),
])
def test_document(document: str, name: str | None, operations: Ops,
                  opaque: tuple[str, ...]) -> None:
    assert graphql_from_document(document, name) == GraphqlCall(operations, opaque)


@pytest.mark.parametrize("document", ['mutation { volumeDelete(volumeId: "v" }', "mutation {",
                                      "red shoes", "{" * 5000])
def test_unparsable_document_is_opaque(document: str) -> None:
    call = graphql_from_document(document, None)
    assert call.operations == ()
    assert call.opaque[0].startswith("GraphQL document could not be parsed")


def _post(body: str | None, url: str = RAILWAY, content_type: str = "application/json",
          opaque: tuple[str, ...] = ()) -> GraphqlCall | None:
    return graphql_calls(build_request("POST", url, body=body, content_type=content_type,
                                       opaque=opaque))


@pytest.mark.parametrize(("body", "url", "content_type", "operations"), [
    (json.dumps({"query": 'mutation { volumeDelete(volumeId: "v") }'}), RAILWAY,
     "application/json", (("mutation", ("volumeDelete",)),)),
    ('{"query":"mutation { \\u0076olumeDelete(volumeId: \\"v\\") }"}', RAILWAY,
     "application/x-www-form-urlencoded", (("mutation", ("volumeDelete",)),)),
    (json.dumps([{"query": "{ me }"}, {"query": "mutation A { a } mutation B { b }",
                                       "operationName": "B"}]), RAILWAY, "application/json",
     (("query", ("me",)), ("mutation", ("b",)))),
    ('{"query": "{ me }", "query": "mutation { volumeDelete(volumeId: 1) }"}', RAILWAY,
     "application/json", (("query", ("me",)), ("mutation", ("volumeDelete",)))),
    ("query=mutation%20%7B%20serviceDelete(id%3A%201)%20%7D&operationName=", RAILWAY,
     "application/x-www-form-urlencoded", (("mutation", ("serviceDelete",)),)),
    ("operations=" + json.dumps({"query": "mutation($f: Upload!) { upload(file: $f) }"})
     + "&map=%7B%7D", "https://api.example/graphql", "multipart/form-data",
     (("mutation", ("upload",)),)),
    ("{ me { id } }", "https://api.example/gql", "application/graphql",
     (("query", ("me",)),)),
    ("mutation { projectDelete(id: 1) }", "https://api.example/anything",
     "application/x-www-form-urlencoded", (("mutation", ("projectDelete",)),)),
    ('{"q": "ignored", "doc": "mutation { projectDelete(id: 1) }"}',
     "https://api.example/rpc", "application/json", (("mutation", ("projectDelete",)),)),
])
def test_request_bodies(body: str, url: str, content_type: str, operations: Ops) -> None:
    call = _post(body, url, content_type)
    assert call is not None
    assert call.operations == operations
    assert call.opaque == ()


def test_get_query_string_and_persisted_queries() -> None:
    get = graphql_calls(build_request(
        "GET", "https://api.example/graphql?query=mutation%7Bx%7D&operationName="))
    assert get == GraphqlCall((("mutation", ("x",)),))
    persisted = _post(json.dumps({"operationName": "Wipe", "extensions": {
        "persistedQuery": {"version": 1, "sha256Hash": "abc"}}}))
    assert persisted == GraphqlCall((), ("persisted query: only its hash or id is sent",))
    relay = _post(json.dumps({"id": "q1", "variables": {}}))
    assert relay == GraphqlCall((), ("persisted query: only its hash or id is sent",))
    by_url = graphql_calls(build_request(
        "GET", "https://api.example/graphql?extensions=%7B%7D&operationName=X"))
    assert by_url == GraphqlCall((), ("persisted query: only its hash or id is sent",))


@pytest.mark.parametrize(("body", "url", "content_type"), [
    ('{"query": {"match": {"title": "x"}}}', "https://es.example/idx/_search",
     "application/json"),
    ('{"query": "red shoes"}', "https://shop.example/search", "application/json"),
    ("comment=nice mutation testing", "https://blog.example/post",
     "application/x-www-form-urlencoded"),
    ('{"name": "mutation"}', "https://api.example/v1", "application/json"),
    ("", "https://api.example/v1", ""),
])
def test_not_graphql(body: str, url: str, content_type: str) -> None:
    assert _post(body, url, content_type) is None


def test_search_query_parameter_is_not_graphql() -> None:
    assert graphql_calls(build_request("GET", "https://shop.example/s?query=red+shoes")) is None


def test_unseen_documents() -> None:
    unseen = _post(None, opaque=("request body from stdin pipe",))
    assert unseen == GraphqlCall(
        (), ("GraphQL document not visible: request body from stdin pipe",))
    assert _post(None, url="https://api.example/v1", opaque=("x",)) is None
    not_string = _post('{"query": 42}')
    assert not_string == GraphqlCall((), ("GraphQL query is not a string",))
    broken = _post('{"query": "mutation { volumeDelete(volumeId: 1) "}')
    assert broken is not None and broken.operations == ()
    assert broken.opaque[0].startswith("GraphQL document could not be parsed")
    bad_multipart = _post("operations=not-json", content_type="multipart/form-data")
    assert bad_multipart == GraphqlCall((), ("multipart 'operations' field is not JSON",))


def test_fields() -> None:
    assert graphql_from_fields({"owner": "me"}) is None
    call = graphql_from_fields({"query": "query A { viewer } mutation B { deleteRepository }",
                                "operationName": "B"})
    assert call == GraphqlCall((("mutation", ("deleteRepository",)),))
    assert call.mutations == ("deleteRepository",)


def test_railway_incident_end_to_end() -> None:
    argv = ["curl", "-X", "POST", RAILWAY, "-H", "Authorization: Bearer t", "-d",
            '{"query":"mutation { volumeDelete(volumeId: \\"3d2c\\") }"}']
    [request] = http_requests("curl", argv, None, False, lambda path: None)
    call = graphql_calls(request)
    assert call is not None
    assert call.mutations == ("volumeDelete",)
    assert call.opaque == ()


@pytest.mark.parametrize(("argv", "mutations"), [
    (["curl", RAILWAY, "-F", "query=mutation { serviceDelete(id: 1) }"], ("serviceDelete",)),
    (["curl", RAILWAY, "--data-urlencode", "query=mutation { projectDelete(id: 1) }"],
     ("projectDelete",)),
    (["curl", "-G", RAILWAY, "--data-urlencode", "query=mutation { environmentDelete(id: 1) }"],
     ("environmentDelete",)),
    (["curl", RAILWAY, "-H", "Content-Type: application/graphql", "--data-binary",
      "mutation M { deploymentRemove(id: 1) }"], ("deploymentRemove",)),
    (["http", RAILWAY, "query=mutation { volumeInstanceBackupRestore(id: 1) }"],
     ("volumeInstanceBackupRestore",)),
    (["wget", "--post-data", '{"query":"mutation { volumeDelete(volumeId: 1) }"}', RAILWAY],
     ("volumeDelete",)),
])
def test_command_lines_end_to_end(argv: list[str], mutations: tuple[str, ...]) -> None:
    [request] = http_requests(argv[0], argv, None, False, lambda path: None)
    call = graphql_calls(request)
    assert call is not None
    assert call.mutations == mutations
