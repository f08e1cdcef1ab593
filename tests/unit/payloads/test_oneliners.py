"""HTTP calls inside python, node, perl and ruby one-liners."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shellgate.payloads.code.lexer import tokenize
from shellgate.payloads.code.oneliners import code_requests, language_of, oneliner_requests
from shellgate.payloads.http.graphql import graphql_calls
from shellgate.payloads.http.request import DYNAMIC, HttpRequest

RAILWAY = "https://backboard.railway.app/graphql/v2"
DELETE_VOLUME = "mutation { volumeDelete(volumeId: 42) }"


def calls(language: str, code: str) -> list[tuple[str, str | None]]:
    return [(r.method, r.url) for r in code_requests(language, code)]


def mutations(requests: list[HttpRequest]) -> list[str]:
    found: list[str] = []
    for request in requests:
        call = graphql_calls(request)
        found += list(call.mutations) if call is not None else []
    return found


@pytest.mark.parametrize(("tool", "language"), [
    ("python", "python"), ("python3", "python"), ("python3.12", "python"), ("pypy3", "python"),
    ("node", "node"), ("nodejs", "node"), ("perl", "perl"), ("ruby", "ruby"),
    ("bash", None), ("pythonista", None),
])
def test_language_of(tool: str, language: str | None) -> None:
    assert language_of(tool) == language


# --- python ----------------------------------------------------------------------------------

PYTHON: list[tuple[str, list[tuple[str, str | None]]]] = [
    ("import requests; requests.delete('https://api.example/v1/volumes/1')",
     [("DELETE", "https://api.example/v1/volumes/1")]),
    ("import requests as r\nr.request('DELETE', 'https://api.example/a')",
     [("DELETE", "https://api.example/a")]),
    ("from requests import delete\ndelete(url='https://api.example/a')",
     [("DELETE", "https://api.example/a")]),
    ("import requests\ns = requests.Session()\ns.headers.update({'a': 'b'})\n"
     "r = s.patch('https://api.example/a')\nprint(r.json())", [("PATCH", "https://api.example/a")]),
    ("import httpx\nwith httpx.Client(base_url='https://api.example/v1') as c:\n"
     "    c.delete('/volumes/1')", [("DELETE", "https://api.example/v1/volumes/1")]),
    ("import httpx; httpx.request(method='PUT', url='https://api.example/p')",
     [("PUT", "https://api.example/p")]),
    ("import urllib.request as u\nreq = u.Request('https://api.example/a', method='DELETE')\n"
     "u.urlopen(req)", [("DELETE", "https://api.example/a")]),
    ("from urllib.request import urlopen, Request\nurlopen(Request('https://api.example/a', "
     "data=b'q=1'))", [("POST", "https://api.example/a")]),
    ("import urllib.request\nurllib.request.urlopen('https://api.example/a')",
     [("GET", "https://api.example/a")]),
    ("import urllib3\nhttp = urllib3.PoolManager()\nhttp.request('DELETE', 'https://api.example/v')",
     [("DELETE", "https://api.example/v")]),
    ("import http.client\nc = http.client.HTTPSConnection('api.example', 8443)\n"
     "c.request('DELETE', '/v1/x')\nc.getresponse()", [("DELETE", "https://api.example:8443/v1/x")]),
    ("import aiohttp, asyncio\nasync def main():\n    async with aiohttp.ClientSession() as s:\n"
     "        await s.delete('https://api.example/q')\nasyncio.run(main())",
     [("DELETE", "https://api.example/q")]),
    ("import requests\nh = 'https://api.example'\nrequests.delete(h + '/v1/' + str(7))",
     [("DELETE", "https://api.example/v1/7")]),
    ("import requests\nrequests.delete(f'https://api.example/{\"v\"}/%s' % 'x')",
     [("DELETE", "https://api.example/v/x")]),
    ("import requests\nrequests.delete('https://api.example/{}'.format('a'))",
     [("DELETE", "https://api.example/a")]),
    ("exec(\"import requests; requests.delete('https://api.example/z')\")",
     [("DELETE", "https://api.example/z")]),
    ("import base64\nexec(base64.b64decode('aW1wb3J0IHJlcXVlc3RzOyByZXF1ZXN0cy5kZWxldGUoJ2h0dHBz"
     "Oi8vYXBpLmV4YW1wbGUvYicp'))", [("DELETE", "https://api.example/b")]),
    ("requests = __import__('requests'); requests.delete('https://api.example/i')",
     [("DELETE", "https://api.example/i")]),
    ("import subprocess; subprocess.run(['curl', '-X', 'DELETE', 'https://api.example/c'])", []),
    ("print(1 + 1)", []),
]


@pytest.mark.parametrize(("code", "expected"), PYTHON)
def test_python_calls(code: str, expected: list[tuple[str, str | None]]) -> None:
    found = code_requests("python", code)
    assert [(r.method, r.url) for r in found] == expected
    assert all(not r.opaque for r in found)


@pytest.mark.parametrize(("code", "method", "url", "reason"), [
    ("import requests,sys; requests.delete(sys.argv[1])", "DELETE", None,
     "URL is computed at run time"),
    ("import requests; requests.request(m, 'https://api.example/a')", "",
     "https://api.example/a", "request method is computed at run time"),
    ("import requests\nfor v in ['a']:\n    requests.delete('https://api.example/' + v)",
     "DELETE", f"https://api.example/{DYNAMIC}", "URL is partly computed at run time"),
    ("import requests\nf = getattr(requests, 'delete')\nf('https://api.example/g')", "", None,
     "python code passes requests around; its calls cannot be followed"),
    ("exec(input())", "", None, "python code runs code built at run time (exec/eval)"),
    ("x = (", "", None, "python code could not be parsed"),
    ("print('see https://docs.example/page')", "", None, None),
    ("import webbrowser; webbrowser.open('https://docs.example/page')", "",
     "https://docs.example/page",
     "URL appears in python code but the call using it is not recognised"),
    ("import requests\ns = requests.Session()\ns.send(prepared)", "", None,
     "python call requests.Session().send not understood"),
    ("import socket\nsocket.create_connection(('api.example', 443))", "", None,
     "python call socket.create_connection not understood"),
])
def test_python_what_cannot_be_seen(code: str, method: str, url: str | None,
                                    reason: str | None) -> None:
    found = code_requests("python", code)
    if reason is None:
        assert found == []
        return
    assert [(r.method, r.url) for r in found][:1] == [(method, url)]
    assert reason in found[0].opaque


def test_python_graphql_bodies_are_recovered() -> None:
    code = ("import requests, json\nQ = 'mutation { volumeDelete(volumeId: \"v\") }'\n"
            f"requests.post('{RAILWAY}', json={{'query': Q}}, headers={{'Authorization': 't'}})\n"
            "import http.client\nc = http.client.HTTPSConnection('backboard.railway.app')\n"
            "c.request('POST', '/graphql/v2', body=json.dumps({'query': "
            "'mutation { serviceDelete(id: 1) }'}))\n"
            "for v in ['a', 'b']:\n"
            f"    requests.post('{RAILWAY}', json={{'query': f'mutation {{{{ "
            "volumeInstanceBackupDelete(id: \"{v}\") }}'})\n"
            "requests.post('https://api.example/graphql', data={'query': 'mutation { a }'})\n")
    found = code_requests("python", code)
    assert mutations(found) == ["volumeDelete", "serviceDelete", "volumeInstanceBackupDelete",
                                "a"]
    assert found[0].headers == (("Authorization", "t"),)
    assert found[0].content_type == "application/json"
    assert found[2].opaque == ("request body is partly computed at run time",)


def test_python_params_go_to_the_query_string() -> None:
    [req] = code_requests("python", "import requests\nrequests.get('https://api.example/graphql',"
                          " params={'query': 'mutation { a }'})")
    assert req.url == "https://api.example/graphql?query=mutation+%7B+a+%7D"
    assert mutations([req]) == ["a"]


# --- node, perl, ruby ----------------------------------------------------------------------

SCRIPTS: list[tuple[str, str, list[tuple[str, str | None]]]] = [
    ("node", "fetch('https://api.example/a', {method: 'DELETE'}).then(r => r.json())",
     [("DELETE", "https://api.example/a")]),
    ("node", "fetch('https://api.example/a')", [("GET", "https://api.example/a")]),
    ("node", "const axios = require('axios'); axios.delete('https://api.example/a')",
     [("DELETE", "https://api.example/a")]),
    ("node", "require('axios').post('https://api.example/a', {x: 1})",
     [("POST", "https://api.example/a")]),
    ("node", "axios({url: 'https://api.example/v', method: 'delete'})",
     [("DELETE", "https://api.example/v")]),
    ("node", "const https = require('node:https'); https.request({hostname: 'api.example', "
     "port: 8443, path: '/v1/x', method: 'DELETE'}, r => {}).end()",
     [("DELETE", "https://api.example:8443/v1/x")]),
    ("node", "import {request as rq} from 'https'; rq('https://api.example/b', "
     "{method: 'PATCH'})", [("PATCH", "https://api.example/b")]),
    ("node", "const u = 'https://api.example/' + 'vol'; const o = {method: 'DELETE'}; fetch(u, o)",
     [("DELETE", "https://api.example/vol")]),
    ("node", "const f = fetch; f('https://api.example/d', {method: 'DELETE'})",
     [("DELETE", "https://api.example/d")]),
    ("node", "console.log(1 + 1) // https://not.a.call/", []),
    ("perl", "use HTTP::Tiny; HTTP::Tiny->new->delete('https://api.example/v/1')",
     [("DELETE", "https://api.example/v/1")]),
    ("perl", "use HTTP::Tiny; my $h = HTTP::Tiny->new(timeout => 5); "
     "$h->request('PUT', 'https://api.example/p')", [("PUT", "https://api.example/p")]),
    ("perl", "use LWP::UserAgent; my $ua = LWP::UserAgent->new; "
     "$ua->request(HTTP::Request->new(DELETE => 'https://api.example/a'))",
     [("DELETE", "https://api.example/a")]),
    ("perl", "use LWP::Simple; my $x = get 'https://api.example/g'",
     [("GET", "https://api.example/g")]),
    ("perl", "use HTTP::Request::Common; LWP::UserAgent->new->request(DELETE "
     "'https://api.example/c')", [("DELETE", "https://api.example/c")]),
    ("perl", "my $s = 'x'; $s =~ s/a'b/c/g; print q{x}", []),
    ("ruby", "require 'net/http'; uri = URI('https://api.example/v1/a'); "
     "req = Net::HTTP::Delete.new(uri); Net::HTTP.start(uri.host, uri.port, use_ssl: true) "
     "{ |h| h.request(req) }", [("DELETE", "https://api.example/v1/a")]),
    ("ruby", "require 'net/http'\nNet::HTTP.start('api.example', 443, use_ssl: true) do |http|\n"
     "  http.delete('/v1/vol/1')\nend", [("DELETE", "https://api.example/v1/vol/1")]),
    ("ruby", "require 'net/http'; Net::HTTP.get(URI('https://api.example/r'))",
     [("GET", "https://api.example/r")]),
    ("ruby", "require 'httparty'; HTTParty.delete('https://api.example/z', headers: {'A' => 'b'})",
     [("DELETE", "https://api.example/z")]),
    ("ruby", "require 'open-uri'; puts URI.open('https://api.example/o').read",
     [("GET", "https://api.example/o")]),
    ("ruby", "puts %q(x) # https://y", []),
]


@pytest.mark.parametrize(("language", "code", "expected"), SCRIPTS)
def test_script_calls(language: str, code: str, expected: list[tuple[str, str | None]]) -> None:
    found = code_requests(language, code)
    assert [(r.method, r.url) for r in found] == expected
    assert all(not r.opaque for r in found)


@pytest.mark.parametrize(("language", "code", "reason"), [
    ("node", "fetch(url, {method: m})", "URL is computed at run time"),
    ("node", "const c = fetch; run(c)", "node code uses fetch in a way shellgate cannot follow"),
    ("node", "globalThis['fe' + 'tch']('https://api.example/a', {method: 'DELETE'})",
     "URL appears in node code but the call using it is not recognised"),
    ("node", "fetch(`https://api.example/${id}`, {method: 'DELETE'})",
     "URL is partly computed at run time"),
    ("node", "require('net').connect(80, 'api.example')", "node call net.connect not understood"),
    ("perl", "use HTTP::Tiny; HTTP::Tiny->new->delete(\"https://api.example/$id\")",
     "URL is partly computed at run time"),
    ("perl", "use IO::Socket::INET; IO::Socket::INET->new(PeerAddr => 'api.example:80')",
     "perl code opens a raw socket (IO::Socket::INET.new); HTTP over it is not visible"),
    ("ruby", "HTTParty.post(\"https://api.example/#{path}\")",
     "URL is partly computed at run time"),
    ("ruby", "require 'net/http'; Net::HTTP::Delete.new(path)", "URL is computed at run time"),
    ("ruby", "puts 'https://docs.example/'",
     "URL appears in ruby code but the call using it is not recognised"),
])
def test_script_what_cannot_be_seen(language: str, code: str, reason: str) -> None:
    found = code_requests(language, code)
    assert any(reason in r.opaque for r in found), [r.opaque for r in found]


@pytest.mark.parametrize(("language", "code"), [
    ("node", f"fetch('{RAILWAY}', {{method: 'POST', headers: {{'Content-Type': "
             f"'application/json'}}, body: JSON.stringify({{query: '{DELETE_VOLUME}'}})}})"),
    ("node", f"axios.post('{RAILWAY}', {{query: `{DELETE_VOLUME}`}})"),
    ("node", f"https.request('{RAILWAY}', {{method: 'POST'}}).end(JSON.stringify("
             f"{{query: '{DELETE_VOLUME}'}}))"),
    ("perl", f"use LWP::UserAgent; LWP::UserAgent->new->post('{RAILWAY}', Content => "
             f"encode_json({{query => '{DELETE_VOLUME}'}}))"),
    ("perl", f"use HTTP::Tiny; HTTP::Tiny->new->post('{RAILWAY}', {{content => "
             f"encode_json({{query => '{DELETE_VOLUME}'}})}})"),
    ("ruby", f"require 'net/http'; Net::HTTP.post(URI('{RAILWAY}'), "
             f"{{query: '{DELETE_VOLUME}'}}.to_json, 'Content-Type' => 'application/json')"),
    ("ruby", f"require 'net/http'; u = URI('{RAILWAY}'); r = Net::HTTP::Post.new(u); "
             f"r.body = {{query: '{DELETE_VOLUME}'}}.to_json; "
             "Net::HTTP.start(u.host, u.port) { |h| h.request(r) }"),
])
def test_script_graphql_bodies_are_recovered(language: str, code: str) -> None:
    found = code_requests(language, code)
    assert [(r.method, r.host) for r in found] == [("POST", "backboard.railway.app")]
    assert mutations(found) == ["volumeDelete"]


# --- command lines -------------------------------------------------------------------------

SCRIPT_FILES = {"s.py": b"import requests\nrequests.delete('https://api.example/s')\n",
                "s.js": b"fetch('https://api.example/j', {method: 'DELETE'})"}


@pytest.mark.parametrize(("argv", "stdin", "stdin_opaque", "expected"), [
    (["python3", "-c", "import requests; requests.delete('https://api.example/a')"], None,
     False, [("DELETE", "https://api.example/a", ())]),
    (["python3", "-Ic", "import requests; requests.delete('https://api.example/a')", "x"],
     None, False, [("DELETE", "https://api.example/a", ())]),
    (["python3", "-W", "ignore", "-X", "dev", "-c",
      "import requests; requests.delete('https://api.example/a')"], None, False,
     [("DELETE", "https://api.example/a", ())]),
    (["python3", "s.py"], None, False, [("DELETE", "https://api.example/s", ())]),
    (["python3", "gone.py"], None, False, [("", None, ("python3 script gone.py not visible",))]),
    (["python3", "-"], "import requests; requests.delete('https://api.example/in')", False,
     [("DELETE", "https://api.example/in", ())]),
    (["python3"], None, True, [("", None, ("python3 code from stdin pipe",))]),
    (["python3"], None, False, []),
    (["python3", None], None, False,
     [("", None, ("python3 script name is not statically known",))]),
    (["python3", "-c", None], None, False, [("", None, ("python3 code is not statically known",))]),
    (["python3", "-m", "httpie", "DELETE", "api.example/v"], None, False,
     [("DELETE", "http://api.example/v", ())]),
    (["python3", "-m", "json.tool"], None, False, []),
    (["node", "-e", "fetch('https://api.example/n', {method: 'DELETE'})"], None, False,
     [("DELETE", "https://api.example/n", ())]),
    (["node", "--eval=fetch('https://api.example/n', {method: 'DELETE'})"], None, False,
     [("DELETE", "https://api.example/n", ())]),
    (["node", "-r", "dotenv/config", "-pe", "fetch('https://api.example/n', {method: 'PUT'})"],
     None, False, [("PUT", "https://api.example/n", ())]),
    (["nodejs", "s.js"], None, False, [("DELETE", "https://api.example/j", ())]),
    (["perl", "-MHTTP::Tiny", "-wle", "HTTP::Tiny->new->delete('https://api.example/p')"],
     None, False, [("DELETE", "https://api.example/p", ())]),
    (["perl", "-MLWP::Simple", "-e", "getprint 'https://api.example/p2'"], None, False,
     [("GET", "https://api.example/p2", ())]),
    (["perl", "-e", "use HTTP::Tiny;", "-e", "HTTP::Tiny->new->delete('https://api.example/3')"],
     None, False, [("DELETE", "https://api.example/3", ())]),
    (["ruby", "-rnet/http", "-e", "Net::HTTP.get(URI('https://api.example/r'))"], None, False,
     [("GET", "https://api.example/r", ())]),
    (["bash", "-c", "curl https://api.example"], None, False, []),
])
def test_command_lines(argv: list[str | None], stdin: str | None, stdin_opaque: bool,
                       expected: list[tuple[str, str | None, tuple[str, ...]]]) -> None:
    tool = argv[0]
    assert tool is not None
    found = oneliner_requests(tool, argv, stdin, stdin_opaque, SCRIPT_FILES.get)
    assert [(r.method, r.url, r.opaque) for r in found] == expected


def test_script_file_is_listed_for_hashing() -> None:
    [req] = oneliner_requests("python3", ["python3", "s.py"], None, False, SCRIPT_FILES.get)
    assert req.body_files == ("s.py",)


@pytest.mark.parametrize(("language", "code", "values"), [
    ("node", "'a\\u0041\\x42' + `t${x}` // c\n/* d */ \"q\\\"\"",
     ["aAB", f"t{DYNAMIC}", 'q"']),
    ("perl", "'it\\'s' . \"$x\\n\" . q{a{b}c} . qq(<$y>); $z =~ s{a}{'b'}g",
     ["it's", f"{DYNAMIC}\n", "a{b}c", f"<{DYNAMIC}>"]),
    ("ruby", "'a\\'b' + \"#{x}y\" + %q(c(d)) # 'no'", ["a'b", f"{DYNAMIC}y", "c(d)"]),
])
def test_lexer_strings(language: str, code: str, values: list[str]) -> None:
    assert [t.value for t in tokenize(language, code) if t.kind == "s"] == values


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["python", "node", "perl", "ruby"]),
       st.text(alphabet=st.sampled_from(list("fetch(){}[]'\"`$#@%:;=.,-> \\\nqQ/srequirehttps:09")),
               max_size=80))
def test_never_raises(language: str, code: str) -> None:
    found = code_requests(language, code)
    assert all(isinstance(r, HttpRequest) for r in found)
