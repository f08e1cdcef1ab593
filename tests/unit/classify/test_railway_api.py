"""``railway api``: GraphQL documents from arguments, options, files and stdin, read like
the same document sent to Railway's API with curl."""

from __future__ import annotations

import pytest

from tests.conftest import decide_text

_DELETE = 'mutation { volumeDelete(volumeId: "v1") }'


@pytest.mark.parametrize(("cmd", "files"), [
    (f"railway api '{_DELETE}'", {}),
    (f"railway --service api api --query '{_DELETE}'", {}),
    (f"railway api -q='{_DELETE}'", {}),
    ("railway api 'mutation D($id: String!) { x: volumeDelete(volumeId: $id) }' "
     "--variables '{\"id\": \"v1\"}'", {}),
    (f"railway api <<'EOF'\n{_DELETE}\nEOF", {}),
    (f"echo '{_DELETE}' | railway api -", {}),
    ("railway api -f teardown.graphql", {"teardown.graphql": _DELETE}),
    ("railway api 'fragment F on Mutation { volumeDelete(volumeId: \"v\") } "
     "mutation { ...F }'", {}),
])
def test_destructive_documents_gate(cmd: str, files: dict[str, str]) -> None:
    decision = decide_text(cmd, files)
    assert decision.verdict == "gate"
    assert "graphql.railway-destructive" in decision.rule_ids


@pytest.mark.parametrize("cmd", [
    "railway api -f missing.graphql",  # a file shellgate cannot read
    'railway api "$DOC"',  # built at run time
    "railway api",  # stdin nobody showed shellgate
    "cat doc.graphql | railway api",
])
def test_unseen_documents_gate(cmd: str) -> None:
    decision = decide_text(cmd)
    assert decision.verdict == "gate"
    assert "core.opaque-payload" in decision.rule_ids


@pytest.mark.parametrize("cmd", [
    "railway api 'query { me { email } }'",
    "railway api --query 'query { projects { edges { node { id } } } }' --json",
    "echo 'query { me { id } }' | railway api",
    "railway api 'query { n: me { volumeDelete: email } }'",  # a field alias, not a mutation
    "railway status",
])
def test_reads_pass(cmd: str) -> None:
    assert decide_text(cmd).verdict == "allow", decide_text(cmd).rule_ids
