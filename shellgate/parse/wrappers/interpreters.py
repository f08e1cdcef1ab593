"""Shell commands inside interpreter one-liners (``python -c``, ``node -e``, ``perl -e``…).

Python code is read with the standard ``ast`` parser; other languages with a small
tokenizer of string literals. Calls that run a shell (``os.system``, ``execSync``,
``system``, backticks) yield the script they run; calls that delete trees
(``shutil.rmtree``, ``fs.rmSync(…, {recursive})``, ``FileUtils.rm_rf``) yield the
equivalent ``rm -rf``. A shell-running call whose command is not a constant is
reported: shellgate cannot see what it runs.
"""

from __future__ import annotations

import ast
import re

from shellgate.parse.context import ParseContext
from shellgate.parse.wrappers.file_apis import (
    QUALIFIED_WRITES,
    WRITE_CALLS,
    call_args,
    unquote,
    write_call,
)
from shellgate.parse.wrappers.unwrap import Inner
from shellgate.values import Command, Word, lit

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

_CODE_FLAGS = {
    "python": ("-c",), "node": ("-e", "--eval", "-p", "--print"), "perl": ("-e", "-E"),
    "ruby": ("-e",), "php": ("-r",), "deno": ("eval",), "bun": ("-e", "--eval"),
    "lua": ("-e",), "luajit": ("-e",), "Rscript": ("-e",), "R": ("-e",),
    "julia": ("-e", "--eval", "-E", "--print"), "osascript": ("-e",),
    "tclsh": (), "wish": (), "expect": ("-c",),
}
_STDIN_CODE = frozenset({"python", "node", "perl", "ruby", "php", "lua", "luajit", "R",
                         "julia", "osascript", "tclsh", "wish", "expect"})
"""Interpreters that read their program from stdin when given no script."""
_MODULE_FLAGS = {"python": ("-m",), "perl": (), "ruby": ()}
_VALUE_FLAGS = {"python": ("-W", "-X", "-Q"), "node": ("-r", "--require", "--import", "--loader",
                                                      "--experimental-loader", "-C"),
                "perl": ("-I",), "ruby": ("-I", "-r", "-C", "-E")}
_TCL_RUNS = re.compile(r"(?:^|[\s;\[{])(?:exec|spawn|open\s+\S*\|)")
"""Tcl (tclsh, expect) commands that start programs: their words are Tcl, not read here."""
_OSA_SHELL = re.compile(r'do\s+shell\s+script\s+"((?:[^"\\]|\\.)*)"')
_PY_SHELL = {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput",
             "commands.getoutput", "pty.spawn"}
_PY_ARGV = {"subprocess.run", "subprocess.call", "subprocess.check_call",
            "subprocess.check_output", "subprocess.Popen", "os.execvp", "os.execv",
            "os.execlp", "os.spawnlp", "os.spawnvp", "asyncio.create_subprocess_exec",
            "asyncio.create_subprocess_shell", "sh.Command"}
_PY_SQL = {"execute", "executescript", "executemany", "exec_driver_sql", "execute_sql"}
_SQL_VERBS = ("DROP", "DELETE", "TRUNCATE", "UPDATE", "ALTER", "GRANT", "REVOKE", "DO ", "EXEC")
_PY_RMTREE = {"shutil.rmtree": ("rm", "-rf"), "os.remove": ("rm",), "os.unlink": ("rm",),
              "os.rmdir": ("rmdir",), "os.removedirs": ("rm", "-r")}


def _family(name: str) -> str:
    if name.startswith("python") or name.startswith("pypy"):
        return "python"
    return "node" if name == "nodejs" else name


def interpreter(name: str, args: Sequence[Word], command: Command,
                ctx: ParseContext) -> list[Inner]:
    """The shell commands an interpreter invocation would run, where visible."""
    family = _family(name)
    flags = _CODE_FLAGS.get(family, ())
    code: str | None = None
    skip = False
    for i, word in enumerate(args):
        value = word.value
        if skip:
            skip = False
            continue
        if value in flags and i + 1 < len(args):
            target = args[i + 1]
            if target.value is None:
                return [Inner(f"{name} {value}", argv=(Word(None, target.source),))]
            code = target.value
            break
        if value is not None and family == "python" and value.startswith("-c") and len(value) > 2:
            code = value[2:]
            break
        if value is not None and value in _MODULE_FLAGS.get(family, ()):
            return []  # `python -m pytest`: a module, not a script shellgate could read
        if value is not None and value in _VALUE_FLAGS.get(family, ()):
            skip = True
            continue
        if value is None:
            ctx.problem("unread-script", f"{name} runs a script named at run time", command.via)
            return []
        if not value.startswith("-") or value == "-":
            code = ctx.script("/dev/stdin" if value == "-" else value, command.stdin,
                              command.via)
            if code is None and value != "-":
                ctx.problem("unread-script", f"{name} runs {value}, which shellgate cannot "
                            "read", command.via)
            break
    else:
        if family in _STDIN_CODE:
            code = ctx.script("/dev/stdin", command.stdin, command.via)
    if code is None:
        return []
    label = f"{name} code"
    if family == "python":
        return _python(code, label, ctx)
    if family in ("tclsh", "wish", "expect"):
        if _TCL_RUNS.search(code):
            ctx.problem("dynamic-code", f"{name} code starts programs (exec, spawn, open |)")
        return []
    if family == "osascript":
        return [Inner(label, script=unquote('"' + m.group(1) + '"'))
                for m in _OSA_SHELL.finditer(code)]
    return _tokenized(code, label, ctx, family)


# --- Python ---------------------------------------------------------------------------


def _python(code: str, label: str, ctx: ParseContext) -> list[Inner]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return _tokenized(code, label, ctx, "python")
    consts: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            value = _py_const(node.value, consts)
            if isinstance(target, ast.Name) and isinstance(value, str):
                consts[target.id] = value
    found: list[Inner] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        write = _py_file_write(node, consts)
        if write:
            found.append(Inner(label, argv=write))
            continue
        func = _dotted(node.func)
        if func is None:
            if isinstance(node.func, (ast.Call, ast.Subscript)):  # getattr(os, n)(cmd)
                ctx.problem("unnamed-call", "interpreter code calls a function it computes")
            continue
        if func.split(".")[-1] in _UNNAMED and not all(
                isinstance(_py_const(a, consts), str) for a in node.args):
            ctx.problem("unnamed-call", f"interpreter code calls {func} with computed names")
        short = func.split(".")[-1]
        if func in _PY_SHELL or short in ("system", "popen", "getoutput"):
            found.extend(_py_shell_arg(node, label, ctx, consts))
        elif func in _PY_ARGV or short in ("Popen", "check_output", "check_call"):
            found.extend(_py_argv_arg(node, label, ctx, consts))
        elif short in _PY_SQL:
            sql = _py_const(node.args[0], consts) if node.args else None
            if isinstance(sql, str) and sql.lstrip()[:8].upper().startswith(_SQL_VERBS):
                found.append(Inner(f"{label} (SQL)", argv=(lit("psql"), lit("-c"), lit(sql))))
        elif func in _PY_RMTREE or short == "rmtree":
            verb = _PY_RMTREE.get(func, ("rm", "-rf"))
            path = _py_const(node.args[0], consts) if node.args else None
            word = lit(path) if isinstance(path, str) else Word(None, "<path from code>")
            found.append(Inner(label, argv=tuple(lit(v) for v in verb) + (word,)))
    return found


_UNNAMED = frozenset({"getattr", "eval", "exec", "__import__", "import_module", "compile"})
"""Python calls whose target is a name or code computed at run time."""

_PY_TRANSFER = {"os.rename": "mv", "os.replace": "mv", "shutil.move": "mv", "shutil.copy": "cp",
                "shutil.copy2": "cp", "shutil.copyfile": "cp", "shutil.copytree": "cp"}
_PATH_WRITES = {"write_text": "tee", "write_bytes": "tee", "unlink": "rm", "rename": "mv",
                "replace": "mv"}


def _py_file_write(node: ast.Call, consts: dict[str, str]) -> tuple[Word, ...]:
    """A file write as the shell command with the same effect, so that rules about files
    apply: ``open(p, "w")`` → ``tee p``, ``open(p, "a")`` → ``tee -a p``,
    ``Path(p).write_text(…)`` → ``tee p``, ``os.replace(a, b)`` → ``mv a b``."""
    func = node.func
    args: list[ast.expr] = list(node.args)
    if _dotted(func) in ("open", "io.open", "codecs.open"):
        mode_node = args[1] if len(args) > 1 else next(
            (k.value for k in node.keywords if k.arg == "mode"), None)
        mode = _py_const(mode_node, consts) if mode_node is not None else "r"
        if isinstance(mode, str) and not set(mode) & set("wax+"):
            return ()
        append = isinstance(mode, str) and "a" in mode
        return (lit("tee"), *((lit("-a"),) if append else ()), *_py_paths(args[:1], consts))
    if isinstance(func, ast.Attribute) and func.attr in _PATH_WRITES \
            and isinstance(func.value, ast.Call) and func.value.args \
            and _dotted(func.value.func) in ("Path", "pathlib.Path", "PosixPath"):
        path_verb = _PATH_WRITES[func.attr]
        paths = func.value.args[:1] + (args[:1] if path_verb == "mv" else [])
        return (lit(path_verb), *_py_paths(paths, consts))
    verb = _PY_TRANSFER.get(_dotted(func) or "")
    if verb and len(args) >= 2:
        return (lit(verb), *_py_paths(args[:2], consts))
    return ()


def _py_paths(nodes: list[ast.expr], consts: dict[str, str]) -> list[Word]:
    values = [_py_const(n, consts) for n in nodes]
    return [lit(v) if isinstance(v, str) else Word(None, "<path from code>") for v in values]


def _py_shell_arg(node: ast.Call, label: str, ctx: ParseContext,
                  consts: dict[str, str]) -> list[Inner]:
    value = _py_const(node.args[0], consts) if node.args else None
    if isinstance(value, str):
        return [Inner(label, script=value)]
    ctx.problem("dynamic-code", "interpreter code runs a shell command built at run time")
    return []


def _py_argv_arg(node: ast.Call, label: str, ctx: ParseContext,
                 consts: dict[str, str]) -> list[Inner]:
    if not node.args:
        return []
    first = node.args[0]
    value = _py_const(first, consts)
    if isinstance(value, str):
        return [Inner(label, script=value)]
    if isinstance(first, (ast.List, ast.Tuple)):
        words = [_py_const(e, consts) for e in first.elts]
        argv = tuple(lit(w) if isinstance(w, str) else Word(None, "<from code>") for w in words)
        return [Inner(label, argv=argv)] if argv else []
    if len(node.args) > 1 and all(isinstance(_py_const(a, consts), str) for a in node.args):
        return [Inner(label, argv=tuple(lit(str(_py_const(a, consts))) for a in node.args[1:]))]
    ctx.problem("dynamic-code", "interpreter code runs a command built at run time")
    return []


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call) and _dotted(node.func) == "__import__" and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            parts.append(first.value)
        else:
            return None
    else:
        return None
    return ".".join(reversed(parts))


def _py_const(node: ast.expr, consts: dict[str, str]) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _py_const(node.left, consts), _py_const(node.right, consts)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            inner = value.value if isinstance(value, ast.FormattedValue) else value
            const = _py_const(inner, consts)
            if not isinstance(const, str):
                return None
            parts.append(const)
        return "".join(parts)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "join" and node.args):
        sep = _py_const(node.func.value, consts)
        arg = node.args[0]
        if isinstance(sep, str) and isinstance(arg, (ast.List, ast.Tuple)):
            items = [_py_const(e, consts) for e in arg.elts]
            if all(isinstance(i, str) for i in items):
                return sep.join(str(i) for i in items)
    return None


# --- other languages --------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<tick>`[^`]*`)
  | (?P<qx>(?:%x|qx)\s*(?P<d>[^\w\s]))
  | (?P<ident>[A-Za-z_$][\w$]*(?:(?:\.|::|->)[A-Za-z_$][\w$]*)*)
  | (?P<punct>[()\[\],{}:;])
""", re.VERBOSE | re.DOTALL)

_SHELL_CALLS = {"execSync", "exec", "system", "shell_exec", "passthru", "popen", "proc_open",
                "spawn", "spawnSync", "execFile", "execFileSync", "capture2", "capture3",
                "capture2e", "popen3", "Command", "run", "os.execute", "io.popen", "sh",
                "do shell script"}
_ARGV_CALLS = {"spawn", "spawnSync", "execFile", "execFileSync", "Command"}
_RMRF_CALLS = {"rmSync", "rmdirSync", "rm", "rmdir", "rm_rf", "rm_r", "remove_dir",
               "rmtree", "remove_tree", "remove", "removeSync", "emptyDirSync", "deleteSync"}


_CLOSERS = {"{": "}", "(": ")", "[": "]"}


def _tokens(code: str) -> list[tuple[str, str]]:
    """(kind, text) tokens. A ``qx``/``%x`` command string runs to its closing delimiter,
    found with ``str.find`` (as a regex, every unclosed opener rescanned the rest of the
    code: quadratic on agent-controlled text); an unclosed one runs to the end."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while (match := _TOKEN.search(code, pos)) is not None:
        end = match.end()
        if match.lastgroup == "qx":
            opener = match.group("d")
            close = code.find(_CLOSERS.get(opener, opener), end)
            end = len(code) if close < 0 else close + 1
        tokens.append((match.lastgroup or "", code[match.start():end]))
        pos = end
    return tokens


def _tokenized(code: str, label: str, ctx: ParseContext, family: str) -> list[Inner]:
    tokens = _tokens(code)
    found: list[Inner] = []
    for i, (kind, text) in enumerate(tokens):
        if kind == "tick" and family in ("perl", "ruby", "php", "julia"):
            found.append(Inner(label, script=text[1:-1]))
        elif kind == "qx":
            quoted = text[2:].lstrip()  # the opener, the command, the closer if any
            closer = _CLOSERS.get(quoted[0], quoted[0])
            body = quoted[1:]
            found.append(Inner(label, script=body[:-1] if body.endswith(closer) else body))
        elif kind == "ident":
            short = text.split(".")[-1].split("::")[-1].split("->")[-1]
            verb = QUALIFIED_WRITES.get(text) or WRITE_CALLS.get(short)
            if verb is not None:
                found.extend(write_call(tokens, i, verb, label))
                continue
            found.extend(_tokenized_call(tokens, i, text if text in _SHELL_CALLS else short,
                                         label, ctx))
    return found


def _tokenized_call(tokens: list[tuple[str, str]], i: int, short: str, label: str,
                    ctx: ParseContext) -> list[Inner]:
    if short not in _SHELL_CALLS and short not in _RMRF_CALLS:
        return []
    args = call_args(tokens, i)
    literals = [unquote(t) for k, t in args if k == "str"]
    first = args[0] if args else ("", "")
    if short in _RMRF_CALLS:
        recursive = any(t in ("recursive", "true") for _, t in args) or short in (
            "rm_rf", "rm_r", "remove_dir", "rmtree", "remove_tree", "removeSync", "emptyDirSync")
        if not recursive and short not in ("rmSync", "rmdirSync", "rm_rf"):
            return []
        target = lit(unquote(first[1])) if first[0] == "str" else Word(None, "<path from code>")
        return [Inner(label, argv=(lit("rm"), lit("-rf"), target))]
    if first[0] == "str":
        if (short in _ARGV_CALLS or short in ("system", "exec")) and len(literals) > 1 and all(
                k == "str" or t == "," for k, t in args):
            return [Inner(label, argv=tuple(lit(v) for v in literals))]
        return [Inner(label, script=unquote(first[1]))]
    if first[0] == "tick":
        return [Inner(label, script=first[1][1:-1])]
    if first[0] == "ident" and short in ("execSync", "system", "shell_exec", "spawnSync",
                                         "passthru", "popen", "exec"):
        ctx.problem("dynamic-code", "interpreter code runs a shell command built at run time")
    return []
