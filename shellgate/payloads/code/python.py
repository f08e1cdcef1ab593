"""HTTP calls in Python code, read with the standard ``ast`` parser.

Recognised: ``requests``/``httpx`` functions and sessions/clients (``get``…``delete``,
``request(method, url)``, ``Request(…)``), ``aiohttp.ClientSession``, ``urllib3``,
``urllib.request.urlopen``/``Request``/openers, and ``http.client`` connections (host
from the constructor). Strings are constant-folded (concatenation, f-strings, ``%``,
``.format``, ``json.dumps``, ``base64.b64decode``, names assigned once); a part that
is only known at run time becomes :data:`~shellgate.payloads.http.request.DYNAMIC`.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import textwrap

from shellgate.payloads.code.evaluate import UNKNOWN, jsonable, text
from shellgate.payloads.code.pycalls import CLIENTS, METHODS, Ref, classify
from shellgate.payloads.http.request import DYNAMIC, HttpRequest, build_request

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

_MODULES = ("requests", "httpx", "urllib3", "aiohttp", "urllib.request", "http.client",
            "socket", "ssl", "pycurl", "websocket", "websockets", "treq", "grequests")
_SENDING = frozenset({"send", "sendall", "request", "urlopen", "open", "stream", "fetch",
                      "putrequest", "endheaders", "urlretrieve", "create_connection",
                      "connect", "perform", "build_request", "ws_connect", *METHODS})
_SHELL_CALLS = ("subprocess.", "os.system", "os.popen", "os.exec", "os.spawn", "pty.",
                "asyncio.create_subprocess")
_MAX_DEPTH = 30
_MAX_EXEC_DEPTH = 3
_MAX_TEXT = 1 << 20


def _dotted_prefix(path: str) -> bool:
    return any(path == m or path.startswith(m + ".") for m in _MODULES)


class _Python:
    """One pass over a module: bindings, recognised calls, then what is left over."""

    def __init__(self, tree: ast.Module, depth: int) -> None:
        self.tree = tree
        self.depth = depth
        self.aliases: dict[str, str] = {}
        self.assigns: dict[str, list[ast.expr | None]] = {}
        self.consumed: set[int] = set()
        self.parents: dict[int, ast.AST] = {}
        self.found: list[HttpRequest] = []
        self.memo: dict[int, Any] = {}
        self.urls_seen: set[str] = set()
        self._bind()

    # --- bindings ---------------------------------------------------------------------

    def _assign(self, target: ast.AST, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.assigns.setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assign(element, None)

    def _bind(self) -> None:
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    self.aliases[name] = alias.name if alias.asname else name
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    self._assign(target, node.value if len(node.targets) == 1 else None)
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                self._assign(node.target, node.value)
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.AugAssign)):
                self._assign(node.target, None)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        self._assign(item.optional_vars, item.context_expr)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs):
                    self._assign(ast.Name(id=arg.arg), None)

    def _single(self, name: str) -> ast.expr | None:
        values = self.assigns.get(name)
        return values[0] if values is not None and len(values) == 1 else None

    def ref(self, node: ast.AST, depth: int = 0) -> Ref | None:
        """The dotted path an expression names (``<ctor>`` for an instance it made)."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Name):
            if node.id in self.aliases and node.id not in self.assigns:
                return self.aliases[node.id], None
            if node.id not in self.assigns:
                return node.id, None  # a builtin, or a name the code never binds
            value = self._single(node.id)
            return self.ref(value, depth + 1) if value is not None else None
        if isinstance(node, ast.Attribute):
            base = self.ref(node.value, depth + 1)
            return (f"{base[0]}.{node.attr}", base[1]) if base is not None else None
        if isinstance(node, ast.Call):
            func = self.ref(node.func, depth + 1)
            if func is None:
                return None
            if func[0] in ("__import__", "importlib.import_module") and node.args:
                module = self.fold(node.args[0])
                return (module, None) if isinstance(module, str) else None
            return f"<{func[0]}>", node
        return None

    # --- constant folding ------------------------------------------------------------------

    def fold(self, node: ast.AST | None, depth: int = 0) -> Any:
        """The value of an expression, UNKNOWN, or a string holding DYNAMIC parts."""
        if node is None or depth > _MAX_DEPTH:
            return UNKNOWN
        key = id(node)
        if key in self.memo:  # also breaks cycles such as ``a = a + "x"``
            return self.memo[key]
        self.memo[key] = UNKNOWN
        self.consumed.add(key)
        value = self._fold(node, depth)
        if isinstance(value, (str, bytes)) and len(value) > _MAX_TEXT:
            value = UNKNOWN  # built by doubling or repetition: not worth holding
        self.memo[key] = value
        return value

    def _fold(self, node: ast.AST, depth: int) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(self._formatted(v, depth) for v in node.values)
        if isinstance(node, ast.Name):
            return self.fold(self._single(node.id), depth + 1)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return [self.fold(e, depth + 1) for e in node.elts]
        if isinstance(node, ast.Dict):
            return {self._key(k, depth): self.fold(v, depth + 1)
                    for k, v in zip(node.keys, node.values, strict=True)}
        if isinstance(node, ast.BinOp):
            return self._binop(node, depth)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, depth)
        if isinstance(node, ast.Call):
            return self._call_value(node, depth)
        return UNKNOWN

    def _key(self, node: ast.expr | None, depth: int) -> Any:
        key = self.fold(node, depth + 1)
        return key if isinstance(key, (str, int, float, bool)) else DYNAMIC

    def _formatted(self, node: ast.expr, depth: int) -> str:
        value = self.fold(node.value if isinstance(node, ast.FormattedValue) else node, depth + 1)
        plain = not isinstance(node, ast.FormattedValue) or (
            node.conversion == -1 and node.format_spec is None)
        return str(value) if plain and isinstance(value, (str, int, float)) else DYNAMIC

    def _binop(self, node: ast.BinOp, depth: int) -> Any:
        left, right = self.fold(node.left, depth + 1), self.fold(node.right, depth + 1)
        if isinstance(node.op, ast.Add):
            if isinstance(left, str) or isinstance(right, str):
                return text(left) + text(right)
            if isinstance(left, bytes) and isinstance(right, bytes):
                return left + right
        if isinstance(node.op, ast.Mod) and isinstance(left, str):
            values = right if isinstance(right, list) else [right]
            if left.count("%") * max((len(text(v)) for v in values), default=0) > _MAX_TEXT:
                return UNKNOWN
            try:
                return left % (tuple(right) if isinstance(right, list) else right)
            except (TypeError, ValueError, KeyError):
                return DYNAMIC
        return UNKNOWN

    def _subscript(self, node: ast.Subscript, depth: int) -> Any:
        container, key = self.fold(node.value, depth + 1), self.fold(node.slice, depth + 1)
        try:
            return container[key] if isinstance(container, (dict, list, str)) else UNKNOWN
        except (KeyError, IndexError, TypeError):
            return UNKNOWN

    def _call_value(self, node: ast.Call, depth: int) -> Any:
        args = [self.fold(a, depth + 1) for a in node.args]
        target = self.ref(node.func)
        path = target[0] if target is not None else ""
        if isinstance(node.func, ast.Name) and node.func.id not in self.assigns:
            path = path or node.func.id
        if path in ("json.dumps", "textwrap.dedent", "base64.b64decode", "str", "bytes") and args:
            return _apply(path, args[0])
        if isinstance(node.func, ast.Attribute):
            base = self.fold(node.func.value, depth + 1)
            method = node.func.attr
            if isinstance(base, (str, bytes)) and method in ("strip", "lstrip", "rstrip", "encode",
                                                             "decode", "upper", "lower"):
                return getattr(base, method)() if DYNAMIC not in text(base) else base
            if isinstance(base, str) and method == "format":
                kwargs = {k.arg: self.fold(k.value, depth + 1) for k in node.keywords if k.arg}
                widest = max((len(text(a)) for a in [*args, *kwargs.values()]), default=0)
                if len(base) + base.count("{") * widest > _MAX_TEXT:
                    return UNKNOWN
                try:
                    return base.format(*[text(a) for a in args],
                                       **{k: text(v) for k, v in kwargs.items()})
                except (IndexError, KeyError, ValueError):
                    return DYNAMIC
            if isinstance(base, str) and method == "join" and args and isinstance(args[0], list):
                pieces = [text(a) for a in args[0]]
                size = sum(map(len, pieces)) + len(base) * len(pieces)
                return base.join(pieces) if size <= _MAX_TEXT else UNKNOWN
        return UNKNOWN

    # --- recognised calls ------------------------------------------------------------------

    def run(self) -> list[HttpRequest]:
        calls = sorted((n for n in ast.walk(self.tree) if isinstance(n, ast.Call)),
                       key=lambda n: (n.lineno, n.col_offset))
        for call in calls:
            self.call(call)
        self.leftovers()
        return self.found

    def call(self, node: ast.Call) -> None:
        target = self.ref(node.func)
        if target is None:
            if isinstance(node.func, ast.Name) and node.func.id in ("exec", "eval", "compile"):
                self.dynamic_code(node)
            return
        path, ctor = target
        if path in ("exec", "eval", "compile", "builtins.exec", "builtins.eval"):
            self.dynamic_code(node)
            return
        requests = classify(self, node, path, ctor)
        if requests is not None:
            self.found.extend(requests)
            self.consume(node)
        elif _dotted_prefix(path) or path.startswith("<"):
            self.unrecognised(node, path)

    def consume(self, node: ast.AST) -> None:
        for child in ast.walk(node):
            self.consumed.add(id(child))

    def unrecognised(self, node: ast.Call, path: str) -> None:
        last = path.rsplit(".", 1)[-1]
        owner = path.split(">", 1)[0].lstrip("<") if path.startswith("<") else path
        if last in _SENDING and (_dotted_prefix(owner) or owner in CLIENTS):
            self.found.append(build_request("", None, opaque=(
                f"python call {path.replace('<', '').replace('>', '()')} not understood",)))
            self.consume(node)

    def dynamic_code(self, node: ast.Call) -> None:
        code = self.fold(node.args[0]) if node.args else UNKNOWN
        if isinstance(code, bytes):
            code = code.decode("utf-8", "replace")
        if isinstance(code, str) and DYNAMIC not in code and self.depth < _MAX_EXEC_DEPTH:
            self.found.extend(python_requests(code, self.depth + 1))
        else:
            self.found.append(build_request("", None, opaque=(
                "python code runs code built at run time (exec/eval)",)))

    # --- what is left over -------------------------------------------------------------------

    def leftovers(self) -> None:
        for node in ast.walk(self.tree):
            if id(node) in self.consumed:
                continue
            if isinstance(node, ast.Name) and self._bare_http(node):
                self.found.append(build_request("", None, opaque=(
                    f"python code passes {node.id} around; its calls cannot be followed",)))
            elif isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)):
                self.url_literal(node)

    def _bare_http(self, node: ast.Name) -> bool:
        if not isinstance(node.ctx, ast.Load):
            return False
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.Attribute) or (isinstance(parent, ast.Call)
                                                 and parent.func is node):
            return False
        target = self.ref(node)
        if target is None:
            return False
        owner = target[0].split(">", 1)[0].lstrip("<")
        return _dotted_prefix(target[0]) or owner in CLIENTS

    def url_literal(self, node: ast.AST) -> None:
        if self._in_shell_call(node):
            self.consume(node)
            return
        value = self.fold(node)
        self.consume(node)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and value.strip().lower().startswith((
                "http://", "https://")) and value.strip() not in self.urls_seen:
            self.urls_seen.add(value.strip())
            self.found.append(build_request("", value.strip(), opaque=(
                "URL appears in python code but the call using it is not recognised",)))

    def _in_shell_call(self, node: ast.AST) -> bool:
        parent = self.parents.get(id(node))
        while parent is not None:
            if isinstance(parent, ast.Call):
                target = self.ref(parent.func)
                if target is not None and target[0].startswith(_SHELL_CALLS):
                    return True
            parent = self.parents.get(id(parent))
        return False


def _apply(path: str, value: Any) -> Any:
    if path == "json.dumps":
        return json.dumps(jsonable(value))
    if path == "textwrap.dedent" and isinstance(value, str):
        return textwrap.dedent(value)
    if path == "base64.b64decode" and isinstance(value, (str, bytes)) and DYNAMIC not in text(
            value):
        try:
            return base64.b64decode(value)
        except (binascii.Error, ValueError):
            return UNKNOWN
    if path == "str":
        return text(value)
    if path == "bytes" and isinstance(value, bytes):
        return value
    return UNKNOWN


def python_requests(code: str, depth: int = 0) -> list[HttpRequest]:
    """The HTTP requests Python ``code`` makes, as far as can be seen statically."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return [build_request("", None, opaque=("python code could not be parsed",))]
    return _Python(tree, depth).run()
