"""The curl argv model: options, data and forms, config files, variables, URL globs and
``--next`` operations (option names and semantics from curl's own documentation).

A ``-H`` header whose text is not statically known (``-H "Authorization: Bearer $T"``)
is left out without an opaque reason: headers are not the payload, and flagging them
would make every authenticated call opaque. An unknown method-override header is an
accepted residual risk. An option curl does not know (so curl would refuse to run) is
read as a flag, and makes ``--help``/``--version`` not trusted to stop the command.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from shellgate.payloads.http.curl_text import (
    add_query,
    config_value,
    expand_globs,
    expand_variables,
    with_scheme,
)
from shellgate.payloads.http.request import (
    FORM,
    JSON,
    MULTIPART,
    HttpRequest,
    Reader,
    build_request,
    letter_map,
    option_events,
    split_header,
    word_set,
)

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from shellgate.payloads.http.request import ReadFile

_VALUE = word_set("""
abstract-unix-socket alt-svc aws-sigv4 cacert capath cert cert-type ciphers config
connect-timeout connect-to continue-at cookie cookie-jar create-file-mode crlfile curves data
data-ascii data-binary data-raw data-urlencode delegation dns-interface dns-ipv4-addr
dns-ipv6-addr dns-servers doh-url dump-header ech egd-file engine etag-compare etag-save
expect100-timeout form form-string ftp-account ftp-alternative-to-user ftp-method ftp-port
ftp-ssl-ccc-mode happy-eyeballs-timeout-ms haproxy-clientip header hostpubmd5 hostpubsha256
hsts httpsig-algo httpsig-headers httpsig-key httpsig-keyid interface ip-tos ipfs-gateway json
keepalive-cnt keepalive-time key key-type knownhosts krb krb4 libcurl limit-rate local-port
login-options mail-auth mail-from mail-rcpt max-filesize max-redirs max-time netrc-file noproxy
oauth2-bearer output output-dir parallel-max parallel-max-host pass pinnedpubkey preproxy proto
proto-default proto-redir proxy proxy-cacert proxy-capath proxy-cert proxy-cert-type
proxy-ciphers proxy-crlfile proxy-header proxy-key proxy-key-type proxy-pass
proxy-pinnedpubkey proxy-service-name proxy-tls13-ciphers proxy-tlsauthtype proxy-tlspassword
proxy-tlsuser proxy-user proxy1.0 pubkey quote random-file range rate referer request
request-target resolve retry retry-delay retry-max-time sasl-authzid service-name sigalgs socks4
socks4a socks5 socks5-gssapi-service socks5-hostname speed-limit speed-time ssl-sessions stderr
telnet-option tftp-blksize time-cond tls-max tls13-ciphers tlsauthtype tlspassword tlsuser trace
trace-ascii trace-config unix-socket upload-file upload-flags url url-query user user-agent
variable vlan-priority write-out""")
"""Long options that take an argument (curl 8.x). ``help`` does not consume one."""

_FLAGS = word_set("""
alpn anyauth append basic buffer ca-native cert-status clobber compressed compressed-ssh
create-dirs crlf digest disable disable-eprt disable-epsv disallow-username-in-url
doh-cert-status doh-insecure dump-ca-embed eprt epsv fail fail-early fail-with-body false-start
follow form-escape ftp-create-dirs ftp-pasv ftp-pret ftp-skip-pasv-ip ftp-ssl ftp-ssl-ccc
ftp-ssl-control ftp-ssl-reqd get globoff haproxy-protocol head help http0.9 http1.0 http1.1
http2 http2-prior-knowledge http3 http3-only ignore-content-length include insecure ipv4 ipv6
junk-session-cookies keepalive list-only location location-trusted mail-rcpt-allowfails manual
metalink mptcp negotiate netrc netrc-optional next npn ntlm ntlm-wb out-null parallel
parallel-immediate path-as-is post301 post302 post303 progress-bar progress-meter
proxy-anyauth proxy-basic proxy-ca-native proxy-digest proxy-http2 proxy-http3 proxy-insecure
proxy-negotiate proxy-ntlm proxy-ssl-allow-beast proxy-ssl-auto-client-cert proxy-tlsv1
proxytunnel raw remote-header-name remote-name remote-name-all remote-time remove-on-error
retry-all-errors retry-connrefused sasl-ir sessionid show-error show-headers silent
skip-existing socks5-basic socks5-gssapi socks5-gssapi-nec ssl ssl-allow-beast
ssl-auto-client-cert ssl-no-revoke ssl-reqd ssl-revoke-best-effort sslv2 sslv3 styled-output
suppress-connect-headers tcp-fastopen tcp-nodelay test-duphandle test-event tftp-no-options
tls-earlydata tlsv1 tlsv1.0 tlsv1.1 tlsv1.2 tlsv1.3 tr-encoding trace-ids trace-time use-ascii
verbose version wdebug xattr""")

_SHORT = letter_map(
    "aNEKCbcdqDfFPGgIHh0k46jlLMmn:oZ#xUpQreJORXSisYy23tz1TBuAvVw",
    """append buffer cert config continue-at cookie cookie-jar data disable dump-header fail form
    ftp-port get globoff head header help http1.0 insecure ipv4 ipv6 junk-session-cookies
    list-only location manual max-time netrc next output parallel progress-bar proxy
    proxy-user proxytunnel quote range referer remote-header-name remote-name remote-time
    request show-error show-headers silent speed-limit speed-time sslv2 sslv3 telnet-option
    time-cond tlsv1 upload-file use-ascii user user-agent verbose version write-out""")

_DATA = frozenset({"data", "data-ascii", "data-binary", "data-raw", "data-urlencode", "json"})
_STRIP_NEWLINES = str.maketrans("", "", "\r\n\0")
_MAX_OPTION_LEN = 26
_MAX_CONFIG_DEPTH = 4
_FORM_ATTRS = (";type=", ";filename=", ";headers=", ";encoder=", ";format=")
_VAR_RANGE = re.compile(r"([A-Za-z0-9_]+)\[(\d{1,12})-(\d{0,12})\]")


def _takes_value(name: str) -> bool:
    return not name.startswith("no-") and name.removeprefix("expand-") in _VALUE


def _events(words: Sequence[str | None]) -> Iterator[tuple[str, str | None]]:
    """(long option name, argument) pairs; "" names a URL, "?" an unresolved word."""
    return option_events(words, _SHORT, _takes_value, max_attached=_MAX_OPTION_LEN)


def _config_events(text: str) -> Iterator[tuple[str, str | None]]:
    """Events from a ``-K`` config file: one option per line, ``name = "value"``."""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        dashed = line.startswith("-")
        end = 0
        while end < len(line) and not line[end].isspace() and (dashed or line[end] not in "=:"):
            end += 1
        word, rest = line[:end], line[end:].lstrip()
        if not dashed and rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip()
        value = config_value(rest) if rest else None
        if dashed:
            yield from _events([word] if value is None else [word, value])
        else:
            yield word, value if _takes_value(word) else None


class _Op:
    """The options of one curl operation (the part between ``--next`` separators)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.method: str | None = None
        self.head = self.get = self.globoff = self.json = self.unresolved = False
        self.data: list[str | None] = []
        self.form: list[tuple[str, str | None]] = []
        self.uploads: list[str | None] = []
        self.urls: list[str | None] = []
        self.query: list[str | None] = []
        self.headers: list[tuple[str, str]] = []
        self.scheme: str | None = None


class _Curl:
    """Feeds option events into operations, then turns each into requests."""

    def __init__(self, stdin: str | None, stdin_opaque: bool, read_file: ReadFile) -> None:
        self.stdin, self.stdin_opaque, self.read_file = stdin, stdin_opaque, read_file
        self.ops = [_Op(self._reader())]
        self.vars: dict[str, str | None] = {}
        self.vars_unknown = False
        self.stop = False
        self.unknown = False

    def _reader(self) -> Reader:
        return Reader(self.stdin, self.stdin_opaque, self.read_file)

    def feed(self, events: Iterable[tuple[str, str | None]], depth: int = 0) -> None:
        for name, value in events:
            self.option(name, value, depth)

    def option(self, name: str, value: str | None, depth: int) -> None:
        op = self.ops[-1]
        if name.startswith("expand-") and _takes_value(name):
            name = name[len("expand-"):]
            value = expand_variables(value, self.vars, self.vars_unknown, op.reader)
        if name == "?":
            op.unresolved = True
            op.urls.append(None)
        elif name in ("", "url"):
            op.urls.append(value)
        elif name == "request":
            op.method = value.upper() if value is not None else ""
        elif name in ("head", "get", "globoff"):
            setattr(op, name, True)
        elif name in _DATA:
            self.data(op, name, value)
        elif name in ("form", "form-string"):
            self.form(op, name, value)
        elif name == "upload-file":
            op.uploads.append(value)
        elif name == "header":
            self.header(op, value)
        elif name == "url-query":
            op.query.append(None if value is None else self.urlencoded(value, op.reader, True))
        elif name == "proto-default":
            op.scheme = value
        elif name == "variable":
            self.variable(value, op.reader)
        elif name == "config":
            self.config(value, op.reader, depth)
        elif name == "next":
            self.ops.append(_Op(self._reader()))
        elif name in ("help", "version", "manual"):
            self.stop = True
        elif name.removeprefix("no-") not in _FLAGS and name not in _VALUE:
            self.unknown = True

    def variable(self, spec: str | None, reader: Reader) -> None:
        if spec is None:
            reader.note("a --variable is not statically known")
            self.vars_unknown = True
            return
        if spec.startswith("%"):
            self.vars[re.split("[=@]", spec[1:], maxsplit=1)[0]] = None
            return
        cut = min((i for i in (spec.find("="), spec.find("@")) if i >= 0), default=-1)
        if cut < 0:
            return
        name, content = spec[:cut], spec[cut + 1:]
        value = content if spec[cut] == "=" else reader.text(content, f"curl variable {name}")
        ranged = _VAR_RANGE.fullmatch(name)
        if ranged is not None:
            name = ranged.group(1)
            if value is not None:
                end = int(ranged.group(3)) + 1 if ranged.group(3) else None
                value = value.encode()[int(ranged.group(2)):end].decode("utf-8", "replace")
        self.vars[name] = value

    def config(self, path: str | None, reader: Reader, depth: int) -> None:
        if depth >= _MAX_CONFIG_DEPTH:
            reader.note("curl config files nested too deeply")
            return
        text = reader.text(path, "curl config")
        if text is not None:
            self.feed(_config_events(text), depth + 1)

    @staticmethod
    def urlencoded(value: str, reader: Reader, plus: bool = False) -> str | None:
        """``--data-urlencode`` / ``--url-query`` forms: content, =content, name=content,
        name@file, @file (and ``+raw`` for ``--url-query``)."""
        if plus and value.startswith("+"):
            return value[1:]
        eq = value.find("=")
        at = value.find("@") if eq < 0 else -1
        if eq >= 0:
            name, content = value[:eq], value[eq + 1:]
        elif at >= 0:
            name, loaded = value[:at], reader.text(value[at + 1:], "request body")
            if loaded is None:
                return None
            content = loaded
        else:
            name, content = "", value
        encoded = quote(content, safe="")
        return f"{name}={encoded}" if name else encoded

    def data(self, op: _Op, name: str, value: str | None) -> None:
        piece: str | None
        if value is None:
            piece = None
            op.reader.note("request body is not statically known")
        elif name == "data-urlencode":
            piece = self.urlencoded(value, op.reader)
        elif value.startswith("@") and name != "data-raw":
            piece = op.reader.text(value[1:], "request body")
            if piece is not None and name in ("data", "data-ascii"):
                piece = piece.translate(_STRIP_NEWLINES)
        else:
            piece = value
        if op.data and name != "json":
            op.data.append("&")
        op.data.append(piece)
        op.json = op.json or name == "json"

    @staticmethod
    def form(op: _Op, name: str, value: str | None) -> None:
        if value is None:
            op.form.append(("", None))
            op.reader.note("form field is not statically known")
            return
        key, _, content = value.partition("=")
        if name == "form":
            if content.startswith('"') and content.count('"') >= 2:
                content = content[1:content.index('"', 1)]
            else:
                content = content[:min([content.find(a) for a in _FORM_ATTRS
                                        if a in content] or [len(content)])]
            if content[:1] in ("@", "<"):
                op.form.append((key, op.reader.text(content[1:], "form field")))
                return
        op.form.append((key, content))

    @staticmethod
    def header(op: _Op, value: str | None) -> None:
        if value is None:
            return  # header text only known at run time: not payload, see module doc
        lines = [value]
        if value.startswith("@"):
            text = op.reader.text(value[1:], "header")
            lines = text.splitlines() if text is not None else []
        for line in lines:
            pair = split_header(line)
            if pair is not None and pair[0]:
                op.headers.append(pair)

    def requests(self) -> list[HttpRequest]:
        if self.stop and not self.unknown:
            return []
        return [request for op in self.ops for request in self.build(op)]

    def build(self, op: _Op) -> list[HttpRequest]:
        reader = op.reader
        if op.unresolved and any(url is not None for url in op.urls):
            reader.note("an argument is not statically known (it may be an option like -X)")
        body: str | None = None
        content_type = ""
        if op.form:
            pairs = [(k, v) for k, v in op.form if v is not None]
            body = urlencode(pairs) if len(pairs) == len(op.form) else None
            content_type = MULTIPART
        elif op.data:
            pieces = [p for p in op.data if p is not None]
            body = "".join(pieces) if len(pieces) == len(op.data) else None
            content_type = JSON if op.json else FORM
        sends_body = bool(op.form or op.data)
        query = list(op.query)
        if op.get and op.data:
            query.append(body)
            body, content_type, sends_body = None, "", False
        if None in query:
            reader.note("query string is not statically known")
        known_query = "&".join(q for q in query if q)
        method = op.method if op.method is not None else (
            "HEAD" if op.head else "GET" if op.get else "POST" if sends_body
            else "PUT" if op.uploads else "GET")
        if op.method == "":
            reader.note("request method is not statically known")
        out: list[HttpRequest] = []
        for index, raw in enumerate(dict.fromkeys(op.urls)):
            upload = op.uploads[index] if index < len(op.uploads) else ""
            out.extend(self.url_requests(op, raw, method, body, content_type, known_query,
                                         upload))
        return out

    def url_requests(self, op: _Op, raw: str | None, method: str, body: str | None,
                     content_type: str, query: str, upload: str | None) -> list[HttpRequest]:
        """Requests for one URL (globs expanded); ``upload`` is the -T file, "" for none."""
        reader = op.reader
        extra: list[str] = []
        if raw is None:
            urls: list[str | None] = [None]
            extra.append("URL is not statically known")
        else:
            url = with_scheme(raw, op.scheme)
            expanded, why = ([url], "") if op.globoff else expand_globs(url)
            extra += [why] if why else []
            urls = []
            for one in expanded:
                if upload and upload != "-" and one.endswith("/"):
                    one += upload.rsplit("/", 1)[-1]
                urls.append(add_query(one, query) if query else one)
        if upload != "" and not body:
            body = reader.text(upload, "upload")
        return [build_request(method, url, headers=op.headers, body=body,
                              content_type=content_type, body_files=reader.files,
                              opaque=reader.opaque + extra) for url in urls]


def curl_requests(argv: Sequence[str | None], stdin: str | None, stdin_opaque: bool,
                  read_file: ReadFile) -> list[HttpRequest]:
    """The requests a curl command line sends (see :func:`http.http_requests`).

    ``~/.curlrc`` (read by curl unless ``-q`` comes first) is not modelled: the caller
    decides whether it may change what a command does.
    """
    model = _Curl(stdin, stdin_opaque, read_file)
    model.feed(_events(argv[1:]))
    return model.requests()
