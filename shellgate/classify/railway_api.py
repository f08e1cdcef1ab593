"""``railway api``: a GraphQL document sent to Railway's API by the Railway CLI itself.

The document comes from a positional argument, ``--query``/``-q``, a file
(``--file``/``-f``) or standard input; variables from ``--variables``/``--vars``. It is
read exactly as the same document sent by curl to ``backboard.railway.com/graphql/v2``
would be (the ``on = "http"`` GraphQL rules, through aliases, fragments and variables).
A document shellgate cannot see (a run-time word, an unreadable file, unseen stdin) gates.
"""

from __future__ import annotations

import json

from shellgate.classify.core import core_finding
from shellgate.classify.payload import argv_values
from shellgate.rules.ruleset import RuleSet
from shellgate.values import Command, Finding

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from shellgate.classify.payload import ReadFile

ENDPOINT = "https://backboard.railway.com/graphql/v2"
_QUERY = ("--query", "-q", "--document", "-d")
_FILE = ("--file", "-f")
_VARIABLES = ("--variables", "--vars", "--variable", "-v")
_VALUED = ("-s", "--service", "-e", "--environment", "-p", "--project", *_QUERY, *_FILE,
           *_VARIABLES)


def is_api_call(command: Command) -> bool:
    """Is this ``railway [global options] api …``?"""
    words = argv_values(command)[1:]
    i = 0
    while i < len(words):
        word = words[i]
        if word is None:
            return True  # a run-time word where the sub-command could be: read it as api
        if word in _VALUED:
            i += 2
            continue
        if word.startswith("-"):
            i += 1
            continue
        return word == "api"
    return False


def railway_api_findings(command: Command, rules: RuleSet,
                         read_file: ReadFile) -> list[Finding]:
    """Findings for the GraphQL document ``railway api`` sends."""
    from shellgate.classify.http_rules import match_requests
    from shellgate.payloads.http.request import JSON, build_request

    words = argv_values(command)[1:]
    documents: list[str] = []
    variables: list[str] = []
    opaque: list[str] = []
    seen_api = False
    i = 0
    while i < len(words):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        name, eq, attached = (word or "").partition("=")
        if word is not None and word.startswith("-") and name in _VALUED:
            value = attached if eq else nxt
            step = 1 if eq else 2
            if value is None:
                opaque.append(f"the value of {name} is only known at run time")
            elif name in _QUERY:
                documents.append(value)
            elif name in _FILE:
                data = read_file(value)
                if data is None:
                    opaque.append(f"{value} is not visible")
                else:
                    documents.append(data.decode("utf-8", "replace"))
            elif name in _VARIABLES:
                variables.append(value)
            i += step
            continue
        if word is None:
            if seen_api:
                opaque.append("a document built at run time")
            seen_api = True
        elif not word.startswith("-") or word == "-":
            if seen_api and word != "-":
                documents.append(word)
            seen_api = True
        i += 1
    if not documents:
        if command.stdin.text is not None:
            documents.append(command.stdin.text)
        else:
            opaque.append(command.stdin.opaque or "the document comes from standard input, "
                          "which shellgate cannot see")
    found: list[Finding] = []
    for document in documents:
        body: dict[str, object] = {"query": document}
        parsed = _variables(variables)
        if parsed is not None:
            body["variables"] = parsed
        elif variables:
            opaque.append("variables that are not JSON")
        request = build_request("POST", ENDPOINT, body=json.dumps(body), content_type=JSON)
        found.extend(match_requests(command, [request], rules))
    found.extend(core_finding("opaque-payload", f"railway api: {reason}", command.via)
                 for reason in opaque)
    return found


def _variables(values: list[str]) -> dict[str, object] | None:
    """``--variables '{"id": "x"}'`` (JSON objects, merged), or ``key=value`` pairs."""
    merged: dict[str, object] = {}
    for value in values:
        try:
            data = json.loads(value)
        except ValueError:
            key, eq, rest = value.partition("=")
            if not eq:
                return None
            merged[key] = rest
            continue
        if not isinstance(data, dict):
            return None
        merged.update(data)
    return merged if values else None


__all__ = ["ENDPOINT", "is_api_call", "railway_api_findings"]
