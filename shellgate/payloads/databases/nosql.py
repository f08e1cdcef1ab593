"""Classifies MongoDB shell scripts (mongosh/mongo ``--eval``) and Redis commands.

Mongo: the script is tokenized by :mod:`shellgate.payloads.databases.jsscan`, then every member
access is checked, called or not, so ``db["x"].drop()``, ``db.x.drop.call(db.x)`` and
``const d = db.x.drop`` all count. Filters are judged from their literal form: an empty or
always-true filter, or one that is not a literal at all, is unscoped. Code that runs text
as code (``eval``, ``Function``, ``load``, a method chosen at run time) is
``mongo.dynamic``, and so is a script that cannot be tokenized: fail closed.
"""

from __future__ import annotations

from shellgate.payloads.databases.redis import (
    classify_redis,
    split_redis_protocol,
    split_redis_script,
)
from shellgate.payloads.sql.statements import PayloadFinding, snippet

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from shellgate.payloads.databases.jsscan import JsToken

__all__ = ["MONGO_KINDS", "REDIS_KINDS", "classify_mongo", "classify_redis",
           "split_redis_protocol", "split_redis_script"]

MONGO_KINDS = frozenset({"mongo.drop-database", "mongo.drop-collection", "mongo.drop-index",
                         "mongo.drop-user", "mongo.delete-unscoped", "mongo.update-unscoped",
                         "mongo.dynamic"})
"""Every kind :func:`classify_mongo` reports."""
REDIS_KINDS = frozenset({"redis.flush", "redis.shutdown", "redis.config", "redis.debug",
                         "redis.dynamic"})
"""Every kind :func:`classify_redis` reports."""

_DROPS = {"dropDatabase": ("mongo.drop-database", "drops the database"),
          "drop": ("mongo.drop-collection", "drops the collection"),
          "dropIndex": ("mongo.drop-index", "drops an index"),
          "dropIndexes": ("mongo.drop-index", "drops indexes"),
          "dropSearchIndex": ("mongo.drop-index", "drops a search index"),
          "dropUser": ("mongo.drop-user", "drops a user"),
          "dropAllUsers": ("mongo.drop-user", "drops every user"),
          "dropRole": ("mongo.drop-user", "drops a role"),
          "dropAllRoles": ("mongo.drop-user", "drops every role")}
_WRITES = {"deleteMany": "mongo.delete-unscoped", "remove": "mongo.delete-unscoped",
           "updateMany": "mongo.update-unscoped", "update": "mongo.update-unscoped"}
_EVAL_NAMES = frozenset({"eval", "Function", "load", "require", "import", "constructor",
                         "setTimeout", "setInterval"})
_COMMANDS = {"dropDatabase": ("mongo.drop-database", "drops the database"),
             "drop": ("mongo.drop-collection", "drops a collection"),
             "dropIndexes": ("mongo.drop-index", "drops indexes"),
             "deleteIndexes": ("mongo.drop-index", "drops indexes"),
             "dropUser": ("mongo.drop-user", "drops a user"),
             "dropAllUsersFromDatabase": ("mongo.drop-user", "drops every user"),
             "dropRole": ("mongo.drop-user", "drops a role"),
             "dropAllRolesFromDatabase": ("mongo.drop-user", "drops every role")}
_HARMLESS_COMMANDS = frozenset({
    "ping", "hello", "isMaster", "ismaster", "buildInfo", "buildinfo", "serverStatus",
    "dbStats", "collStats", "listCollections", "listDatabases", "listIndexes", "count",
    "find", "distinct", "insert", "create", "createIndexes", "currentOp", "getParameter",
    "getLog", "hostInfo", "connectionStatus", "replSetGetStatus", "explain", "validate", "top",
    "whatsmyuri", "getCmdLineOpts", "usersInfo", "rolesInfo", "getMore", "killCursors",
    "lockInfo", "features", "profile", "dataSize", "getShardMap", "listShards", "aggregate",
    "logRotate", "fsync", "fsyncUnlock", "connPoolStats", "setParameter"})
_ROWS, _ALL, _CONST = "rows", "all", "const"  # how much of a collection a filter matches


def classify_mongo(js: str) -> list[PayloadFinding]:
    """Classify a mongosh/mongo script (``--eval`` text, a ``.js`` file, piped stdin)."""
    # the JavaScript scanner (and the ``re`` it uses) only for Mongo: not for Redis commands
    from shellgate.payloads.databases.jsscan import JsSyntaxError, tokenize

    try:
        toks = tokenize(js)
        match = _brackets(toks)
    except JsSyntaxError as exc:
        return [PayloadFinding("mongo.dynamic", f"{snippet(js)} — cannot be read ({exc})")]
    found: list[PayloadFinding] = []
    for i in range(len(toks)):
        name, member = _member_at(toks, i)
        if name is None:
            continue
        call = _call_after(toks, i, member, match)
        for kind, what in _judge(toks, name, member, call, match):
            start = _chain_start(toks, i, match)
            end = toks[match[call] if call is not None else member].end
            found.append(PayloadFinding(kind, f"{snippet(js[toks[start].start:end])} — {what}"))
    return list(dict.fromkeys(found))


def _brackets(toks: list[JsToken]) -> dict[int, int]:
    from shellgate.payloads.databases.jsscan import JsSyntaxError  # loaded by tokenize

    pairs, stack = {}, []
    for i, t in enumerate(toks):
        if t.kind == "punct" and t.value in "([{":
            stack.append(i)
        elif t.kind == "punct" and t.value in ")]}":
            if not stack or toks[stack[-1]].value + t.value not in ("()", "[]", "{}"):
                raise JsSyntaxError("unbalanced brackets")
            pairs[stack.pop()] = i
    if stack:
        raise JsSyntaxError("unbalanced brackets")
    return pairs


def _member_at(toks: list[JsToken], i: int) -> tuple[str | None, int]:
    """The name at token ``i``: ``.name``, ``["name"]``, ``[expr]`` (None: not a name)."""
    tok = toks[i]
    prev = toks[i - 1] if i else None
    if tok.kind == "name":
        after_dot = prev is not None and prev.kind == "punct" and prev.value in (".", "?.")
        is_key = i + 1 < len(toks) and toks[i + 1].value == ":" and not after_dot
        return (None if is_key else tok.value), i
    if tok.kind == "punct" and tok.value == "[" and prev is not None and (
            prev.kind in ("name", "string", "template") or prev.value in (")", "]", "?.")):
        inner = toks[i + 1] if i + 1 < len(toks) else None
        if inner is not None and inner.kind in ("string", "template") and i + 2 < len(
                toks) and toks[i + 2].value == "]":
            return inner.value, i + 2
        return "", i  # a computed member: its name is only known at run time
    return None, i


def _call_after(toks: list[JsToken], i: int, member: int, match: dict[int, int]) -> int | None:
    j = member + 1
    if toks[i].value == "[" and toks[member].value != "]":
        j = match.get(i, i) + 1
    if j < len(toks) and toks[j].value == "?.":
        j += 1
    return j if j < len(toks) and toks[j].value == "(" else None


def _chain_start(toks: list[JsToken], i: int, match: dict[int, int]) -> int:
    closers = {v: k for k, v in match.items()}
    j = i
    while j > 0:
        prev = toks[j - 1]
        if prev.value in (".", "?.") or (prev.kind == "name" and toks[j].value in (".", "?.", "[")):
            j -= 1
        elif prev.value in (")", "]") and j - 1 in closers and toks[j].value in (".", "?.", "["):
            j = closers[j - 1]
            j -= 1 if j > 0 and toks[j - 1].kind == "name" else 0
        else:
            break
    return j


def _args(toks: list[JsToken], call: int, match: dict[int, int]) -> list[list[JsToken]]:
    end = match[call]
    out: list[list[JsToken]] = [[]]
    j = call + 1
    while j < end:
        t = toks[j]
        if t.value == ",":
            out.append([])
        else:
            out[-1].append(t)
            if t.kind == "punct" and t.value in "([{":
                out[-1] += toks[j + 1:match[j] + 1]
                j = match[j]
        j += 1
    return [a for a in out if a]


def _judge(toks: list[JsToken], name: str, member: int, call: int | None,
           match: dict[int, int]) -> list[tuple[str, str]]:
    if name == "" and call is not None:
        return [("mongo.dynamic", "calls a method whose name is computed at run time")]
    if name in _EVAL_NAMES and (call is not None or name == "constructor"):
        return [("mongo.dynamic", f"{name}() runs code that is not in the script")]
    if name in _DROPS:
        return [_DROPS[name]]
    if name in ("update", "remove") and not _is_member(toks, member):
        return []  # a variable called update, not the collection method
    if name in ("runCommand", "adminCommand") and call is not None:
        return _command(_args(toks, call, match))
    if name == "renameCollection" and call is not None:
        args = _args(toks, call, match)
        if len(args) > 1 and args[1][0].value == "true":
            return [("mongo.drop-collection", "renames over an existing collection")]
    if name == "aggregate" and any(t.value == "$out" for t in toks[member:]):
        return [("mongo.drop-collection", "$out replaces a collection")]
    if name == "bulkWrite" and call is not None:
        return _bulk(_args(toks, call, match))
    if name not in _WRITES:
        return []
    kind = _WRITES[name]
    if call is None:
        return [(kind, f"{name} is taken without a visible call")]
    args = _args(toks, call, match)
    if name == "remove" and len(args) > 1 and _one_only(args[1], "justOne"):
        return []
    if name == "update" and (len(args) < 3 or not _one_only(args[2], "multi")):
        return []
    scope = _filter(args[0] if args else [])
    return [(kind, f"{name} matches every document ({scope})")] if scope else []


def _is_member(toks: list[JsToken], at: int) -> bool:
    prev = toks[at - 1] if at else None
    return prev is not None and (prev.value in (".", "?.") or toks[at].value == "]")


def _one_only(arg: list[JsToken], flag: str) -> bool:
    """``true``, or an options object holding ``flag: true``."""
    if arg and arg[0].value == "true":
        return True
    vals = [t.value for t in arg]
    return any(vals[k:k + 3] == [flag, ":", "true"] for k in range(len(vals)))


def _filter(arg: list[JsToken]) -> str:
    """Why a filter matches every document ("" when it narrows)."""
    if not arg:
        return "no filter"
    if arg[0].value != "{" or arg[-1].value != "}":
        return "the filter is not a literal"
    truth = _object_truth(arg)
    return {_ALL: "the filter matches everything",
            _CONST: "the filter does not depend on the document"}.get(truth, "")


def _entries(obj: list[JsToken]) -> list[tuple[str | None, list[JsToken]]]:
    """Keys and value tokens of an object literal (key None: spread or computed)."""
    out: list[tuple[str | None, list[JsToken]]] = []
    depth = 0
    cur: list[JsToken] = []
    for t in obj[1:-1]:
        if t.kind == "punct" and t.value in "([{":
            depth += 1
        elif t.kind == "punct" and t.value in ")]}":
            depth -= 1
        if depth == 0 and t.value == ",":
            out.append(_entry(cur))
            cur = []
        else:
            cur.append(t)
    if cur:
        out.append(_entry(cur))
    return out


def _entry(toks: list[JsToken]) -> tuple[str | None, list[JsToken]]:
    if len(toks) >= 2 and toks[1].value == ":" and toks[0].kind in ("name", "string",
                                                                     "template", "number"):
        return toks[0].value, toks[2:]
    return None, toks


def _object_truth(obj: list[JsToken]) -> str:
    """_ALL (every document), _CONST (unknown, not per document) or _ROWS."""
    verdicts = []
    for key, value in _entries(obj):
        verdicts.append(_key_truth(key, value))
    if not verdicts or all(v == _ALL for v in verdicts):
        return _ALL
    return _ROWS if _ROWS in verdicts else _CONST


def _key_truth(key: str | None, value: list[JsToken]) -> str:
    vals = [t.value for t in value]
    if key is None:
        return _CONST  # ...spread or [computed]: cannot tell
    if key in ("$or", "$and") and vals[:1] == ["["]:
        from shellgate.payloads.databases.jsscan import JsToken  # (loaded by tokenize)

        items = _entries([JsToken("punct", "{", 0, 0), *value[1:-1], value[-1]])
        truths = [_object_truth(v) if v[:1] and v[0].value == "{" else _CONST
                  for _, v in items]
        if key == "$or":
            return _ALL if _ALL in truths or not truths else (_CONST if _CONST in truths
                                                            else _ROWS)
        return _ALL if all(t == _ALL for t in truths) else _ROWS
    if key in ("$comment", "$alwaysTrue"):
        return _ALL
    if key in ("$where", "$expr"):
        fields = any(t.kind in ("string", "template") and t.value.startswith("$")
                     for t in value)
        return _ROWS if key == "$expr" and fields else (_CONST if vals not in (
            ["true"], ["1"]) else _ALL)
    if key.startswith("$") and key not in ("$text", "$jsonSchema", "$nor", "$alwaysFalse"):
        return _CONST
    if key == "_id" and vals and vals[0] == "{":
        ops = dict((k, [t.value for t in v]) for k, v in _entries(value))
        if ops.get("$exists") == ["true"] or ops.get("$ne") in (["null"], ["undefined"]):
            return _ALL
    return _ROWS


def _command(args: list[list[JsToken]]) -> list[tuple[str, str]]:
    if not args:
        return []
    first = args[0]
    if first[0].kind == "string" and len(first) == 1:
        name = first[0].value
        entries: list[tuple[str | None, list[JsToken]]] = [(name, [])]
    elif first[0].value == "{":
        entries = _entries(first)
        name = entries[0][0] or "" if entries else ""
    else:
        return [("mongo.dynamic", "runs a database command built at run time")]
    if name in _COMMANDS:
        return [_COMMANDS[name]]
    if name == "renameCollection" and any(k == "dropTarget" and [t.value for t in v] == [
            "true"] for k, v in entries):
        return [("mongo.drop-collection", "renames over an existing collection")]
    if name in ("delete", "update"):
        ops = [t for k, v in entries if k in ("deletes", "updates") for t in v]
        kind = f"mongo.{name}-unscoped"
        return [(kind, f"{name} command with a filter that matches every document")] if (
            not ops or (any(t.value == "q" for t in ops) and _any_open_q(ops))) else []
    if name in _HARMLESS_COMMANDS and not any(t.value in ("$out", "$merge") for t in first):
        return []
    return [("mongo.dynamic", f"runs database command {name or '(unknown)'}")]


def _any_open_q(ops: list[JsToken]) -> bool:
    """In a delete/update command's statements, a ``q`` filter that matches everything."""
    for k in range(len(ops) - 2):
        if ops[k].value == "q" and ops[k + 1].value == ":":
            if ops[k + 2].value != "{":
                return True
            depth, j = 0, k + 2
            while j < len(ops):
                depth += {"{": 1, "}": -1}.get(ops[j].value, 0) if ops[j].kind == "punct" else 0
                if depth == 0:
                    break
                j += 1
            if _filter(ops[k + 2:j + 1]):
                return True
    return False


def _bulk(args: list[list[JsToken]]) -> list[tuple[str, str]]:
    if not args or args[0][0].value != "[":
        return [("mongo.dynamic", "bulkWrite operations are not visible")]
    found = []
    for op, kind in (("deleteMany", "mongo.delete-unscoped"),
                     ("updateMany", "mongo.update-unscoped")):
        vals = args[0]
        for k in range(len(vals) - 1):
            if vals[k].value == op and vals[k + 1].value == ":":
                rest = vals[k + 2:]
                spec = _entries(rest[:_close(rest) + 1]) if rest[:1] and rest[0].value == "{" \
                    else []
                flt = next((v for key, v in spec if key == "filter"), [])
                if _filter(flt):
                    found.append((kind, f"bulkWrite {op} matches every document"))
    return found


def _close(toks: list[JsToken]) -> int:
    depth = 0
    for j, t in enumerate(toks):
        if t.kind == "punct":
            depth += {"{": 1, "[": 1, "(": 1, "}": -1, "]": -1, ")": -1}.get(t.value, 0)
            if depth == 0:
                return j
    return len(toks) - 1
