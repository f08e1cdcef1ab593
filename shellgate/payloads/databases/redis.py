"""Redis commands: which destroy data or run code, and how redis-cli splits its input.

Re-exported by :mod:`shellgate.payloads.databases.nosql`. Decisions (see docs/sql-parser-choice.md,
"Redis"): ``DEL``/``UNLINK`` never expand a glob, so ``DEL user:*`` deletes one literally
named key and is not flagged; ``SCRIPT FLUSH``/``EXISTS``/``KILL`` touch no data;
``SWAPDB`` and ``REPLICAOF host port`` replace what clients see, so they count as a flush.
"""

from __future__ import annotations

from shellgate.payloads.sql.statements import PayloadFinding, snippet
from shellgate.values import field, mutable_record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Sequence

_FLUSH = {"FLUSHALL": "deletes every key of every database",
          "FLUSHDB": "deletes every key of the database",
          "SWAPDB": "swaps two databases: clients see other data"}
_DYNAMIC = {"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"}
_READ_ONLY_SUBS = {
    "CONFIG": {"GET", "RESETSTAT", "HELP"},
    "CLUSTER": {"INFO", "NODES", "SLOTS", "SHARDS", "MYID", "MYSHARDID", "KEYSLOT", "LINKS",
                "COUNTKEYSINSLOT", "GETKEYSINSLOT", "HELP", "REPLICAS", "SLAVES",
                "COUNT-FAILURE-REPORTS"},
    "ACL": {"LIST", "WHOAMI", "GETUSER", "CAT", "LOG", "USERS", "GENPASS", "DRYRUN", "HELP"},
    "SCRIPT": {"FLUSH", "EXISTS", "KILL", "HELP", "DEBUG"},
    "FUNCTION": {"LIST", "STATS", "DUMP", "KILL", "HELP"},
    "MODULE": {"LIST", "HELP", "UNLOAD"},
}
_SUB_KIND = {"CONFIG": "redis.config", "CLUSTER": "redis.config", "ACL": "redis.config",
             "SCRIPT": "redis.dynamic", "FUNCTION": "redis.dynamic", "MODULE": "redis.dynamic"}
_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")


def repeat_count(word: str) -> bool:
    """``[+-]?[0-9]+``: redis-cli's leading repeat count, read without ``re``."""
    digits = word[1:] if word[:1] in ("+", "-") else word
    return bool(digits) and all(c in _DIGITS for c in digits)


def classify_redis(words: Sequence[str]) -> list[PayloadFinding]:
    """Classify one Redis command given as words (``["FLUSHDB", "ASYNC"]``)."""
    if not words:
        return []
    cmd = words[0].upper()
    args = [w.upper() for w in words[1:]]
    sub = args[0] if args else ""
    found: list[tuple[str, str]] = []
    if cmd in _FLUSH:
        found.append(("redis.flush", _FLUSH[cmd]))
    elif cmd == "SHUTDOWN" and args != ["ABORT"]:
        found.append(("redis.shutdown", "stops the server"))
    elif cmd in ("REPLICAOF", "SLAVEOF") and args != ["NO", "ONE"]:
        found.append(("redis.flush", "replaces the whole dataset with another server's"))
    elif cmd == "DEBUG":
        found.append(("redis.debug", "DEBUG can crash, reload or corrupt the server"))
    elif cmd in _DYNAMIC:
        found.append(("redis.dynamic", "runs a server-side script"))
    elif cmd == "CLUSTER" and sub in ("RESET", "FLUSHSLOTS"):
        found.append(("redis.flush", "wipes this node's cluster state"))
    elif cmd in _SUB_KIND and sub not in _READ_ONLY_SUBS[cmd]:
        what = {"CONFIG": "changes server configuration (CONFIG SET dir/dbfilename writes"
                          " files anywhere)",
                "CLUSTER": "changes the cluster's layout", "ACL": "changes users or rights",
                "SCRIPT": "loads a script to run later", "FUNCTION": "loads or removes code",
                "MODULE": "loads native code into the server"}[cmd]
        found.append((_SUB_KIND[cmd], what))
    text = snippet(" ".join(words))
    return [PayloadFinding(kind, f"{text} — {what}") for kind, what in found]


def split_args(line: str) -> list[str] | None:
    """Split one line as redis-cli does (sdssplitargs); None when redis-cli rejects it."""
    out: list[str] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return out
        cur: list[str] = []
        quote = ""
        while True:
            c = line[i] if i < n else ""
            if quote == '"':
                if c == "\\" and line[i + 1:i + 2] == "x" and len(line[i + 2:i + 4]) == 2 \
                        and all(h in _HEX for h in line[i + 2:i + 4]):
                    cur.append(chr(int(line[i + 2:i + 4], 16)))
                    i += 3
                elif c == "\\" and i + 1 < n:
                    i += 1
                    cur.append({"n": "\n", "r": "\r", "t": "\t", "b": "\b", "a": "\a"}.get(
                        line[i], line[i]))
                elif c == '"':
                    if i + 1 < n and not line[i + 1].isspace():
                        return None  # a closing quote must be followed by a blank
                    i += 1
                    break
                elif not c:
                    return None  # unterminated quotes
                else:
                    cur.append(c)
            elif quote == "'":
                if c == "\\" and line[i + 1:i + 2] == "'":
                    i += 1
                    cur.append("'")
                elif c == "'":
                    if i + 1 < n and not line[i + 1].isspace():
                        return None
                    i += 1
                    break
                elif not c:
                    return None
                else:
                    cur.append(c)
            elif not c or c in " \n\r\t":
                break
            elif c in "\"'":
                quote = c
            else:
                cur.append(c)
            i += 1
        out.append("".join(cur))


def _words(line: str) -> list[str]:
    words = split_args(line)
    return line.split() if words is None else words  # unreadable: read it loosely, flag more


def split_redis_script(text: str) -> list[list[str]]:
    """Commands redis-cli runs when it reads them from stdin: one per line.

    A leading repeat count (``5 INCR x`` runs INCR five times) is dropped. A line
    redis-cli would reject is still split on blanks, so that it is judged rather than
    skipped.
    """
    out: list[list[str]] = []
    for line in text.splitlines():
        words = _words(line)
        if len(words) > 1 and repeat_count(words[0]):
            words = words[1:]
        if words:
            out.append(words)
    return out


def split_redis_protocol(text: str) -> list[list[str]]:
    """Commands in ``redis-cli --pipe`` input: RESP arrays of bulk strings, or inline lines."""
    data = text.encode("utf-8", "surrogateescape")
    out: list[list[str]] = []
    pos, n = 0, len(data)
    while pos < n:
        eol = data.find(b"\n", pos)
        eol = n if eol < 0 else eol
        line = data[pos:eol].rstrip(b"\r")
        if not line.startswith(b"*"):
            words = _words(line.decode("utf-8", "surrogateescape"))
            if words:
                out.append(words)
            pos = eol + 1
            continue
        command, end = _resp_array(data, line, eol + 1)
        if command is None:  # malformed: judge the rest loosely, line by line
            out += split_redis_script(data[pos:].decode("utf-8", "surrogateescape"))
            break
        pos = end
        out.append(command)
    return out


def _resp_array(data: bytes, head: bytes, pos: int) -> tuple[list[str] | None, int]:
    try:
        count = int(head[1:])
    except ValueError:
        return None, pos
    words: list[str] = []
    for _ in range(max(count, 0)):
        eol = data.find(b"\r\n", pos)
        if eol < 0 or data[pos:pos + 1] != b"$":
            return None, pos
        try:
            size = int(data[pos + 1:eol])
        except ValueError:
            return None, pos
        start = eol + 2
        if size < 0 or start + size > len(data):
            return None, pos
        words.append(data[start:start + size].decode("utf-8", "surrogateescape"))
        pos = start + size + 2
    return words, pos


_CLI_VALUED = frozenset({
    "-h", "-p", "-s", "-a", "-u", "-r", "-i", "-n", "-d", "-D", "-t", "-X", "--user", "--pass",
    "--rdb", "--functions-rdb", "--pipe-timeout", "--memkeys-samples", "--pattern",
    "--quoted-pattern", "--count", "--intrinsic-latency", "--eval", "--sni", "--cacert",
    "--cacertdir", "--cert", "--key", "--tls-ciphers", "--tls-ciphersuites", "--show-pushes",
    "--lru-test", "--keystats-samples", "--cluster-replicas", "--cluster-yes"})
_CLI_MODES = frozenset({
    "--scan", "--bigkeys", "--memkeys", "--hotkeys", "--keystats", "--stat", "--latency",
    "--latency-history", "--latency-dist", "--rdb", "--functions-rdb", "--replica",
    "--intrinsic-latency", "--lru-test", "--help", "--version"})
_CLUSTER_READ = frozenset({"check", "info", "help", "backup"})


@mutable_record
class RedisCli:
    """What a redis-cli argv asks for.

    ``stdin``: "" (not read as commands), "script" (one command a line), "pipe" (RESP or
    inline commands, ``--pipe``). Words in ``commands`` may be None (not resolvable).
    """

    commands: list[list[str | None]] = field(default_factory=list)
    stdin: str = ""
    lua_files: list[str | None] = field(default_factory=list)
    findings: list[PayloadFinding] = field(default_factory=list)


def read_redis_cli(argv: Sequence[str | None]) -> RedisCli:
    """Read a redis-cli argv: options end at the first word that is not one."""
    out = RedisCli()
    i, mode, pipe = 1, False, False
    while i < len(argv):
        word = argv[i]
        if word is None or not word.startswith("-") or word == "-":
            break
        if word == "--cluster":
            sub = argv[i + 1] if i + 1 < len(argv) else None
            j = i + 2
            while j < len(argv) and not (argv[j] or "").startswith("-"):
                j += 1
            args = list(argv[i + 2:j])
            if sub == "call" and len(args) > 1:
                out.commands.append(args[1:])
            elif sub not in _CLUSTER_READ:
                out.findings.append(PayloadFinding(
                    "redis.config", f"--cluster {sub or '$…'} — changes the cluster's layout"))
            return out
        if word == "--eval":
            out.lua_files.append(argv[i + 1] if i + 1 < len(argv) else None)
            out.findings.append(PayloadFinding(
                "redis.dynamic", f"--eval {argv[i + 1] if i + 1 < len(argv) else ''}"
                " — runs a Lua script on the server"))
            return out  # the words that follow are the script's keys and arguments
        mode = mode or word in _CLI_MODES
        pipe = pipe or word == "--pipe"
        i += 2 if word in _CLI_VALUED else 1
    words = list(argv[i:])
    if words:
        out.commands.append(words)
    elif not mode:
        out.stdin = "pipe" if pipe else "script"
    return out
