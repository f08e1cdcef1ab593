"""HTTP calls in node, perl and ruby one-liners, found over the values computed by
:mod:`shellgate.payloads.code.evaluate`. Best effort: recognised calls give requests;
HTTP client names used in any other way, and URL literals no recognised call used,
give opaque requests.

node: ``fetch(url, {method, body, headers})``, ``axios.<m>``/``axios(cfg)``,
``got``, ``ky``, ``superagent``, ``undici``, ``http(s).request/get`` (URL or options,
body from ``.write()``/``.end()``). perl: ``HTTP::Tiny``, ``LWP::UserAgent``,
``Mojo::UserAgent`` methods, ``HTTP::Request->new(M => url)``, ``HTTP::Request::Common``
and ``LWP::Simple`` functions. ruby: ``Net::HTTP::<M>.new``, ``Net::HTTP.get/post``,
``Net::HTTP.start { |h| h.<m>(path) }``, ``HTTParty``/``RestClient``/``Faraday``/
``Excon``/``Typhoeus``/``HTTP`` class methods, ``URI.open``.
"""

from __future__ import annotations

import json

from shellgate.payloads.code.evaluate import UNKNOWN, Evaluator, JsonText, form, jsonable, text
from shellgate.payloads.code.lexer import Token, tokenize
from shellgate.payloads.http.request import DYNAMIC, FORM, JSON, HttpRequest, build_request

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_SENDING = _METHODS | {"request", "simple_request", "send_request", "post_form", "mirror",
                       "start", "fetch", "stream", "send", "connect"}
_INDICATORS = {
    "node": ("fetch", "axios", "got", "superagent", "ky", "needle", "undici", "http", "https",
             "http2", "net", "tls", "XMLHttpRequest", "WebSocket"),
    "perl": ("LWP", "HTTP::Tiny", "HTTP::Request", "Mojo::UserAgent", "Net::HTTP", "IO::Socket",
             "Furl", "REST::Client", "WWW::Mechanize"),
    "ruby": ("Net::HTTP", "HTTParty", "RestClient", "Faraday", "Excon", "Typhoeus", "TCPSocket",
             "OpenURI", "HTTP"),
}
_PERL_UA = ("HTTP::Tiny.new.", "LWP::UserAgent.new.", "Mojo::UserAgent.new.",
            "WWW::Mechanize.new.", "Furl.new.")
_NOT_YET: Any = object()
_RAW_SOCKETS = ("IO::Socket::INET.new", "IO::Socket::SSL.new", "IO::Socket::IP.new",
                "TCPSocket.new", "TCPSocket.open", "OpenSSL::SSL::SSLSocket.new")
_RUBY_CLIENTS = ("HTTParty", "RestClient", "Faraday", "Excon", "Typhoeus", "HTTP")
_NODE_CLIENTS = ("axios", "got", "superagent", "ky", "needle", "undici")


class _Script(Evaluator):
    """Recognised calls and leftovers of one piece of code."""

    def __init__(self, language: str, tokens: list[Token]) -> None:
        super().__init__(language, tokens)
        self.found: list[HttpRequest] = []
        self.written: str | None = None
        self.origin: Any = None
        self.body: Any = _NOT_YET

    def emit(self, method: Any, url: Any, body: Any = None, headers: Any = None,
             content_type: str = "") -> None:
        reasons: list[str] = []
        if not isinstance(method, str):
            reasons.append("request method is computed at run time")
            method = ""
        if not isinstance(url, str):
            reasons.append("URL is computed at run time")
            url = None
        payload: str | None = None
        if body is UNKNOWN:
            reasons.append("request body is computed at run time")
        elif isinstance(body, (dict, list)):
            payload, content_type = json.dumps(jsonable(body)), content_type or JSON
        elif body is not None:
            payload = text(body)
            content_type = JSON if isinstance(body, JsonText) else content_type
        if payload is not None and DYNAMIC in payload:
            reasons.append("request body is partly computed at run time")
        pairs = [(str(k), text(v)) for k, v in headers.items()] if isinstance(
            headers, dict) else []
        self.found.append(build_request(method, url, headers=pairs, body=payload,
                                        content_type=content_type, opaque=reasons))

    def run(self) -> list[HttpRequest]:
        handler = {"node": self.node_call, "perl": self.perl_call,
                   "ruby": self.ruby_call}[self.lang]
        for i, tok in enumerate(self.t):
            if tok.kind != "i" or self.op(i - 1, ".", "->", "?.", "::"):
                continue
            names, spans, end = self.chain(i)
            for k, span in enumerate(spans):
                if span is None or (k == 0 and names[0] == "require"):
                    continue
                path, touched = self.resolve(names[:k + 1], spans[:k + 1])
                handled = handler(path, span)
                if not handled and path.rsplit(".", 1)[-1] in _SENDING and path.startswith(
                        _INDICATORS[self.lang]):
                    self.found.append(build_request("", None, opaque=(
                        f"{self.lang} call {path} not understood",)))
                    handled = True
                if handled:
                    self.mark(i, end)
                    for start, stop in touched:
                        self.mark(start, stop)
                    break
            else:
                path, touched = self.resolve(names, spans)
                if path.startswith(_RAW_SOCKETS):
                    self.found.append(build_request("", None, opaque=(
                        f"{self.lang} code opens a raw socket ({path}); HTTP over it is not "
                        "visible",)))
                if "new" in names and path.startswith(_INDICATORS[self.lang]):
                    self.mark(i, end)
                    for start, stop in touched:
                        self.mark(start, stop)
        self.leftovers()
        return self.found

    def node_call(self, path: str, span: tuple[int, int]) -> bool:
        head, _, last = path.rpartition(".")
        fetch = path in ("fetch", "undici.fetch", "globalThis.fetch", "window.fetch")
        method_call = head in _NODE_CLIENTS and last in _METHODS
        config_call = path in _NODE_CLIENTS or path in ("axios.request", "undici.request")
        http = head in ("http", "https") and last in ("request", "get")
        if not (fetch or method_call or config_call or http):
            return False
        args = self.args(span)
        first = args[0] if args else UNKNOWN
        options = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
        if fetch:
            self.emit(options.get("method", "GET"), first, options.get("body"),
                      options.get("headers"))
        elif method_call:
            config = args[-1] if len(args) > 1 and isinstance(args[-1], dict) else {}
            body = args[1] if head == "axios" and len(args) > 1 and last in (
                "post", "put", "patch") else config.get("json", config.get("body"))
            self.emit(last.upper(), first, body, config.get("headers"))
        elif config_call:
            config = first if isinstance(first, dict) else options
            url = config.get("url", UNKNOWN) if isinstance(first, dict) else first
            body = config.get("data", config.get("json", config.get("body")))
            self.emit(config.get("method", "GET"), url, body, config.get("headers"))
        else:
            self.node_http(head, last, first, options)
        return True

    def node_http(self, scheme: str, last: str, first: Any, options: dict[str, Any]) -> None:
        if isinstance(first, dict):
            options, first = first, None
        url = first
        if first is None:
            host = options.get("hostname", options.get("host", "localhost"))
            port = options.get("port")
            url = UNKNOWN if not isinstance(host, str) else (
                f"{scheme}://{host}" + (f":{port}" if port is not None else "")
                + text(options.get("path", "/")))
        if self.written is None:
            parts = [self.expr(j + 3) for j in range(len(self.t) - 3)
                     if self.op(j, ".") and self.t[j + 1].text in ("write", "end")
                     and self.op(j + 2, "(") and not self.op(j + 3, ")")]
            self.written = "".join(text(b) for b in parts) if parts else ""
        self.emit(options.get("method", "GET") if last == "request" else "GET", url,
                  self.written or None, options.get("headers"))

    def perl_call(self, path: str, span: tuple[int, int]) -> bool:
        last = path.rpartition(".")[2]
        agent = path.startswith(_PERL_UA) and (last in _METHODS or last in (
            "request", "simple_request", "post_form", "mirror"))
        common = path in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")
        simple = path in ("get", "head", "getstore", "getprint", "mirror") and (
            "LWP::Simple" in self.imports)
        if not (agent or common or simple or path == "HTTP::Request.new"):
            return False
        args = self.args(span)
        if common:
            args = [path, *args]
        first = args[0] if args else UNKNOWN
        if simple:
            self.emit("HEAD" if path == "head" else "GET", first)
        elif not agent:
            rest = dict(zip(args[2::2], args[3::2], strict=False))
            body = rest.get("Content", args[3] if len(args) > 3 and not common else None)
            self.emit(first, args[1] if len(args) > 1 else UNKNOWN,
                      form(body) if isinstance(body, (dict, list)) else body)
        elif last == "request" and path.startswith("HTTP::Tiny"):
            options = args[2] if len(args) > 2 and isinstance(args[2], dict) else {}
            self.emit(first, args[1] if len(args) > 1 else UNKNOWN, options.get("content"),
                      options.get("headers"))
        elif last not in ("request", "simple_request"):  # those send a request built elsewhere
            self.perl_agent_call(path, last, args)
        return True

    def perl_agent_call(self, path: str, last: str, args: list[Any]) -> None:
        method = {"post_form": "POST", "mirror": "GET"}.get(last, last.upper())
        first = args[0] if args else UNKNOWN
        second: Any = args[1] if len(args) > 1 else None
        rest = dict(zip(args[1::2], args[2::2], strict=False))
        headers = None
        if isinstance(second, dict) and path.startswith("HTTP::Tiny") and last != "post_form":
            headers = second.get("headers")
            second = second.get("content")
        body = rest.get("Content", rest.get("json", rest.get("form", second)))
        if isinstance(body, (dict, list)) and "json" not in rest:
            self.emit(method, first, form(body), headers, FORM)
        else:
            self.emit(method, first, body, headers)

    def ruby_call(self, path: str, span: tuple[int, int]) -> bool:
        head, _, last = path.rpartition(".")
        verb = head.rpartition("::")[2].lower()
        request_class = head.startswith("Net::HTTP::") and last == "new" and verb in _METHODS
        session = head.startswith("Net::HTTP.") and last in (*_METHODS, "send_request")
        setup = (head.startswith("Net::HTTP.") and last in ("request", "start")) or (
            head == "Net::HTTP" and last in ("start", "new"))
        module_call = head == "Net::HTTP" and last in ("get", "get_response", "get_print",
                                                       "post", "post_form")
        client = head in _RUBY_CLIENTS and last in _METHODS
        opener = path in ("URI.open", "open", "Kernel.open")
        if setup:
            return True  # a connection, or a request object sent: reported where it is built
        if not (request_class or session or module_call or client or opener):
            return False
        args = self.args(span)
        first = args[0] if args else UNKNOWN
        second = args[1] if len(args) > 1 else None
        if request_class:
            self.emit(verb.upper(), self.ruby_url(first), self.ruby_body())
        elif session and last == "send_request":
            self.emit(first, self.ruby_url(second), args[2] if len(args) > 2 else None)
        elif session:
            self.emit(last.upper(), self.ruby_url(first), second)
        elif module_call and last.startswith("get"):
            self.emit("GET", f"http://{first}{second}" if isinstance(second, str) and isinstance(
                first, str) else first)
        elif module_call:
            self.emit("POST", first, form(second) if last == "post_form" else second, None,
                      FORM if last == "post_form" else "")
        elif client:
            options = args[-1] if isinstance(args[-1], dict) else {}
            body = options.get("body", second if not isinstance(second, dict) else None)
            self.emit(last.upper(), first, body, options.get("headers"))
        elif isinstance(first, str) and first.startswith(("http://", "https://")):
            self.emit("GET", first)
        else:
            return False
        return True

    def ruby_url(self, target: Any) -> Any:
        """A path made absolute with the host of the code's ``Net::HTTP.start/new``."""
        if not isinstance(target, str) or "://" in target:
            return target
        if self.origin is None:
            self.origin = UNKNOWN
            for i, tok in enumerate(self.t):
                if tok.text == "Net::HTTP" and self.op(i + 1, ".") and i + 2 < len(self.t) and (
                        self.t[i + 2].text in ("start", "new")):
                    self.origin = self.ruby_origin(self.args(self.chain(i)[1][-1]))
                    break
        return self.origin + "/" + target.lstrip("/") if isinstance(self.origin, str) else (
            UNKNOWN)

    @staticmethod
    def ruby_origin(args: list[Any]) -> Any:
        host = args[0] if args else UNKNOWN
        port = args[1] if len(args) > 1 and isinstance(args[1], int) else None
        secure = port == 443 or any(isinstance(a, dict) and a.get("use_ssl") for a in args)
        if not isinstance(host, str):
            return UNKNOWN
        shown = f":{port}" if port and port != (443 if secure else 80) else ""
        return f"{'https' if secure else 'http'}://{host}{shown}"

    def ruby_body(self) -> Any:
        """The ``req.body = …`` / ``req.set_form_data(…)`` of the code, if any."""
        if self.body is _NOT_YET:
            self.body = None
            for j in range(len(self.t) - 2):
                if self.op(j, ".") and self.t[j + 1].text == "body" and self.op(j + 2, "="):
                    self.body = self.expr(j + 3)
                    break
                if self.op(j, ".") and self.t[j + 1].text == "set_form_data" and self.op(
                        j + 2, "("):
                    self.body = form(self.expr(j + 3))
                    break
        return self.body

    def leftovers(self) -> None:
        named: set[str] = set()
        used = self.used_mask()
        for i, tok in enumerate(self.t):
            if used[i]:
                continue
            if tok.kind == "i" and tok.text.startswith(_INDICATORS[self.lang]) and (
                    tok.text not in named) and not self.op(i - 1, ".", "->"):
                named.add(tok.text)
                self.found.append(build_request("", None, opaque=(
                    f"{self.lang} code uses {tok.text} in a way shellgate cannot follow",)))
            elif tok.kind == "s" and tok.value.strip().lower().startswith((
                    "http://", "https://")) and tok.value.strip() not in named:
                named.add(tok.value.strip())
                self.found.append(build_request("", tok.value.strip(), opaque=(
                    f"URL appears in {self.lang} code but the call using it is not recognised",
                )))


def script_requests(language: str, code: str) -> list[HttpRequest]:
    """The HTTP requests node, perl or ruby ``code`` makes, as far as can be seen."""
    return _Script(language, tokenize(language, code)).run()
