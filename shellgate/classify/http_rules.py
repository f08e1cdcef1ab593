"""HTTP requests against ``on = "http"`` rules: method + host + path, GraphQL mutations in
the body, and SQL carried over HTTP (ClickHouse, D1, Supabase, Hasura ``run_sql``)."""

from __future__ import annotations

from shellgate.classify.core import core_finding
from shellgate.classify.globs import fnmatchcase
from shellgate.classify.payload import (
    argv_values,
    finding,
    kind_findings,
)
from shellgate.rules.ruleset import Match, RuleSet
from shellgate.values import Command, Finding

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

    from shellgate.classify.payload import ReadFile
    from shellgate.payloads.http.graphql import GraphqlCall
    from shellgate.payloads.http.request import HttpRequest
    from shellgate.payloads.sql.statements import PayloadFinding

_LOOPBACK = ("localhost", "127.*", "::1", "[::1]", "0.0.0.0", "*.localhost",  # noqa: S104
             "host.docker.internal")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SQL_KEYS = ("sql", "query", "statement", "q")


def http_findings(command: Command, name: str, rules: RuleSet,
                  read_file: ReadFile) -> list[Finding]:
    """Findings for the HTTP requests a command sends (curl, wget, httpie, gh api, code)."""
    from shellgate.payloads.http.request import DYNAMIC, http_requests
    from shellgate.rules.registry import reader_of

    argv = argv_values(command, DYNAMIC)
    stdin, opaque_in = command.stdin.text, bool(command.stdin.opaque)
    kind, reader = reader_of(rules, name)
    if kind == "http":
        requests = http_requests(reader, [reader, *argv[1:]], stdin, opaque_in, read_file)
        if not requests and reader == "curl" and any(a in ("-K", "--config") for a in argv):
            return [core_finding("opaque-payload", "curl reads its options from a config "
                                 "file shellgate cannot see", command.via)]
    elif name == "gh":
        from shellgate.classify.gh_api import gh_api_requests

        requests = gh_api_requests(argv)
    elif kind == "code" or name.startswith("python3."):
        from shellgate.payloads.code.oneliners import oneliner_requests

        tool = reader or name
        requests = [r for r in oneliner_requests(tool, [tool, *argv_values(command)[1:]], stdin,
                                                 opaque_in, read_file)
                    if not any(reason.endswith("not visible") for reason in r.opaque)]
    else:
        return []
    return match_requests(command, requests, rules)


def match_requests(command: Command, requests: Sequence[HttpRequest],
                   rules: RuleSet) -> list[Finding]:
    """Findings for requests a command sends, against the ``on = "http"`` rules."""
    found: list[Finding] = []
    for request in requests:
        found.extend(_request(command, request, rules))
    return found


def _request(command: Command, request: HttpRequest, rules: RuleSet) -> list[Finding]:
    found: list[Finding] = []
    guarded = False  # an explicit-host rule cares about this request's method
    body_guarded = False  # … or about its body (GraphQL endpoints)
    calls: GraphqlCall | None = None
    calls_read = False
    for rule in rules.targeting("http"):
        for block in rule.matches:
            if not _endpoint(request, block):
                continue
            generic = block.host == ("*",)
            if block.graphql:
                if not calls_read:
                    calls, calls_read = _graphql(request), True
                if calls is None:
                    body_guarded = body_guarded or not generic
                    continue
                body_guarded = True
                hits = [f for f in calls.mutations if any(fnmatchcase(f, g) for g in block.graphql)]
                if hits:
                    found.append(finding(rule, command, _describe(request, hits)))
                    break
                if calls.opaque:
                    found.append(core_finding("opaque-payload", "; ".join(calls.opaque),
                                              command.via))
                    break
            else:
                guarded = guarded or not generic
                if request.method in {m.upper() for m in block.method}:
                    found.append(finding(rule, command, _describe(request, [])))
                    break
    found.extend(kind_findings(command, _sql_over_http(request), rules))
    if _unknowable(request, guarded or body_guarded):
        found.append(core_finding("opaque-payload", "; ".join(request.opaque) or
                                  "the request's method or URL is only known at run time",
                                  command.via))
    elif body_guarded and request.body is None and (request.body_files or _body_opaque(request)):
        found.append(core_finding("opaque-payload", "; ".join(request.opaque), command.via))
    return found


def _unknowable(request: HttpRequest, guarded: bool) -> bool:
    """A request whose target or method shellgate cannot see, where that could matter."""
    from shellgate.payloads.http.request import DYNAMIC

    method = request.method
    if DYNAMIC.upper() in method or DYNAMIC in method:
        method = ""
    if request.url is None:
        return method not in _SAFE_METHODS
    if method:
        return False
    loopback = any(fnmatchcase(request.host.lower(), lo) for lo in _LOOPBACK)
    return guarded or (not loopback and request.method != "")


def _body_opaque(request: HttpRequest) -> bool:
    return any("header" not in reason.lower() for reason in request.opaque) and \
        request.method not in _SAFE_METHODS


def _graphql(request: HttpRequest) -> GraphqlCall | None:
    from shellgate.payloads.http.graphql import graphql_calls

    return graphql_calls(request)


def _endpoint(request: HttpRequest, block: Match) -> bool:
    """Host, port and path match; ``*`` never matches the loopback machine, ``**`` does."""
    from shellgate.payloads.http.request import host_matches

    if request.url is None or not request.host:
        return False
    host = request.host.lower()
    from shellgate.payloads.http.request import DYNAMIC

    if DYNAMIC.lower() in host:  # a host only known at run time could be any of them
        return not block.path or any(fnmatchcase(request.path, p) for p in block.path)
    for pattern in block.host:
        if pattern == "**":  # every host, the loopback machine included
            break
        if pattern == "*":
            if not any(fnmatchcase(host, lo) for lo in _LOOPBACK):
                break
        elif host_matches(host, pattern):
            break
    else:
        return False
    if block.port and _port(request) not in block.port:
        return False
    return not block.path or any(fnmatchcase(request.path, p) for p in block.path)


def _port(request: HttpRequest) -> str:
    """The port the request goes to, the scheme's default when none is written."""
    if request.port is not None:
        return str(request.port)
    return "443" if request.scheme == "https" else "80"


def _sql_over_http(request: HttpRequest) -> list[PayloadFinding]:
    """SQL sent over HTTP: ClickHouse's port, a JSON body's sql/query field, or a
    ``query``/``q`` parameter in the URL or a form body (ClickHouse, InfluxQL)."""
    from shellgate.payloads.sql.statements import classify_sql

    body = request.body
    if request.method in _SAFE_METHODS:
        return []
    texts = _sql_params(request.query)
    if body is None:
        return [f for text in texts for f in classify_sql(text, "generic")]
    if request.port in (8123, 8443) or "clickhouse" in request.host:
        texts.append(body)
    else:
        if request.content_type == "application/x-www-form-urlencoded":
            texts.extend(_sql_params(body))  # InfluxQL's /query?q=…, form-encoded SQL APIs
        import json  # only for a request body: json imports re's friends (~3 ms)

        try:
            data = json.loads(body)
        except ValueError:
            data = None
        texts.extend(_sql_fields(data, 0))
    return [f for text in texts for f in classify_sql(text, "generic")]


def _sql_params(encoded: str) -> list[str]:
    """SQL in URL-encoded parameters (``query=DROP+TABLE+x``, ``q=DELETE FROM y``)."""
    from urllib.parse import parse_qsl

    try:
        pairs = parse_qsl(encoded, keep_blank_values=True)
    except ValueError:
        return []
    return [v for k, v in pairs if k in _SQL_KEYS and _looks_like_sql(v)]


def _sql_fields(data: object, depth: int) -> list[str]:
    if depth > 4:
        return []
    if isinstance(data, dict):
        out: list[str] = []
        for key, value in data.items():
            if key in _SQL_KEYS and isinstance(value, str) and _looks_like_sql(value):
                out.append(value)
            elif isinstance(value, (dict, list)):
                out.extend(_sql_fields(value, depth + 1))
        return out
    if isinstance(data, list):
        return [t for item in data[:32] for t in _sql_fields(item, depth + 1)]
    return []


_SQL_START = ("select", "insert", "update", "delete", "drop", "truncate", "alter", "create",
              "grant", "revoke", "with", "merge", "replace", "do", "execute", "call", "begin")


def _looks_like_sql(text: str) -> bool:
    head = text.lstrip().split(None, 1)
    return bool(head) and head[0].lower().rstrip(";") in _SQL_START


def _describe(request: HttpRequest, fields: list[str]) -> str:
    base = f"{request.method or '?'} {request.scheme}://{request.host}{request.path}"
    return f"{base} ({', '.join(fields)})" if fields else base


__all__ = ["http_findings", "match_requests"]
