"""``gh api``: GitHub's CLI as the HTTP request it sends (REST or GraphQL)."""

from __future__ import annotations

import json

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

    from shellgate.payloads.http.request import HttpRequest

_SKIP_VALUE = frozenset({"-H", "--header", "-q", "--jq", "-t", "--template", "--input",
                         "--cache", "-p", "--preview"})


def gh_api_requests(argv: Sequence[str | None]) -> list[HttpRequest]:
    """``gh api [-X METHOD] ENDPOINT [-f k=v]…``; GET, or POST when fields are given."""
    from shellgate.payloads.http.request import build_request

    if len(argv) < 2 or argv[1] != "api":
        return []
    method, endpoint, host = "", None, "api.github.com"
    fields: dict[str, str] = {}
    i = 2
    while i < len(argv):
        word = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if word in ("-X", "--method"):
            method, i = (nxt or "?").upper(), i + 2
            continue
        if word is not None and word.startswith("--method="):
            method, i = word.split("=", 1)[1].upper(), i + 1
            continue
        if word in ("-f", "-F", "--field", "--raw-field"):
            key, _, value = (nxt or "").partition("=")
            fields[key] = value
            i += 2
            continue
        if word == "--hostname" and nxt:
            host, i = nxt, i + 2
            continue
        if word in _SKIP_VALUE:
            i += 2
            continue
        if word is not None and not word.startswith("-") and endpoint is None:
            endpoint = word
        i += 1
    if endpoint is None:
        return []
    method = method or ("POST" if fields else "GET")
    if endpoint == "graphql":
        body = json.dumps({"query": fields.get("query", ""),
                           "operationName": fields.get("operationName")})
        return [build_request(method, f"https://{host}/graphql", body=body,
                              content_type="application/json")]
    path = endpoint if endpoint.startswith("/") else "/" + endpoint
    return [build_request(method, f"https://{host}{path}")]
