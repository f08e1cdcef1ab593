"""The HTTP request model and the curl / wget / HTTPie / xh argv models."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shellgate.payloads.http.request import (
    DYNAMIC,
    HTTP_TOOLS,
    HttpRequest,
    build_request,
    host_matches,
    http_requests,
    split_url,
)

RAILWAY = "https://backboard.railway.app/graphql/v2"
VOLUME_DELETE = '{"query":"mutation { volumeDelete(volumeId: \\"vol_1\\") }"}'
FILES: dict[str, bytes] = {
    "body.json": b'{"query": "mutation { serviceDelete(id: 1) }"}\r\n',
    "lines.txt": b"a=1\nb=2\n",
    "headers.txt": b"X-One: 1\nContent-Type: application/graphql\n",
    "curl.cfg": b'# a config\nurl = "https://cfg.example/v1"\n-X DELETE\nheader: "X-From: cfg"\n',
    "urls.txt": b"https://one.example/a\n# comment\n\nhttps://two.example/b\n",
    "wgetrc": b"method = DELETE\n",
}


def read_file(path: str) -> bytes | None:
    return FILES.get(path)


def run(argv: Sequence[str | None], stdin: str | None = None,
        stdin_opaque: bool = False, files: Mapping[str, bytes] | None = None) -> list[HttpRequest]:
    table = FILES if files is None else files
    tool = argv[0]
    assert tool is not None
    return http_requests(tool, argv, stdin, stdin_opaque, table.get)


def summary(req: HttpRequest) -> tuple[str, str | None, str | None, str]:
    return req.method, req.url, req.body, req.content_type


# --- URLs and hosts --------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "pattern", "expected"), [
    ("backboard.railway.app", "backboard.railway.app", True),
    ("BACKBOARD.Railway.APP", "backboard.railway.app", True),
    ("backboard.railway.app.", "backboard.railway.app", True),
    ("backboard.railway.app:443", "backboard.railway.app", True),
    ("backboard.railway.app", "*.railway.app", True),
    ("a.b.railway.app", "*.railway.app", True),
    ("railway.app", "*.railway.app", False),
    ("evilrailway.app", "*.railway.app", False),
    ("railway.app.evil.com", "*.railway.app", False),
    ("backboard.railway.com", "backboard.railway.app", False),
    ("[::1]:8080", "::1", True),
    ("", "*", False),
    ("anything.example", "*", True),
    ("api.example.com", "API.EXAMPLE.COM.", True),
])
def test_host_matches(host: str, pattern: str, expected: bool) -> None:
    assert host_matches(host, pattern) is expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://Backboard.Railway.App./graphql/v2?x=1#f",
     ("https", "backboard.railway.app", None, "/graphql/v2")),
    ("http://x.example:8080", ("http", "x.example", 8080, "/")),
    ("https://x.example/a/./b/../c", ("https", "x.example", None, "/a/c")),
    ("https://x.example/%76olumes/%2F1", ("https", "x.example", None, "/volumes/%2F1")),
    ("https://x.example/a/%2e%2e/b", ("https", "x.example", None, "/b")),
    ("https://backboard%2erailway%2eapp/x", ("https", "backboard.railway.app", None, "/x")),
    ("https://user:pw@x.example/p", ("https", "x.example", None, "/p")),
    ("http://[::1]:3000/p", ("http", "::1", 3000, "/p")),
    ("http://x.example:99999/p", ("http", "x.example", None, "/p")),
])
def test_split_url(url: str, expected: tuple[str, str, int | None, str]) -> None:
    assert split_url(url) == expected


def test_build_request_header_sets_content_type_and_dynamic_url_is_opaque() -> None:
    req = build_request("post", f"https://x.example/{DYNAMIC}",
                        headers=[("content-type", "Application/JSON; charset=utf-8")],
                        content_type="application/x-www-form-urlencoded")
    assert req.method == "POST"
    assert req.content_type == "application/json"
    assert req.opaque == ("URL is partly computed at run time",)
    assert req.query == ""


def test_tool_set() -> None:
    assert frozenset({"curl", "wget", "http", "https", "xh", "xhs"}) == HTTP_TOOLS
    assert run(["lynx", "https://x.example"]) == []


# --- curl ----------------------------------------------------------------------------------

CURL: list[tuple[list[str | None], list[tuple[str, str | None, str | None, str]]]] = [
    (["curl", "-X", "POST", RAILWAY, "-H", "Authorization: Bearer t", "-H",
      "Content-Type: application/json", "-d", VOLUME_DELETE],
     [("POST", RAILWAY, VOLUME_DELETE, "application/json")]),
    (["curl", RAILWAY, "-d", VOLUME_DELETE],
     [("POST", RAILWAY, VOLUME_DELETE, "application/x-www-form-urlencoded")]),
    (["curl", "-XDELETE", "https://api.example/v1/x"],
     [("DELETE", "https://api.example/v1/x", None, "")]),
    (["curl", "--request=delete", "https://api.example/x"],
     [("DELETE", "https://api.example/x", None, "")]),
    (["curl", "--request", "Delete", "https://api.example/x"],
     [("DELETE", "https://api.example/x", None, "")]),
    (["curl", "-sX", "DELETE", "https://api.example/x"],
     [("DELETE", "https://api.example/x", None, "")]),
    (["curl", "-fsSLXPOST", "https://api.example/x"],
     [("POST", "https://api.example/x", None, "")]),
    (["curl", "-sSfL", "-X", "PATCH", "https://api.example/x"],
     [("PATCH", "https://api.example/x", None, "")]),
    (["curl", "--data-raw", "@notafile", "https://a.example"],
     [("POST", "https://a.example", "@notafile", "application/x-www-form-urlencoded")]),
    (["curl", "--data-binary", "x", "https://a.example"],
     [("POST", "https://a.example", "x", "application/x-www-form-urlencoded")]),
    (["curl", "--json", '{"a":1}', "https://a.example"],
     [("POST", "https://a.example", '{"a":1}', "application/json")]),
    (["curl", "--json", '{"a":', "--json", "1}", "https://a.example"],
     [("POST", "https://a.example", '{"a":1}', "application/json")]),
    (["curl", "-d", "a=1", "-d", "b=2", "https://a.example"],
     [("POST", "https://a.example", "a=1&b=2", "application/x-www-form-urlencoded")]),
    (["curl", "-F", "name=x", "--form-string", "q=@raw;type=x", "https://a.example"],
     [("POST", "https://a.example", "name=x&q=%40raw%3Btype%3Dx", "multipart/form-data")]),
    (["curl", "-F", "query=mutation { a };type=text/plain", "https://a.example"],
     [("POST", "https://a.example", "query=mutation+%7B+a+%7D", "multipart/form-data")]),
    (["curl", "-F", "doc=<body.json", "https://a.example"],
     [("POST", "https://a.example",
       "doc=%7B%22query%22%3A+%22mutation+%7B+serviceDelete%28id%3A+1%29+%7D%22%7D%0D%0A",
       "multipart/form-data")]),
    (["curl", "--data-urlencode", "query=mutation { x }", "https://a.example/g"],
     [("POST", "https://a.example/g", "query=mutation%20%7B%20x%20%7D",
       "application/x-www-form-urlencoded")]),
    (["curl", "--data-urlencode", "=a b", "--data-urlencode", "c d", "https://a.example"],
     [("POST", "https://a.example", "a%20b&c%20d", "application/x-www-form-urlencoded")]),
    (["curl", "--data-urlencode", "f@lines.txt", "--data-urlencode", "@lines.txt",
      "https://a.example"],
     [("POST", "https://a.example", "f=a%3D1%0Ab%3D2%0A&a%3D1%0Ab%3D2%0A",
       "application/x-www-form-urlencoded")]),
    (["curl", "-G", "-d", "query={ me }", "https://a.example/graphql?x=1"],
     [("GET", "https://a.example/graphql?x=1&query={ me }", None, "")]),
    (["curl", "--get", "--url-query", "+a=b c", "--url-query", "q=x y", "https://a.example/#f"],
     [("GET", "https://a.example/?a=b c&q=x%20y#f", None, "")]),
    (["curl", "-I", "https://a.example"], [("HEAD", "https://a.example", None, "")]),
    (["curl", "-T", "lines.txt", "https://a.example/up/"],
     [("PUT", "https://a.example/up/lines.txt", "a=1\nb=2\n", "")]),
    (["curl", "example.com/a"], [("GET", "http://example.com/a", None, "")]),
    (["curl", "ftp.example.com/a"], [("GET", "ftp://ftp.example.com/a", None, "")]),
    (["curl", "--proto-default", "https", "example.com"],
     [("GET", "https://example.com", None, "")]),
    (["curl", "https://a.example", "--url", "https://b.example", "c.example"],
     [("GET", "https://a.example", None, ""), ("GET", "https://b.example", None, ""),
      ("GET", "http://c.example", None, "")]),
    (["curl", "-X", "DELETE", "https://a.example", "--next", "-d", "x=1", "https://b.example"],
     [("DELETE", "https://a.example", None, ""),
      ("POST", "https://b.example", "x=1", "application/x-www-form-urlencoded")]),
    (["curl", "-X", "DELETE", "https://a.example/{v1,v2}/[1-2]"],
     [("DELETE", f"https://a.example/{p}", None, "") for p in ("v1/1", "v1/2", "v2/1", "v2/2")]),
    (["curl", "-g", "http://[::1]:8080/{a,b}"], [("GET", "http://[::1]:8080/{a,b}", None, "")]),
    (["curl", "http://[::1]:8080/x"], [("GET", "http://[::1]:8080/x", None, "")]),
    (["curl", "-o", "out", "-u", "u:p", "-A", "ua", "-e", "ref", "-w", "%{http_code}",
      "-m", "5", "-x", "proxy:1", "-b", "c=1", "-c", "jar", "https://a.example"],
     [("GET", "https://a.example", None, "")]),
    (["curl", "--", "-X", "https://a.example"],
     [("GET", "http://-X", None, ""), ("GET", "https://a.example", None, "")]),
    (["curl", "-H", "@headers.txt", "-d", "{ a }", "https://a.example"],
     [("POST", "https://a.example", "{ a }", "application/graphql")]),
    (["curl", "-K", "curl.cfg"], [("DELETE", "https://cfg.example/v1", None, "")]),
    (["curl", "--variable", "id=vol_9", "--expand-url", "https://a.example/v/{{id}}",
      "-X", "DELETE"], [("DELETE", "https://a.example/v/vol_9", None, "")]),
    (["curl", "--variable", "q= mutation { a } ", "--expand-json", '{"query":"{{q:trim:json}}"}',
      "https://a.example"],
     [("POST", "https://a.example", '{"query":"mutation { a }"}', "application/json")]),
    (["curl", "--variable", "p=a b/c", "--expand-url", "https://a.example/{{p:url}}/{{p:b64}}"],
     [("GET", "https://a.example/a%20b%2Fc/YSBiL2M=", None, "")]),
    (["curl", "--variable", "f@lines.txt", "--expand-data", "{{f}}{{nothere}}\\{{x}}",
      "https://a.example"],
     [("POST", "https://a.example", "a=1\nb=2\n{{x}}", "application/x-www-form-urlencoded")]),
    (["curl", "--help", "-X", "DELETE", "https://a.example"], []),
    (["curl", "-V"], []),
    (["curl", "--manual"], []),
]


@pytest.mark.parametrize(("argv", "expected"), CURL)
def test_curl(argv: list[str | None],
              expected: list[tuple[str, str | None, str | None, str]]) -> None:
    requests = run(argv)
    assert [summary(r) for r in requests] == expected
    assert all(not r.opaque for r in requests)


def test_curl_railway_incident_host_path_and_headers() -> None:
    [req] = run(["curl", "-X", "POST", RAILWAY, "-H", "Authorization: Bearer t",
                 "-d", VOLUME_DELETE])
    assert (req.scheme, req.host, req.port, req.path) == (
        "https", "backboard.railway.app", None, "/graphql/v2")
    assert req.headers == (("Authorization", "Bearer t"),)


@pytest.mark.parametrize("letter", list("oAebcwmxrCEQtUyYzDP"))
def test_curl_short_options_take_a_value(letter: str) -> None:
    assert [r.url for r in run(["curl", f"-{letter}", "VALUE", "https://a.example"])] == [
        "https://a.example"]
    assert [r.url for r in run(["curl", f"-s{letter}VALUE", "https://a.example"])] == [
        "https://a.example"]


@pytest.mark.parametrize(("argv", "stdin", "stdin_opaque", "body", "opaque", "files"), [
    (["curl", "-d", "@body.json", "https://a.example"], None, False,
     '{"query": "mutation { serviceDelete(id: 1) }"}', (), ("body.json",)),
    (["curl", "--data-binary", "@body.json", "https://a.example"], None, False,
     '{"query": "mutation { serviceDelete(id: 1) }"}\r\n', (), ("body.json",)),
    (["curl", "-d", "@missing.json", "https://a.example"], None, False, None,
     ("file missing.json not visible",), ("missing.json",)),
    (["curl", "--json", "@-", "https://a.example"], "{ me }", False, "{ me }", (), ()),
    (["curl", "-d", "@-", "https://a.example"], None, True, None,
     ("request body from stdin pipe",), ()),
    (["curl", "-d", "@-", "https://a.example"], None, False, None,
     ("request body from stdin (not visible)",), ()),
    (["curl", "-d", None, "https://a.example"], None, False, None,
     ("request body is not statically known",), ()),
    (["curl", "-K", "nothere.cfg", "https://a.example"], None, False, None,
     ("file nothere.cfg not visible",), ("nothere.cfg",)),
    (["curl", "--variable", "%TOKEN", "--expand-data", "t={{TOKEN}}", "https://a.example"],
     None, False, None,
     ("curl variable TOKEN is not statically known", "request body is not statically known"),
     ()),
    (["curl", "--variable", "a=x", "--expand-data", "{{a:rot13}}", "https://a.example"],
     None, False, None, ("curl variable function 'rot13' is not supported",
                         "request body is not statically known"), ()),
])
def test_curl_payload_visibility(argv: list[str | None], stdin: str | None, stdin_opaque: bool,
                                 body: str | None, opaque: tuple[str, ...],
                                 files: tuple[str, ...]) -> None:
    [req] = run(argv, stdin, stdin_opaque)
    assert req.body == body
    assert req.opaque == opaque
    assert req.body_files == files


def test_curl_unresolved_words() -> None:
    only = run(["curl", "-s", None])
    assert [(r.method, r.url, r.opaque) for r in only] == [
        ("GET", None, ("URL is not statically known",))]
    mixed = run(["curl", None, "https://a.example"])
    assert [r.url for r in mixed] == [None, "https://a.example"]
    assert all("an argument is not statically known (it may be an option like -X)" in r.opaque
               for r in mixed)
    [method] = run(["curl", "-X", None, "https://a.example"])
    assert (method.method, method.opaque) == ("", ("request method is not statically known",))


def test_curl_help_after_unknown_option_is_not_trusted() -> None:
    requests = run(["curl", "--frobnicate", "--help", "-X", "DELETE", "https://a.example"])
    assert [summary(r) for r in requests] == [("DELETE", "https://a.example", None, "")]


def test_curl_glob_that_expands_too_far_stays_whole_and_is_opaque() -> None:
    [req] = run(["curl", "https://a.example/[1-100000]"])
    assert req.url == "https://a.example/[1-100000]"
    assert req.opaque == ("URL glob expands to too many URLs; shown unexpanded",)


# --- wget ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "expected"), [
    (["wget", "--method=DELETE", "https://a.example/v"],
     [("DELETE", "https://a.example/v", None, "")]),
    (["wget", "-qO-", "--method", "delete", "a.example/v"],
     [("DELETE", "http://a.example/v", None, "")]),
    (["wget", "--meth", "PATCH", "--body-data", "x=1", "https://a.example"],
     [("PATCH", "https://a.example", "x=1", "application/x-www-form-urlencoded")]),
    (["wget", "--post-data=a=1", "https://a.example"],
     [("POST", "https://a.example", "a=1", "application/x-www-form-urlencoded")]),
    (["wget", "--post-file", "lines.txt", "https://a.example"],
     [("POST", "https://a.example", "a=1\nb=2\n", "application/x-www-form-urlencoded")]),
    (["wget", "--header=Content-Type: application/json", "--post-data", "{}", "https://a.example"],
     [("POST", "https://a.example", "{}", "application/json")]),
    (["wget", "-i", "urls.txt"], [("GET", "https://one.example/a", None, ""),
                                   ("GET", "https://two.example/b", None, "")]),
    (["wget", "-e", "method=DELETE", "https://a.example"],
     [("DELETE", "https://a.example", None, "")]),
    (["wget", "--config", "wgetrc", "https://a.example"],
     [("DELETE", "https://a.example", None, "")]),
    (["wget", "-nv", "-t", "3", "-T", "5", "-U", "ua", "https://a.example"],
     [("GET", "https://a.example", None, "")]),
    (["wget", "--help"], []),
    (["wget", "-V", "https://a.example"], []),
])
def test_wget(argv: list[str | None],
              expected: list[tuple[str, str | None, str | None, str]]) -> None:
    assert [summary(r) for r in run(argv)] == expected


def test_wget_unseen_body_file() -> None:
    [req] = run(["wget", "--body-file=nothere", "--method=PUT", "https://a.example"])
    assert (req.method, req.body, req.opaque) == ("PUT", None, ("file nothere not visible",))


# --- HTTPie and xh -------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "expected"), [
    (["http", "DELETE", "api.example/v1", "Authorization:Bearer t"],
     [("DELETE", "http://api.example/v1", None, "")]),
    (["http", "delete", "api.example/v1"], [("DELETE", "http://api.example/v1", None, "")]),
    (["http", "api.example/v1"], [("GET", "http://api.example/v1", None, "")]),
    (["http", "localhost"], [("GET", "http://localhost", None, "")]),
    (["http", "api.example/g", "query=mutation { a }", "n:=1"],
     [("POST", "http://api.example/g", '{"query": "mutation { a }", "n": 1}',
       "application/json")]),
    (["http", "-f", "POST", "api.example", "a=b", "c=d"],
     [("POST", "http://api.example", "a=b&c=d", "application/x-www-form-urlencoded")]),
    (["http", "--form", "api.example", "a=b", "up@lines.txt"],
     [("POST", "http://api.example", "a=b&up=a%3D1%0Ab%3D2%0A", "multipart/form-data")]),
    (["http", "api.example", "@body.json"],
     [("POST", "http://api.example", FILES["body.json"].decode(), "application/json")]),
    (["http", "api.example", "q=@lines.txt", "raw:=@body.json"],
     [("POST", "http://api.example",
       '{"q": "a=1\\nb=2\\n", "raw": {"query": "mutation { serviceDelete(id: 1) }"}}',
       "application/json")]),
    (["https", "api.example/x", "a==1", "b==x y"],
     [("GET", "https://api.example/x?a=1&b=x+y", None, "")]),
    (["http", ":3000/path"], [("GET", "http://localhost:3000/path", None, "")]),
    (["http", ":/path"], [("GET", "http://localhost/path", None, "")]),
    (["http", "://api.example/p"], [("GET", "http://api.example/p", None, "")]),
    (["http", "--raw", "mutation { a }", "POST", "api.example"],
     [("POST", "http://api.example", "mutation { a }", "application/json")]),
    (["http", "-v", "--timeout", "5", "-a", "u:p", "PUT", "api.example", "a\\=b=c"],
     [("PUT", "http://api.example", '{"a=b": "c"}', "application/json")]),
    (["http", "--offline", "DELETE", "api.example"], []),
    (["http", "--offline", "--no-offline", "DELETE", "api.example"],
     [("DELETE", "http://api.example", None, "")]),
    (["http", "--help"], []),
    (["xh", "delete", "api.example/v"], [("DELETE", "http://api.example/v", None, "")]),
    (["xhs", "api.example/v"], [("GET", "https://api.example/v", None, "")]),
    (["xh", "--https", "api.example"], [("GET", "https://api.example", None, "")]),
    (["xh", "-h", "post", "api.example", "a=b"],
     [("POST", "http://api.example", '{"a": "b"}', "application/json")]),
    (["xh", "--curl", "delete", "api.example"], []),
    (["xh", "--offline", "delete", "api.example"], []),
])
def test_httpie_and_xh(argv: list[str | None],
                       expected: list[tuple[str, str | None, str | None, str]]) -> None:
    requests = run(argv)
    assert [summary(r) for r in requests] == expected
    assert all(not r.opaque for r in requests)


def test_httpie_headers_and_stdin() -> None:
    [req] = run(["http", "PUT", "api.example", "X-A:1", "X-Empty;", "X-Gone:"])
    assert req.headers == (("X-A", "1"), ("X-Empty", ""))
    [piped] = run(["http", "api.example"], stdin='{"query": "{ a }"}')
    assert (piped.method, piped.body) == ("POST", '{"query": "{ a }"}')
    [hidden] = run(["http", "api.example"], stdin_opaque=True)
    assert (hidden.method, hidden.body, hidden.opaque) == (
        "POST", None, ("request body from stdin pipe",))
    [ignored] = run(["http", "--ignore-stdin", "api.example"], stdin_opaque=True)
    assert (ignored.method, ignored.opaque) == ("GET", ())


def test_httpie_unresolved_words() -> None:
    [item] = run(["http", "api.example", None])
    assert (item.method, item.opaque[0]) == ("", "a request item is not statically known")
    [url] = run(["http", None])
    assert (url.url, url.opaque) == (None, ("URL is not statically known",))
    [both] = run(["http", None, "api.example"])
    assert both.method == ""
    assert "request method or URL is not statically known" in both.opaque


# --- robustness and import budget ----------------------------------------------------------

words = st.one_of(st.none(), st.text(max_size=12),
                  st.sampled_from(["-X", "-d", "-F", "@-", "--json", "-K", "--next", "-G",
                                   "--variable", "--expand-url", "{{a}}", "-T", "x=@y", "a:=1"]))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(HTTP_TOOLS)), st.lists(words, max_size=8), st.booleans())
def test_never_raises(tool: str, args: list[str | None], opaque: bool) -> None:
    requests = http_requests(tool, [tool, *args], None, opaque, read_file)
    assert all(isinstance(r, HttpRequest) for r in requests)


def test_import_does_not_load_graphql_core() -> None:
    code = ("import sys; import shellgate.payloads.http.request, shellgate.payloads.code.oneliners;"
            "from shellgate.payloads.http.request import http_requests;"
            "http_requests('curl', ['curl', '-d', '{}', 'https://a.example'], None, False,"
            " lambda p: None);"
            "print(sorted(m for m in sys.modules if m == 'graphql' or m.startswith('graphql.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
