"""Command-line generators shared by the differential harness and the fuzz tests.

Everything here takes a ``random.Random`` (hypothesis supplies one with
``st.randoms()``, the differential harness a seeded one) and turns an argv into shell
text that bash runs as exactly that argv: random quoting and escapes, whitespace and
line continuations, wrappers, nesting (``bash -c``, ``eval``, here-documents, pipes into
a shell, scripts written then run, functions, ``"$@"``, arrays, substitutions…), chains
and comments. With ``real_only`` the renderings use only what the sandbox really executes,
so bash itself says what ran; without, they add wrappers shellgate must unwrap statically
(``sudo``, ``ssh``, ``docker exec``…).
"""

from __future__ import annotations

import random
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from shellgate.engine import evaluate
from shellgate.parse import parse
from shellgate.rules.ruleset import RuleSet
from shellgate.values import Command

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")
FILLER = ("echo ok", ":", "true", "cd .", "x=1", "ls", "pwd", "git status", "echo a b | wc -w",
          "test -d . && echo dir", "printf '%s\\n' hi")
"""Harmless statements mixed around the generated command."""


# --- words ---------------------------------------------------------------------------------


def single(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def double(word: str) -> str:
    out = "".join("\\" + c if c in '\\"$`' else c for c in word)
    return f'"{out}"'


def ansi_c(word: str, rnd: random.Random) -> str:
    out: list[str] = []
    for ch in word:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x7F and rnd.random() < 0.3:
            out.append(rnd.choice((f"\\x{ord(ch):02x}", f"\\{ord(ch):03o}")))
        else:
            out.append(ch)
    return "$'" + "".join(out) + "'"


def backslashed(word: str) -> str:
    if not word or "\n" in word:
        return single(word)
    return "".join("\\" + c for c in word)


def bare_ok(word: str) -> bool:
    return bool(word) and all(c in _SAFE for c in word)


def quote(word: str, rnd: random.Random, depth: int = 0) -> str:
    """``word`` as one shell word, in a randomly chosen spelling."""
    styles: list[Callable[[], str]] = [lambda: single(word), lambda: double(word),
                                       lambda: ansi_c(word, rnd)]
    if bare_ok(word):
        styles += [lambda: word, lambda: word, lambda: word]
    if word and "\n" not in word:
        styles.append(lambda: backslashed(word))
    if len(word) >= 2 and depth < 2:
        def concat() -> str:
            cut = rnd.randrange(1, len(word))
            return quote(word[:cut], rnd, depth + 1) + quote(word[cut:], rnd, depth + 1)
        styles.append(concat)
    if word == "~" or word.startswith("~/"):
        styles.append(lambda: "~" + (quote(word[1:], rnd, depth + 1) if word[1:] else ""))
    if depth == 0 and rnd.random() < 0.1:
        return "''" + rnd.choice(styles)()
    return rnd.choice(styles)()


def name(word: str, rnd: random.Random) -> str:
    """A command name: quoted, escaped or spelled as an absolute path."""
    roll = rnd.random()
    if roll < 0.15 and bare_ok(word) and "/" not in word:
        return rnd.choice(("/usr/bin/", "/bin/", "/usr/local/bin/")) + word
    if roll < 0.25 and bare_ok(word):
        return "\\" + word
    return quote(word, rnd)


def gap(rnd: random.Random) -> str:
    return rnd.choice((" ", " ", " ", "  ", "\t", " \\\n  ", " \t "))


def words(argv: list[str], rnd: random.Random) -> str:
    head = name(argv[0], rnd)
    return head + "".join(gap(rnd) + quote(w, rnd) for w in argv[1:])


# --- wrappers --------------------------------------------------------------------------------

REAL_PREFIXES: tuple[tuple[str, ...], ...] = (
    ("env",), ("env", "A=1"), ("env", "-u", "HOME"), ("env", "--"), ("env", "-i", "PATH=/usr/bin"),
    ("nice",), ("nice", "-n", "5"), ("nice", "-5"), ("nohup",), ("timeout", "5"),
    ("timeout", "-s", "KILL", "5"), ("timeout", "-k", "1", "9s"), ("setsid",),
    ("stdbuf", "-oL"), ("ionice", "-c", "3"), ("ionice", "-c3"), ("taskset", "1"),
    ("flock", "/tmp/sg.lock"), ("flock", "-w", "5", "/tmp/sg.lock"), ("command",),
    ("command", "--"), ("time",), ("time", "-p"),
)
"""Wrappers the sandbox really executes (bash keywords/builtins or real binaries)."""

STATIC_PREFIXES: tuple[tuple[str, ...], ...] = REAL_PREFIXES + (
    ("sudo",), ("sudo", "-u", "deploy"), ("sudo", "-E"), ("sudo", "--"), ("sudo", "-n", "-H"),
    ("doas",), ("doas", "-u", "root"), ("chroot", "/"), ("strace", "-f"),
    ("fakeroot",), ("unbuffer",), ("valgrind", "-q"), ("caffeinate",), ("run0",),
    ("pkexec",), ("torsocks",), ("catchsegv",), ("chrt", "10"), ("proxychains4", "-q"),
    ("runuser", "-u", "deploy", "--"), ("systemd-run", "--user"),
    ("uv", "run"), ("poetry", "run"), ("pipenv", "run"), ("npx", "--yes"), ("bundle", "exec"),
    ("mise", "exec", "--"), ("op", "run", "--"), ("doppler", "run", "--"),
    ("docker", "exec", "web"), ("docker", "exec", "-it", "web"), ("podman", "exec", "db"),
    ("kubectl", "exec", "pod", "--"), ("kubectl", "exec", "-n", "prod", "-it", "pod", "--"),
    ("xvfb-run",), ("firejail",),
)
"""Also wrappers shellgate must see through statically (not executed by the sandbox)."""


def prefixed(argv: list[str], rnd: random.Random, real_only: bool) -> list[str]:
    pool = REAL_PREFIXES if real_only else STATIC_PREFIXES
    out = list(argv)
    used: set[str] = set()
    for _ in range(rnd.choice((0, 1, 1, 1, 2, 3))):
        wrapper = rnd.choice(pool)
        if wrapper[0] not in used:  # two `flock` on one lock file would wait forever
            used.add(wrapper[0])
            out = list(wrapper) + out
    return out


# --- statements around an argv -----------------------------------------------------------------


_KEYWORDS = frozenset({"time", "command", "exec", "builtin"})
"""Bash keywords and builtins: they cannot be exec'd, aliased to, or run by xargs."""


def statement(argv: list[str], rnd: random.Random, real_only: bool = True) -> str:
    """Shell text that runs ``argv`` (after optional wrappers)."""
    argv = prefixed(argv, rnd, real_only)
    forms: list[Callable[[], str]] = [lambda: words(argv, rnd)] * 6
    if argv[0] not in _KEYWORDS:
        forms += [
            lambda: f"( exec {words(argv, rnd)} )",
            lambda: f"f() {{ {name(argv[0], rnd)} \"$@\"; }}; f "
                    + " ".join(quote(w, rnd) for w in argv[1:]),
            lambda: _positional(argv, rnd),
            lambda: "a=(" + " ".join(quote(w, rnd) for w in argv[1:]) + "); "
                    + f"{name(argv[0], rnd)} \"${{a[@]}}\"",
            lambda: _variables(argv, rnd),
            lambda: _xargs(argv, rnd),
            lambda: f"shopt -s expand_aliases\nalias sgalias={single(argv[0])}\n"
                    f"sgalias {' '.join(quote(w, rnd) for w in argv[1:])}",
            lambda: f"alias {argv[0]}=echo; {words(argv, rnd)}" if bare_ok(argv[0])
                    else words(argv, rnd),
            lambda: f"echo {quote(argv[-1], rnd)} | xargs -I{{}} "
                    + words([*argv[:-1], "{}"], rnd),
        ]
    return rnd.choice(forms)()


def _positional(argv: list[str], rnd: random.Random) -> str:
    shell = rnd.choice(("bash", "sh"))
    inner = quote(f'{shlex.quote(argv[0])} "$@"', rnd)
    return f"{shell} -c {inner} sg " + " ".join(quote(w, rnd) for w in argv[1:])


def _variables(argv: list[str], rnd: random.Random) -> str:
    names = [f"v{i}" for i in range(len(argv))]
    assigns = "; ".join(f"{n}={quote(w, rnd)}" for n, w in zip(names, argv, strict=True))
    return assigns + "; " + " ".join(f'"${n}"' for n in names)


def _xargs(argv: list[str], rnd: random.Random) -> str:
    """The tail of the argv fed to ``xargs`` on stdin (NUL-separated or plain)."""
    cut = rnd.randrange(1, len(argv) + 1)
    head, tail = argv[:cut], argv[cut:]
    if not tail:
        return "echo -n | xargs -r " + words(head, rnd) + " ; " + words(head, rnd)
    if all(bare_ok(w) for w in tail) and rnd.random() < 0.5:
        feed = "printf '%s\\n' " + " ".join(quote(w, rnd) for w in tail)
        return f"{feed} | xargs {words(head, rnd)}"
    feed = "printf '%s\\0' " + " ".join(quote(w, rnd) for w in tail)
    return f"{feed} | xargs -0 {words(head, rnd)}"


# --- nesting and chaining ---------------------------------------------------------------------


def _ends_open(text: str) -> bool:
    return text.endswith("\n")


def _group(text: str) -> str:
    return "{ " + text + ("}" if _ends_open(text) else "; }")


def nest(text: str, rnd: random.Random, real_only: bool = True) -> str:
    """Wrap a script in one more layer that still runs it."""
    delim = f"SG_EOF_{rnd.randrange(1000)}"
    end = "" if _ends_open(text) else ";"
    forms: list[Callable[[], str]] = [
        lambda: f"bash -c {quote(text, rnd)}",
        lambda: f"sh -c {quote(text, rnd)}",
        lambda: f"eval {quote(text, rnd)}",
        lambda: f"bash <<'{delim}'\n{text}\n{delim}\n",
        lambda: f"bash <<< {quote(text, rnd)}",
        lambda: f"printf '%s\\n' {quote(text, rnd)} | bash",
        lambda: f"printf '%s\\n' {quote(text, rnd)} > sg.sh && bash sg.sh",
        lambda: f"printf '%s\\n' {quote(text, rnd)} > sg.sh; source sg.sh",
        lambda: f"printf '%s\\n' {quote(text, rnd)} > sg.sh; . ./sg.sh",
        lambda: f"( {text}{'' if end else chr(10)} )",
        lambda: _group(text),
        lambda: f"if true; then {text}{end} fi",
        lambda: f"if false; then :; else {text}{end} fi",
        lambda: f"for i in 1; do {text}{end} done",
        lambda: f"while true; do {text}{end} break; done",
        lambda: f"case x in x) {text}{end}; esac" if end else f"case x in x) {text};; esac",
        lambda: f"g() {{ {text}{end} }}; g",
        lambda: f"function h {{ {text}{end} }}\nh",
        lambda: f"out=$({text})",
        lambda: f"echo \"$({text})\"",
        lambda: f"{_group(text) if _ends_open(text) else text} &\nwait",
        lambda: f"{_group(text) if _ends_open(text) else text} | cat",
        lambda: f"cat <({text})",
        lambda: f"! {_group(text)}",
        lambda: f"trap {quote(text, rnd)} EXIT",
        lambda: f"PROMPT_COMMAND={quote(text, rnd)} bash -i < /dev/null",
        lambda: f"PS4={quote('$(' + text + chr(10) + ')', rnd)} bash -xc :",
        lambda: f"env {quote('BASH_FUNC_sgf%%=() { ' + text + chr(10) + '}', rnd)} bash -c sgf",
        lambda: f"time {_group(text)}",
    ]
    if "`" not in text and "\\" not in text and "$(" not in text and "\n" not in text:
        forms.append(lambda: f"echo `{text}`")
    if not real_only:
        forms += [
            lambda: f"sudo bash -c {quote(text, rnd)}",
            lambda: f"ssh prod {quote(text, rnd)}",
            lambda: f"docker exec web sh -c {quote(text, rnd)}",
            lambda: f"kubectl exec pod -- bash -c {quote(text, rnd)}",
            lambda: f"su -c {quote(text, rnd)}",
            lambda: f"watch -n 5 {quote(text, rnd)}",
            lambda: f"echo {quote(text, rnd)} | sudo sh",
            lambda: f"nohup bash -c {quote(text, rnd)} &",
        ]
    return rnd.choice(forms)()


def chain(parts: list[str], rnd: random.Random) -> str:
    """Join statements with ``;``, ``&&``, ``||``, ``|``, newlines and comments."""
    out = parts[0]
    for part in parts[1:]:
        if _ends_open(out):
            joiner = "\n"
        else:
            joiner = rnd.choice(("; ", ";", " && ", "\n", " || true; ", " # note\n", " | ", " &\n"))
        if joiner == " | ":  # a pipeline stage is a subshell: keep the part's variables in it
            part = _group(part)
        out = out + joiner + part
    if rnd.random() < 0.2 and not _ends_open(out):
        out += rnd.choice((" # trailing comment", ";", " ;", "\n", " # rm -rf / in a comment"))
    if rnd.random() < 0.1:
        out = rnd.choice(("# leading comment\n", "  ", "\n", ": ;")) + out
    return out


def command_line(argv: list[str], rnd: random.Random, real_only: bool = True,
                 max_nesting: int = 3) -> str:
    """A whole command line that runs ``argv`` somewhere inside it."""
    text = statement(argv, rnd, real_only)
    for _ in range(rnd.choice(range(max_nesting + 1))):
        text = nest(text, rnd, real_only)
    parts = [rnd.choice(FILLER) for _ in range(rnd.choice((0, 0, 1, 2)))]
    parts.insert(rnd.randrange(len(parts) + 1), text)
    return chain(parts, rnd)


# --- argv sources ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A simple command from a rule example: its argv and the rule that gates it."""

    argv: tuple[str, ...]
    rule_id: str


def _simple(example: str) -> Command | None:
    if any(c in example for c in "|&;<>()$`\n#*?[{"):
        return None
    script = parse(example)
    if script.problems or len(script.commands) != 1:
        return None
    command = script.commands[0]
    if command.redirects or command.via or any(w.value is None for w in command.argv):
        return None
    try:
        if shlex.split(example) != [w.value for w in command.argv]:
            return None
    except ValueError:
        return None
    return command


def samples(rules: RuleSet, kind: str) -> list[Sample]:
    """Simple rule examples: ``gate`` ones that gate on their own, ``pass`` ones that pass."""
    found: dict[tuple[str, ...], Sample] = {}
    for rule in rules.rules:
        for example in rule.examples_gate if kind == "gate" else rule.examples_pass:
            command = _simple(example)
            if command is None or command.argv[0].value in ("time", "exec", "command"):
                continue
            verdict = evaluate(example, rules).verdict
            if (verdict == "allow") != (kind == "pass"):
                continue
            argv = tuple(w.value or "" for w in command.argv)
            found.setdefault(argv, Sample(argv, rule.id))
    return sorted(found.values(), key=lambda s: s.argv)
