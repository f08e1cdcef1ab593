"""Interpreter file APIs read as the shell command with the same effect — Node
``fs.writeFileSync``, Perl ``open(F, ">", p)``, Ruby ``File.write``/``File.open(p, "w")``,
PHP ``file_put_contents``, ``copy``/``rename``/``unlink``… become ``tee``/``cp``/``mv``/
``rm`` — so the rules about files, and the protection of shellgate's own files, apply to
code as they do to shell commands. (Python's are read from its syntax tree in
``interpreters``.)"""

from __future__ import annotations

import re

from shellgate.parse.wrappers.unwrap import Inner
from shellgate.values import Word, lit


def unquote(token: str) -> str:
    """A quoted string literal's text (the quotes off, backslash escapes read)."""
    body = token[1:-1]
    if token[0] == "'":
        return body.replace("\\'", "'").replace("\\\\", "\\")
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


WRITE_CALLS = {
    "writeFileSync": "tee", "writeFile": "tee", "appendFileSync": "tee", "appendFile": "tee",
    "createWriteStream": "tee", "outputFileSync": "tee", "outputFile": "tee",
    "writeJsonSync": "tee", "file_put_contents": "tee", "binwrite": "tee",
    "copyFileSync": "cp", "copyFile": "cp", "cpSync": "cp", "copy_file": "cp",
    "renameSync": "mv", "rename": "mv", "moveSync": "mv", "unlinkSync": "rm",
    "unlink": "rm", "symlinkSync": "ln", "symlink": "ln", "truncateSync": "truncate",
    "open": "open", "fopen": "open", "sysopen": "open"}
"""File APIs of Node, Perl, Ruby and PHP, as the shell command with the same effect, so
rules about files (and ``protected``) apply to them as to ``tee``/``cp``/``mv``/``rm``."""
QUALIFIED_WRITES = {"File.write": "tee", "IO.write": "tee", "File.delete": "rm",
                     "FileUtils.cp": "cp", "FileUtils.copy": "cp", "FileUtils.install": "cp",
                     "FileUtils.mv": "mv", "FileUtils.move": "mv", "FileUtils.touch": "touch",
                     "File::Copy::copy": "cp", "File::Copy::move": "mv", "copy": "cp",
                     "move": "mv"}


def call_args(tokens: list[tuple[str, str]], i: int) -> list[tuple[str, str]]:
    """The tokens of the call's arguments (to the closing parenthesis or the statement's
    end), at most 32."""
    args: list[tuple[str, str]] = []
    j = i + 1
    if j < len(tokens) and tokens[j] == ("punct", "("):
        j += 1
    depth = 0
    while j < len(tokens) and len(args) < 32:
        kind, text = tokens[j]
        if kind == "punct" and text in "([{":
            depth += 1
        elif kind == "punct" and text in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif kind == "punct" and text == ";" and depth == 0:
            break
        args.append((kind, text))
        j += 1
    return args


def _path_words(args: list[tuple[str, str]], count: int) -> list[Word]:
    """The first ``count`` top-level arguments as paths (a non-literal one is dynamic)."""
    words: list[Word] = []
    current: list[tuple[str, str]] = []
    for kind, text in [*args, ("punct", ",")]:
        if kind == "punct" and text == ",":
            if current:
                only = current[0] if len(current) == 1 else None
                words.append(lit(unquote(only[1])) if only and only[0] == "str"
                             else Word(None, "<path from code>"))
            current = []
            if len(words) == count:
                break
        else:
            current.append((kind, text))
    return words


def write_call(tokens: list[tuple[str, str]], i: int, verb: str, label: str) -> list[Inner]:
    args = call_args(tokens, i)
    if verb == "open":
        literals = [unquote(t) for k, t in args if k == "str"]
        for index, text in enumerate(literals):  # Perl: open(F, ">", p) / open(F, ">>p")
            if text[:1] in (">", "+") and text.lstrip("+<>& ") != text:
                path = text.lstrip("+<>& ")
                if path:
                    return [Inner(label, argv=(lit("tee"), lit(path)))]
                rest = literals[index + 1:index + 2]
                word = lit(rest[0]) if rest else Word(None, "<path from code>")
                return [Inner(label, argv=(lit("tee"), word))]
        # Ruby/PHP/Node: open(path, "w"|"a"|"r+")
        words = _path_words(args, 2)
        if len(words) == 2 and words[1].value is not None and set(words[1].value) & set("wa+"):
            return [Inner(label, argv=(lit("tee"), words[0]))]
        return []
    count = 2 if verb in ("cp", "mv", "ln") else 1
    words = _path_words(args, count)
    return [Inner(label, argv=(lit(verb), *words))] if words else []


