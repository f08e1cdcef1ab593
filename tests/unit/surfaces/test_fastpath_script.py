"""The script fast path (``shellgate-sh -c`` and the hooks): it splits only text bash would
split the same way, and never allows what the engine would gate."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shellgate.config import Config
from shellgate.engine import evaluate
from shellgate.parse import parse
from shellgate.surfaces.fastpath import plain_commands, quick_allow_script
from tests.conftest import corpus_and_examples


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    config = Config.at(tmp_path_factory.mktemp("cfg"))
    config.rules()  # compiles the cache and the quick index
    return config


@pytest.mark.parametrize(("text", "expected"), [
    ("git status", [["git", "status"]]),
    ("cd /repo && git status | head -5", [["cd", "/repo"], ["git", "status"], ["head", "-5"]]),
    ("ls -la; pwd &", [["ls", "-la"], ["pwd"]]),
    ("make &&\n  make test", [["make"], ["make", "test"]]),
    ("\n\nls\n\n", [["ls"]]),
    ("git log --format=%H@%an,x+y:z", [["git", "log", "--format=%H@%an,x+y:z"]]),
    ("a||b", [["a"], ["b"]]),
    ("git commit -m \"fix: the 'bug'\"", [["git", "commit", "-m", "fix: the 'bug'"]]),
    ("rg 'a $b `c` \\d' src/", [["rg", "a $b `c` \\d", "src/"]]),
    ("x --m=\"a b\"c'' ''", [["x", "--m=a bc", ""]]),
    ("x 'a\nb' | y", [["x", "a\nb"], ["y"]]),
])
def test_plain_scripts_split_into_argvs(text: str, expected: list[list[str]]) -> None:
    assert plain_commands(text) == expected


@pytest.mark.parametrize("text", [
    "echo $HOME", "ls *.py", "ls ?", "ls [ab]", "echo {a,b}", "ls ~", "ls ~/x",
    "echo a\\ b", "ls > out", "ls 2>&1", "cat < f", "ls # comment", "!ls",
    "(ls)", "{ ls; }", "a=1", "FOO=1 ls", "=x", "./run.sh", "/bin/rm -rf x", "%1",
    "eval ls", "source x", ". x", "exec ls", "alias ls=rm", "export PATH=x", "set -x",
    "hash -p /tmp/x git", "enable -f x y", "builtin rm", "command rm", "time ls",
    "if true", "function f", "printf -v PATH x", "python3.12 x.py", "python x.py",
    "a &&", "a |", "a;;b", "a ; ; b", "; ls", "| ls", "a & & b", "a |& b", "a &| b",
    "a\n| b", "a\r\nb", "a@b x", "a%b", "g+:x", "x ==", "test a == b", "ls\x00", "ls é",
    "-x", "_x", "x" * 5000, "'git' status", "g\"it\" x", 'x "$y"', 'x "`y`"', 'x "\\n"',
    'x "!1"', "x 'unclosed", 'x "unclosed', "x '\x1b'", "A='1 2' x",
])
def test_anything_else_is_not_plain(text: str) -> None:
    assert plain_commands(text) is None


def test_plain_scripts_split_as_the_engines_parser_splits_them() -> None:
    checked = 0
    for text in corpus_and_examples():
        argvs = plain_commands(text)
        if argvs is None:
            continue
        script = parse(text)
        top = [[w.value for w in c.argv] for c in script.commands if not c.via]
        assert top == argvs, text
        checked += 1
    assert checked > 100


def _agrees_with_the_parser(text: str) -> bool:
    argvs = plain_commands(text)
    if argvs is None:
        return True
    script = parse(text)
    if any(p.kind == "parse-error" for p in script.problems):
        return False
    return [[w.value for w in c.argv] for c in script.commands if not c.via] == argvs


_CHARS = sorted("abcXYZ019-_./:,@%+=' \"\n\t|&;")


def test_every_two_characters_split_as_the_parser_splits_them() -> None:
    """Exhaustive over pairs of word characters, as a name, an argument, and a word's tail
    (tree-sitter-bash misreads some spellings bash reads plainly: those are not plain)."""
    wrong = [t for a in _CHARS for b in _CHARS
             for t in (f"a{a}{b}", f"x {a}{b}", f"x y{a}{b}", f"{a}{b} x")
             if not _agrees_with_the_parser(t)]
    assert wrong == []


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet=_CHARS, min_size=1, max_size=6), min_size=1, max_size=4),
       st.sampled_from([" ", " && ", "; ", " | ", "\n"]))
def test_generated_words_split_as_the_parser_splits_them(words: list[str], op: str) -> None:
    text = op.join(words) if op != " " else " ".join(words)
    assert _agrees_with_the_parser(text), text


def test_fast_path_never_allows_what_the_engine_gates(config: Config) -> None:
    rules = config.rules()
    texts = corpus_and_examples()
    fast = [t for t in texts if quick_allow_script(t, str(config.directory))]
    assert len(fast) > 100  # ordinary commands do take it
    wrong = [t for t in fast if evaluate(t, rules).verdict != "allow"]
    assert wrong == []


def _vocabulary() -> list[str]:
    """Every word a rule can start with or a corpus command uses, to build scripts from."""
    from tests.conftest import shipped_rules

    words: set[str] = set()
    for text in corpus_and_examples():
        words.update(text.split())
    rules = shipped_rules()
    words.update(rules.tool_names)
    for rule in rules.rules:
        for options in rule.command:
            words.update(options)
        for block in rule.matches:
            words.update(block.flags + block.all_flags + block.args)
    return sorted(w for w in words if plain_commands("x " + w) is not None)


_WORDS = _vocabulary()
_WORD_OR_QUOTED = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(_WORDS).map(lambda w: f"'{w}'"),
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws)
                                                                   + '"'),
    st.tuples(st.sampled_from(_WORDS), st.sampled_from(_WORDS)).map(lambda p: f"{p[0]}'{p[1]}'"))
"""A vocabulary word, bare or quoted (whole, in part, several words in one string)."""
_OPS = st.sampled_from([" && ", " || ", " | ", "; ", " & ", "\n", "|", "&&"])


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
@settings(max_examples=1000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.lists(_WORD_OR_QUOTED, min_size=1, max_size=5), _OPS),
                min_size=1, max_size=4))
def test_generated_scripts_never_pass_what_the_engine_gates(
        parts: list[tuple[list[str], str]]) -> None:
    config = _shared_config()
    text = "".join(" ".join(words) + op for words, op in parts)
    if quick_allow_script(text, str(config.directory)):
        assert evaluate(text, config.rules()).verdict == "allow", text


_CONFIG: list[Config] = []


def _shared_config() -> Config:
    if not _CONFIG:
        import tempfile

        config = Config.at(tempfile.mkdtemp(prefix="shellgate-fastpath-"))
        config.rules()
        _CONFIG.append(config)
    return _CONFIG[0]


def test_a_changed_settings_file_sends_scripts_to_the_engine(tmp_path: Path) -> None:
    Config.at(tmp_path).rules()
    assert quick_allow_script("ls -la", str(tmp_path))
    (tmp_path / "config.toml").write_text("approval_timeout = [broken\n")
    assert not quick_allow_script("ls -la", str(tmp_path))


_RECORDER = """#!/bin/sh
# records its name and argv: fields end with US (octal 037), each command with RS (036)
{ printf '%s\\037' "${0##*/}" "$@"; printf '\\036'; } >> "$ARGV_LOG"
"""


@pytest.mark.slow  # a differential run over many generated inputs: CI, not the edit loop
def test_real_bash_runs_exactly_the_argvs_split(tmp_path: Path) -> None:
    """Differential: bash runs each plain script with every command a recording stub
    (PATH holds nothing else), and must run exactly the argvs the fast path checked."""
    scripts = [t for t in corpus_and_examples() if plain_commands(t) is not None]
    scripts = [t for t in scripts if not any(op in t for op in ("|", "&"))]  # all run, in order
    scripts = [t for t in scripts
               if all(argv[0] not in {"cd", "echo", "pwd", "true", "false", "test"}
                      for argv in plain_commands(t) or [])]
    assert len(scripts) > 50
    stubs = tmp_path / "bin"
    stubs.mkdir()
    recorder = stubs / ".recorder"
    recorder.write_text(_RECORDER)
    recorder.chmod(0o755)
    for text in scripts:
        for argv in plain_commands(text) or []:
            link = stubs / argv[0]
            if not link.exists():
                link.symlink_to(recorder)
    log = tmp_path / "argv.log"
    bash = shutil.which("bash")
    assert bash is not None
    for text in scripts:
        log.write_text("")
        subprocess.run([bash, "-c", text], env={"PATH": str(stubs), "ARGV_LOG": str(log)},
                       cwd=tmp_path, check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        ran = [block.split("\x1f")[:-1] for block in log.read_text().split("\x1e") if block]
        assert ran == plain_commands(text), text
