"""Which Python calls send HTTP requests, and what they send: ``requests``/``httpx``
functions, sessions and clients, ``Request`` objects, ``aiohttp`` sessions, ``urllib3``
pools, ``urllib.request`` openers and ``http.client`` connections."""

from __future__ import annotations

import ast
import json
from urllib.parse import urlencode

from shellgate.payloads.code.evaluate import UNKNOWN, jsonable, text
from shellgate.payloads.http.request import (
    DYNAMIC,
    FORM,
    JSON,
    MULTIPART,
    HttpRequest,
    build_request,
)

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any, Protocol

METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
CLIENTS = {"requests.Session": "session", "requests.session": "session",
           "requests.sessions.Session": "session", "httpx.Client": "session",
           "httpx.AsyncClient": "session", "aiohttp.ClientSession": "session",
           "grequests.Session": "session", "urllib3.PoolManager": "pool",
           "urllib3.ProxyManager": "pool", "urllib.request.build_opener": "opener",
           "http.client.HTTPSConnection": "https", "http.client.HTTPConnection": "http",
           "urllib3.HTTPSConnectionPool": "https", "urllib3.HTTPConnectionPool": "http",
           "urllib3.connectionpool.HTTPSConnectionPool": "https"}
"""Constructors of client objects, and the kind of object each makes."""
_REQUEST_OBJECTS = frozenset({"urllib.request.Request", "requests.Request", "httpx.Request",
                              "requests.models.Request"})

Ref = tuple[str, "ast.Call | None"]


if TYPE_CHECKING:
    class Folder(Protocol):
        """What call recognition needs from the Python reader."""

        def fold(self, node: ast.AST | None, depth: int = 0) -> Any:
            """The value of an expression (UNKNOWN when not static)."""

        def ref(self, node: ast.AST, depth: int = 0) -> Ref | None:
            """The dotted path an expression names."""
else:  # a Protocol class would import typing (~9 ms)
    Folder = object


def _arg(node: ast.Call, index: int, name: str) -> ast.expr | None:
    """Positional argument ``index`` or keyword ``name``; a placeholder that folds to
    UNKNOWN when ``*args``/``**kwargs`` could hide it."""
    if 0 <= index < len(node.args) and not any(isinstance(a, ast.Starred)
                                               for a in node.args[:index + 1]):
        return node.args[index]
    for keyword in node.keywords:
        if keyword.arg == name:
            return keyword.value
    hidden = any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None for k in node.keywords)
    return ast.Name(id="<hidden>") if hidden else None


def _body(py: Folder, node: ast.Call, json_at: int, data_at: int,
          reasons: list[str]) -> tuple[str | None, str]:
    """(body, implied content type) from json=/data=/content=/files= arguments."""
    json_node = _arg(node, json_at, "json")
    data_node = _arg(node, data_at, "data") or _arg(node, -1, "content") or _arg(
        node, -1, "body")
    files_node = _arg(node, -1, "files")
    value: Any = None
    content_type = ""
    if json_node is not None:
        value, content_type = py.fold(json_node), JSON
    elif data_node is not None:
        value, content_type = py.fold(data_node), FORM
    if files_node is not None:
        files = py.fold(files_node)
        fields = dict(value) if isinstance(value, dict) else {}
        fields.update({k: DYNAMIC for k in (files if isinstance(files, dict) else {DYNAMIC: 0})})
        value, content_type = fields, MULTIPART
    if value is None:
        return None, ""
    if value is UNKNOWN:
        reasons.append("request body is computed at run time")
        return None, content_type
    if content_type == JSON:
        payload = json.dumps(jsonable(value))
    elif isinstance(value, dict):
        payload = urlencode([(str(k), text(v)) for k, v in value.items()])
    elif isinstance(value, list):
        payload = urlencode([(text(p[0]), text(p[1])) if isinstance(p, list) and len(p) == 2
                             else (DYNAMIC, DYNAMIC) for p in value])
    else:
        payload, content_type = text(value), ""
    if DYNAMIC in payload:
        reasons.append("request body is partly computed at run time")
    return payload, content_type


def _request(py: Folder, node: ast.Call, method: Any, url: Any, *, base: str | None = None,
             json_at: int = -1, data_at: int = -1) -> list[HttpRequest]:
    reasons: list[str] = []
    body, content_type = _body(py, node, json_at, data_at, reasons)
    if not isinstance(method, str):
        reasons.append("request method is computed at run time")
        method = ""
    url = url.decode("utf-8", "replace") if isinstance(url, bytes) else url
    if not isinstance(url, str):
        reasons.append("URL is computed at run time")
        url = None
    elif base is not None and "://" not in url:
        url = base.rstrip("/") + "/" + url.lstrip("/")
    params_node = _arg(node, -1, "params")
    if params_node is not None and url is not None:
        params = py.fold(params_node)
        pairs = list(params.items()) if isinstance(params, dict) else []
        query = urlencode([(str(k), text(v)) for k, v in pairs]) if pairs else DYNAMIC
        url += ("&" if "?" in url else "?") + query
    headers_node = _arg(node, -1, "headers")
    headers = py.fold(headers_node) if headers_node is not None else {}
    pairs_h = [(str(k), text(v)) for k, v in headers.items()] if isinstance(headers, dict) else []
    return [build_request(method, url, headers=pairs_h, body=body, content_type=content_type,
                          opaque=reasons)]


def _connection(py: Folder, node: ast.Call, ctor: ast.Call, scheme: str) -> list[HttpRequest]:
    """``conn.request(method, path, body)`` on an ``http.client``/urllib3 connection."""
    host, port = py.fold(_arg(ctor, 0, "host")), py.fold(_arg(ctor, 1, "port"))
    target = py.fold(_arg(node, 1, "url"))
    if isinstance(target, str) and "://" not in target:
        if isinstance(host, str):
            suffix = f":{port}" if isinstance(port, (int, str)) else ""
            target = f"{scheme}://{host}{suffix}/{target.lstrip('/')}"
        else:
            target = UNKNOWN
    return _request(py, node, py.fold(_arg(node, 0, "method")), target, data_at=2)


def _session(py: Folder, node: ast.Call, owner: str, attr: str,
             ctor: ast.Call) -> list[HttpRequest] | None:
    base_node = _arg(ctor, 0 if owner == "aiohttp.ClientSession" else -1, "base_url")
    base = py.fold(base_node) if base_node is not None else None
    base = base if isinstance(base, str) else None
    if attr in METHODS:
        return _request(py, node, attr, py.fold(_arg(node, 0, "url")), base=base,
                        json_at=2, data_at=1)
    if attr in ("request", "stream"):
        return _request(py, node, py.fold(_arg(node, 0, "method")),
                        py.fold(_arg(node, 1, "url")), base=base)
    if attr == "send" and node.args:
        sent = py.ref(node.args[0])
        return [] if sent is not None and "Request>" in sent[0] else None
    return None


def classify(py: Folder, node: ast.Call, path: str,
              ctor: ast.Call | None) -> list[HttpRequest] | None:
    """Requests made by one call ([] for a call that only completes another one), or
    None when the call is not a recognised HTTP call."""
    module, _, attr = path.rpartition(".")
    if path == "urllib.request.Request":
        method_node = _arg(node, 5, "method")
        method = py.fold(method_node) if method_node else (
            "POST" if _arg(node, 1, "data") else "GET")
        return _request(py, node, method, py.fold(_arg(node, 0, "url")), data_at=1)
    if path in _REQUEST_OBJECTS:
        json_at, data_at = (9, 4) if path.startswith("requests") else (-1, -1)
        return _request(py, node, py.fold(_arg(node, 0, "method")),
                        py.fold(_arg(node, 1, "url")), json_at=json_at, data_at=data_at)
    if module in ("requests", "requests.api", "httpx", "grequests") and attr in METHODS:
        return _request(py, node, attr, py.fold(_arg(node, 0, "url")), json_at=2, data_at=1)
    if path in ("requests.request", "requests.api.request", "httpx.request", "httpx.stream",
                "urllib3.request"):
        return _request(py, node, py.fold(_arg(node, 0, "method")),
                        py.fold(_arg(node, 1, "url")), data_at=2)
    if path in ("urllib.request.urlopen", "urllib.request.urlretrieve"):
        return _urlopen(py, node)
    if not path.startswith("<") or ctor is None:
        return None
    owner, _, attr = path[1:].partition(">.")
    kind = CLIENTS.get(owner)
    if kind == "session":
        return _session(py, node, owner, attr, ctor)
    if kind == "pool" and attr in ("request", "urlopen", "request_encode_body",
                                   "request_encode_url"):
        return _request(py, node, py.fold(_arg(node, 0, "method")),
                        py.fold(_arg(node, 1, "url")), data_at=2)
    if kind == "opener" and attr == "open":
        return _urlopen(py, node)
    if kind in ("http", "https") and attr in ("request", "putrequest", "urlopen"):
        return _connection(py, node, ctor, kind)
    return None


def _urlopen(py: Folder, node: ast.Call) -> list[HttpRequest]:
    first = _arg(node, 0, "url") or _arg(node, 0, "fullurl")
    made = py.ref(first) if first is not None else None
    if made is not None and made[0] == "<urllib.request.Request>":
        return []
    method = "POST" if _arg(node, 1, "data") else "GET"
    return _request(py, node, method, py.fold(first), data_at=1)
