"""The wget, HTTPie (``http``, ``https``) and xh (``xh``, ``xhs``) argv models."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import urlencode

from shellgate.payloads.http.request import (
    FORM,
    JSON,
    MULTIPART,
    HttpRequest,
    Reader,
    build_request,
    guess_scheme,
    letter_map,
    option_events,
    split_header,
    word_set,
)

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from shellgate.payloads.http.request import ReadFile


@functools.lru_cache(maxsize=512)
def _resolve(name: str, known: frozenset[str], abbreviate: bool) -> str:
    """A long option's full name: getopt and argparse accept unique prefixes."""
    if name in known or not abbreviate:
        return name
    matches = [k for k in known if k.startswith(name)]
    return matches[0] if len(matches) == 1 else name


def _gnu(words: Sequence[str | None], shorts: Mapping[str, str], values: frozenset[str],
         known: frozenset[str], abbreviate: bool) -> Iterator[tuple[str, str | None]]:
    """getopt_long-style (name, argument) pairs; "" names a positional, "?" an unresolved
    word. Long options may be abbreviated when ``abbreviate`` (getopt, argparse)."""
    return option_events(words, shorts, values.__contains__,
                         lambda name: _resolve(name, known, abbreviate))


# --- wget ----------------------------------------------------------------------------------

_WGET_VALUES = word_set("""
execute output-file append-output report-speed input-file base config rejected-log tries
retry-on-http-error output-document start-pos progress timeout dns-timeout connect-timeout
read-timeout wait waitretry quota bind-address limit-rate restrict-file-names prefer-family
user password use-askpass local-encoding remote-encoding directory-prefix cut-dirs http-user
http-password default-page header compression proxy-user proxy-password referer user-agent
load-cookies save-cookies post-data post-file method body-data body-file secure-protocol
certificate certificate-type private-key private-key-type ca-certificate ca-directory crl-file
pinnedpubkey ciphers ftp-user ftp-password warc-file warc-header warc-max-size warc-dedup
warc-tempdir level backups accept reject accept-regex reject-regex regex-type domains
exclude-domains follow-tags ignore-tags include-directories exclude-directories max-redirect
hsts-file input-metalink metalink-index preferred-location n""")
_WGET_KNOWN = _WGET_VALUES | word_set("""
version help background debug quiet verbose no-verbose force-html no-config retry-connrefused
no-clobber no-netrc continue show-progress timestamping server-response spider random-wait
no-proxy no-dns-cache ignore-case inet4-only inet6-only ask-password no-iri unlink xattr
no-directories force-directories no-host-directories protocol-directories no-cache
adjust-extension ignore-length save-headers no-http-keep-alive no-cookies keep-session-cookies
content-disposition content-on-error auth-no-challenge https-only no-check-certificate no-hsts
no-remove-listing no-glob no-passive-ftp recursive delete-after convert-links backup-converted
mirror page-requisites span-hosts relative no-parent""")
_WGET_SHORT = letter_map("eoaiBtOTwQPUlARDIXnhVF", """execute output-file append-output
    input-file base tries output-document timeout wait quota directory-prefix user-agent level
    accept reject domains include-directories exclude-directories n help version
    force-html""")
_WGETRC = {"method": "method", "postdata": "post-data", "postfile": "post-file",
           "bodydata": "body-data", "bodyfile": "body-file", "header": "header",
           "input": "input-file"}
_MAX_WGETRC_DEPTH = 4


class _Wget:
    """The settings of one wget command line, then its requests (one per URL)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.method: str | None = None
        self.body: str | None = None
        self.has_body = False
        self.headers: list[tuple[str, str]] = []
        self.urls: list[str | None] = []
        self.stop = False

    def option(self, name: str, value: str | None, depth: int) -> None:
        reader = self.reader
        if name in ("", "?"):
            self.urls.append(value)
        elif name == "method":
            self.method = value.upper() if value is not None else ""
        elif name in ("post-data", "body-data", "post-file", "body-file"):
            self.has_body = True
            if name.endswith("-file"):
                self.body = reader.text(value, "request body")
            else:
                self.body = value
                if value is None:
                    reader.note("request body is not statically known")
        elif name == "header" and value is not None:
            pair = split_header(value)
            self.headers += [pair] if pair is not None and pair[0] else []
        elif name == "input-file":
            text = reader.text(value, "URL list")
            for line in (text or "").splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    self.urls.append(line.strip())
        elif name in ("execute", "config"):
            self.wgetrc(name, value, depth)
        elif name in ("help", "version"):
            self.stop = True

    def wgetrc(self, name: str, value: str | None, depth: int) -> None:
        lines: list[str | None] = [value]
        if name == "config":
            text = self.reader.text(value, "wget config")
            lines = list(text.splitlines()) if text is not None else []
        if depth >= _MAX_WGETRC_DEPTH:
            return
        for line in lines:
            if line is None:
                self.reader.note("a wgetrc command is not statically known")
                continue
            key, eq, setting = line.partition("=")
            key = re.sub(r"[-_\s]", "", key.lower())
            if eq and key in _WGETRC and not line.lstrip().startswith("#"):
                self.option(_WGETRC[key], setting.strip(), depth + 1)

    def requests(self) -> list[HttpRequest]:
        if self.stop:
            return []
        method = self.method if self.method is not None else "POST" if self.has_body else "GET"
        if self.method == "":
            self.reader.note("request method is not statically known")
        if None in self.urls and any(url is not None for url in self.urls):
            self.reader.note("an argument is not statically known (it may be an option "
                             "like --method)")
        out = []
        for url in dict.fromkeys(self.urls):
            extra = [] if url is not None else ["URL is not statically known"]
            out.append(build_request(
                method, guess_scheme(url) if url is not None else None, headers=self.headers,
                body=self.body, content_type=FORM if self.has_body else "",
                body_files=self.reader.files, opaque=self.reader.opaque + extra))
        return out


def wget_requests(argv: Sequence[str | None], stdin: str | None, stdin_opaque: bool,
                  read_file: ReadFile) -> list[HttpRequest]:
    """The requests a wget command line sends. ``~/.wgetrc``/``$WGETRC`` are not read."""
    model = _Wget(Reader(stdin, stdin_opaque, read_file))
    for name, value in _gnu(argv[1:], _WGET_SHORT, _WGET_VALUES, _WGET_KNOWN, True):
        model.option(name, value, 0)
    return model.requests()


# --- HTTPie and xh -------------------------------------------------------------------------

_HTTPIE_VALUES = word_set("""
auth auth-type boundary raw pretty style response-charset response-mime format-options print
history-print output session session-read-only proxy max-redirects max-headers timeout verify
ssl ciphers cert cert-key cert-key-pass default-scheme""")
_HTTPIE_KNOWN = _HTTPIE_VALUES | word_set("""
json form multipart compress unsorted sorted headers meta body verbose all stream download
continue quiet ignore-netrc offline follow check-status path-as-is chunked ignore-stdin help
manual version traceback debug""")
_HTTPIE_SHORT = letter_map("jfxsphmbvPSodcqaAFI", """json form compress style print headers
    meta body verbose history-print stream output download continue quiet auth auth-type
    follow ignore-stdin""")
_XH_VALUES = word_set("""
raw pretty format-options style response-charset response-mime print history-print output
session session-read-only auth-type auth bearer max-redirects timeout proxy verify cert
cert-key ssl default-scheme http-version resolve interface unix-socket generate
unstable-m-sig-id unstable-m-sig-key unstable-m-sig-alg unstable-m-sig-comp""")
_XH_KNOWN = _XH_VALUES | word_set("""
json form multipart headers body meta verbose debug all quiet stream compress download
continue ignore-netrc offline check-status follow native-tls https ipv4 ipv6 ignore-stdin
curl curl-long help version""")
_XH_SHORT = letter_map("jfsphbmvPqSxodcAaF46IV", """json form style print headers body meta
    verbose history-print quiet stream compress output download continue auth-type auth follow
    ipv4 ipv6 ignore-stdin version""")
_SENDS_NOTHING = frozenset({"help", "manual", "version", "offline", "curl", "curl-long",
                            "generate"})
_SEPARATORS = (":=@", "==@", ":=", "=@", "==", ":@", "=", ":", ";", "@")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9.+-]*://")
_LOCALHOST = re.compile(r":(?!:)(\d*)(/?.*)", re.DOTALL)


def split_item(item: str) -> tuple[str, str, str] | None:
    """An HTTPie/xh request item as (key, separator, value): the first separator wins,
    the longest at that position; ``\\`` escapes a separator character."""
    plain: list[str] = []
    escaped: set[int] = set()
    i = 0
    while i < len(item):
        if item[i] == "\\" and i + 1 < len(item) and item[i + 1] in ":=@;":
            escaped.add(len(plain))
            i += 1
        plain.append(item[i])
        i += 1
    text = "".join(plain)
    for pos, char in enumerate(text):
        if char not in ":=@;" or pos in escaped:
            continue
        for sep in _SEPARATORS:
            if text.startswith(sep, pos) and not escaped.intersection(
                    range(pos, pos + len(sep))):
                return text[:pos], sep, text[pos + len(sep):]
    return None


def _httpie_url(url: str, scheme: str) -> str:
    url = url.removeprefix("://")
    if _SCHEME.match(url):
        return url
    local = _LOCALHOST.fullmatch(url)
    if local is not None:
        return f"{scheme}://localhost" + (f":{local[1]}" if local[1] else "") + local[2]
    return f"{scheme}://{url}"


class _Items:
    """Request items sorted into headers, query, data fields, files and a raw body file."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.headers: list[tuple[str, str]] = []
        self.query: list[tuple[str, str]] = []
        self.data: list[tuple[str, object]] = []
        self.files: list[tuple[str, str | None]] = []
        self.raw_file: str | None = None
        self.unknown = False

    def add(self, item: str | None) -> None:
        parsed = split_item(item) if item is not None else None
        if parsed is None:
            self.unknown = True
            self.reader.note("a request item is not statically known" if item is None
                             else f"request item {item!r} is not valid")
            return
        key, sep, value = parsed
        loaded: str | None = value
        if sep.endswith("@") and sep != "@":
            loaded = self.reader.text(value, f"request item {key}")
        if sep in (":", ":@", ";"):
            if loaded or sep == ";":
                self.headers.append((key, (loaded or "").strip()))
        elif sep in ("==", "==@"):
            self.query.append((key, loaded or ""))
        elif sep == "@":
            if key:
                self.files.append((key, self.reader.text(value, f"file field {key}")))
            else:
                self.raw_file = value
        elif sep in (":=", ":=@") and loaded is not None:
            try:
                self.data.append((key, json.loads(loaded)))
            except ValueError:
                self.data.append((key, loaded))
        else:
            self.data.append((key, loaded))

    def body(self, mode: str) -> tuple[str | None, str]:
        """(body, content type) for the data fields and file fields."""
        if mode == "json" and not self.files:
            if any(v is None for _, v in self.data):
                return None, JSON
            return json.dumps(dict(self.data)), JSON
        fields = [(k, v) for k, v in self.data] + [(k, v) for k, v in self.files]
        if any(v is None for _, v in fields):
            return None, MULTIPART if self.files or mode == "multipart" else FORM
        text = urlencode([(k, v if isinstance(v, str) else json.dumps(v)) for k, v in fields])
        return text, MULTIPART if self.files or mode == "multipart" else FORM


def httpie_requests(tool: str, argv: Sequence[str | None], stdin: str | None,
                    stdin_opaque: bool, read_file: ReadFile) -> list[HttpRequest]:
    """The request an HTTPie or xh command sends: ``[METHOD] URL [ITEM…]``.

    HTTPie reads stdin as the body when it is not a terminal; stdin that is neither
    given nor marked opaque is taken to be a terminal (no body). HTTPie's and xh's
    ``config.json`` default options are not read.
    """
    xh = tool.startswith("xh")
    reader = Reader(stdin, stdin_opaque, read_file)
    settings: dict[str, str | None] = {}
    positionals: list[str | None] = []
    tables = (_XH_SHORT, _XH_VALUES, _XH_KNOWN) if xh else (
        _HTTPIE_SHORT, _HTTPIE_VALUES, _HTTPIE_KNOWN)
    for name, value in _gnu(argv[1:], *tables, abbreviate=not xh):
        if name in ("", "?"):
            positionals.append(value)
        elif name.startswith("no-") and name[3:] in tables[2]:
            settings.pop(name[3:], None)
        else:
            settings[name] = value
    if _SENDS_NOTHING & settings.keys():
        return []
    method: str | None = None
    first = positionals[0] if positionals else None
    if first is None and len(positionals) > 1:
        reader.note("request method or URL is not statically known")
        method, positionals = "", positionals[1:]
    elif first is not None and re.fullmatch("[A-Za-z]+", first) and (xh or len(positionals) > 1):
        method, positionals = first.upper(), positionals[1:]
    if not positionals:
        return []
    items = _Items(reader)
    for item in positionals[1:]:
        items.add(item)
    return [_httpie_request(tool, settings, method, positionals[0], items)]


def _httpie_request(tool: str, settings: Mapping[str, str | None], method: str | None,
                    raw_url: str | None, items: _Items) -> HttpRequest:
    reader = items.reader
    mode = "form" if "form" in settings else "multipart" if "multipart" in settings else "json"
    body: str | None = None
    content_type = ""
    sends = True
    if "raw" in settings:
        body, content_type = settings["raw"], FORM if mode == "form" else JSON
        if body is None:
            reader.note("request body is not statically known")
    elif items.raw_file is not None:
        body = reader.text(items.raw_file, "request body")
        suffix = items.raw_file.rsplit(".", 1)[-1].lower()
        content_type = {"json": JSON, "graphql": "application/graphql",
                        "gql": "application/graphql"}.get(suffix, "")
    elif items.data or items.files:
        body, content_type = items.body(mode)
    elif "ignore-stdin" not in settings and (reader.stdin is not None or reader.stdin_opaque):
        body, content_type = reader.stdin_text("request body"), JSON
    else:
        sends = False
    if method is None:
        method = "POST" if sends else "" if items.unknown else "GET"
        if method == "":
            reader.note("request method depends on request items that are not visible")
    scheme = "https" if tool in ("https", "xhs") or "https" in settings else (
        settings.get("default-scheme") or "http")
    url = None
    if raw_url is None:
        reader.note("URL is not statically known")
    else:
        url = _httpie_url(raw_url, scheme)
        if items.query:
            base, hash_, fragment = url.partition("#")
            url = base + ("&" if "?" in base else "?") + urlencode(items.query) + hash_ + fragment
    return build_request(method, url, headers=items.headers, body=body,
                         content_type=content_type, body_files=reader.files,
                         opaque=reader.opaque)
