"""HTTP requests a command line will send: the request model and the curl, wget,
HTTPie (``http``, ``https``) and xh (``xh``, ``xhs``) argv models.

Pure: files and stdin are only seen through the ``read_file`` callable and the
``stdin`` text the caller passes. What cannot be seen is never guessed away: it is
named in ``HttpRequest.opaque``. A command that sends nothing (``--help``,
``--version``, HTTPie/xh ``--offline``, xh ``--curl``) yields no request at all.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from shellgate.values import record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

if TYPE_CHECKING:
    ReadFile = Callable[[str], "bytes | None"]
    """Returns a file's bytes, or None when shellgate may not or cannot read it."""

HTTP_TOOLS: frozenset[str] = frozenset({"curl", "wget", "http", "https", "xh", "xhs"})
"""Tool names :func:`http_requests` understands (``argv[0]`` after normalisation)."""

DYNAMIC = "__shellgate_dynamic__"
"""Stands for a part of a URL or body that is only computed at run time (one-liners)."""

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
MULTIPART = "multipart/form-data"


@record
class HttpRequest:
    """One HTTP request a command will send, as far as shellgate can see it.

    ``headers`` keep their names as written. For multipart forms (curl ``-F``, HTTPie
    file fields) ``body`` holds the form fields encoded as
    ``application/x-www-form-urlencoded`` text while ``content_type`` stays
    ``multipart/form-data``: the MIME framing is the tool's own and carries nothing
    a rule needs.
    """

    method: str
    url: str | None
    scheme: str
    host: str
    port: int | None
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    content_type: str = ""
    body_files: tuple[str, ...] = ()
    opaque: tuple[str, ...] = ()

    @property
    def query(self) -> str:
        """The URL's query string without ``?`` ("" when none or unknown)."""
        if self.url is None:
            return ""
        try:
            return urlsplit(self.url).query
        except ValueError:
            return ""


def build_request(method: str, url: str | None, *, headers: Iterable[tuple[str, str]] = (),
                  body: str | None = None, content_type: str = "",
                  body_files: Iterable[str] = (), opaque: Iterable[str] = ()) -> HttpRequest:
    """An :class:`HttpRequest` with the URL split and the content type settled.

    A ``Content-Type`` header overrides ``content_type`` (the type the flag implies);
    the stored type is the lower-case media type without parameters.
    """
    reasons = list(opaque)
    scheme, host, port, path = "", "", None, ""
    if url is not None:
        parts = split_url(url)
        if parts is None:
            reasons.append(f"URL {url!r} could not be parsed")
        else:
            scheme, host, port, path = parts
        if DYNAMIC in url:
            reasons.append("URL is partly computed at run time")
    heads = tuple(headers)
    for name, value in heads:
        if name.strip().lower() == "content-type":
            content_type = value
    return HttpRequest(
        method=method.upper(), url=url, scheme=scheme, host=host, port=port, path=path,
        headers=heads, body=body,
        content_type=content_type.split(";", 1)[0].strip().lower(),
        body_files=tuple(dict.fromkeys(body_files)), opaque=tuple(dict.fromkeys(reasons)))


# --- URLs --------------------------------------------------------------------------------

_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _decode_unreserved(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else match.group(0).upper()

    return _PERCENT.sub(repl, text)


def _remove_dots(path: str) -> str:
    if "." not in path:
        return path
    segments = path.split("/")
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")
    return "/".join(out)


def split_url(url: str) -> tuple[str, str, int | None, str] | None:
    """(scheme, host, port, path) of an absolute URL, normalised for matching.

    The host is lower-case, percent-decoded and without a trailing dot; the path has
    its dot segments removed and percent-encoded unreserved characters decoded (what
    a server treats as the same path). None when the URL cannot be parsed.
    """
    try:
        parts: SplitResult = urlsplit(url.strip())
        host = _PERCENT.sub(lambda m: chr(int(m.group(1), 16)), parts.hostname or "")
        try:
            port = parts.port
        except ValueError:
            port = None
    except ValueError:
        return None
    path = _remove_dots(_decode_unreserved(parts.path)) or "/"
    return parts.scheme.lower(), host.lower().rstrip("."), port, path


def _bare_host(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        host = host[1:end] if end > 0 else host[1:]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def host_matches(host: str, pattern: str) -> bool:
    """Whether ``host`` is ``pattern`` (exact, or ``*.suffix`` for any subdomain).

    Case-insensitive; a trailing dot and a ``:port`` on either side are ignored.
    ``*.railway.app`` matches ``backboard.railway.app`` but not ``railway.app`` and not
    ``evilrailway.app``; ``*`` alone matches any host.
    """
    bare, glob = _bare_host(host), _bare_host(pattern)
    if glob == "*":
        return bool(bare)
    if glob.startswith("*."):
        return bare.endswith(glob[1:]) and len(bare) > len(glob) - 1
    return bool(bare) and bare == glob


# --- shared reading of payload files and stdin ---------------------------------------------


class Reader:
    """Reads payload files and stdin for one request, remembering what it could not see."""

    def __init__(self, stdin: str | None, stdin_opaque: bool, read_file: ReadFile) -> None:
        self.stdin = stdin
        self.stdin_opaque = stdin_opaque
        self.read_file = read_file
        self.files: list[str] = []
        self.opaque: list[str] = []

    def note(self, reason: str) -> None:
        """Record something that could not be seen."""
        self.opaque.append(reason)

    def stdin_text(self, what: str) -> str | None:
        """The text on stdin, or None (noted) when it cannot be seen."""
        if self.stdin is not None:
            return self.stdin
        self.note(f"{what} from stdin pipe" if self.stdin_opaque
                  else f"{what} from stdin (not visible)")
        return None

    def text(self, path: str | None, what: str) -> str | None:
        """A file's text (``-`` is stdin), or None (noted) when it cannot be seen."""
        if path is None:
            self.note(f"{what} file name is not statically known")
            return None
        if path == "-":
            return self.stdin_text(what)
        self.files.append(path)
        data = self.read_file(path)
        if data is None:
            self.note(f"file {path} not visible")
            return None
        return data.decode("utf-8", "replace")


def split_header(line: str) -> tuple[str, str] | None:
    """``Name: value`` (or curl's ``Name;`` for an empty header) as a pair."""
    name, sep, value = line.partition(":")
    if not sep:
        if line.rstrip().endswith(";"):
            return line.rstrip()[:-1].strip(), ""
        return None
    return name.strip(), value.strip()


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def guess_scheme(url: str, default: str = "http") -> str:
    """``url`` with a scheme: curl and wget default to http for a bare ``host/path``."""
    if _SCHEME.match(url):
        return url
    return f"{default}://{url}"


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated names in ``text`` (option tables)."""
    return frozenset(text.split())


def letter_map(letters: str, text: str) -> dict[str, str]:
    """Short option letters mapped, in order, to the long names in ``text``."""
    return dict(zip(letters, text.split(), strict=True))


def option_events(words: Sequence[str | None], shorts: Mapping[str, str],
                  takes_value: Callable[[str], bool], resolve: Callable[[str], str] = str,
                  max_attached: int | None = None) -> Iterator[tuple[str, str | None]]:
    """getopt_long-style (option name, argument) pairs for an HTTP client's argv: ""
    names a positional, "?" a word shellgate could not resolve.

    Short letters map through ``shorts`` (an unknown one stays ``-x``) and bundle until
    one that takes a value; ``--name=value`` attaches a value (only when ``name`` is at
    most ``max_attached`` long: curl reads a longer one as an option name); ``resolve``
    completes abbreviated long names (getopt, argparse)."""
    options = True
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word is None:
            yield "?", None
        elif not options or not word.startswith("-") or word == "-":
            yield "", word
        elif word == "--":
            options = False
        elif word.startswith("--"):
            name, eq, value = word[2:].partition("=")
            if eq and max_attached is not None and len(name) > max_attached:
                name, eq = word[2:], ""
            name = resolve(name)
            if eq:
                yield name, value
            elif takes_value(name):
                yield name, words[i] if i < len(words) else None
                i += 1
            else:
                yield name, None
        else:
            for j in range(1, len(word)):
                name = shorts.get(word[j], "-" + word[j])
                if not takes_value(name):
                    yield name, None
                    continue
                if j + 1 < len(word):
                    yield name, word[j + 1:]
                else:
                    yield name, words[i] if i < len(words) else None
                    i += 1
                break


# --- dispatch ------------------------------------------------------------------------------


def http_requests(tool: str, argv: Sequence[str | None], stdin: str | None,
                  stdin_opaque: bool, read_file: ReadFile) -> list[HttpRequest]:
    """Every request the command will send, in command-line order.

    ``argv[0]`` is the normalised tool name (one of :data:`HTTP_TOOLS`); ``None``
    elements are words shellgate could not resolve. ``stdin`` is the text arriving on
    stdin when known; ``stdin_opaque`` says it comes from a pipe or file shellgate
    cannot see. Several URLs give several requests; a URL that is not statically
    known gives a request with ``url=None``. A command that sends nothing gives [].
    """
    # The argv models live in sibling modules that import this one's model.
    if tool == "curl":
        from shellgate.payloads.http.curl import curl_requests

        return curl_requests(argv, stdin, stdin_opaque, read_file)
    if tool == "wget":
        from shellgate.payloads.http.cli import wget_requests

        return wget_requests(argv, stdin, stdin_opaque, read_file)
    if tool in ("http", "https", "xh", "xhs"):
        from shellgate.payloads.http.cli import httpie_requests

        return httpie_requests(tool, argv, stdin, stdin_opaque, read_file)
    return []
