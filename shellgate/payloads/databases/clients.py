"""Finds and classifies what a database client invocation will run.

``db_payload`` reads a client's argv the way that client does (psql, mysql/mariadb,
sqlite3, duckdb, clickhouse-client, cockroach sql, usql, mongosh/mongo, redis-cli),
collects the payload from ``-c``/``-e``/``--eval`` texts, ``-f`` files, included files
(``\\i``, ``source``, ``.read``) and stdin, and classifies it. Pure: files are seen only
through ``read_file``. What cannot be seen is named in ``DbPayload.opaque``.
"""

from __future__ import annotations

import posixpath

from shellgate.payloads.databases import options as dbargs
from shellgate.payloads.sql.statements import PayloadFinding, classify_sql, includes, snippet
from shellgate.values import field, mutable_record, record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

if TYPE_CHECKING:
    ReadFile = Callable[[str], "bytes | None"]
    """Returns a file's bytes, or None when shellgate may not or cannot read it."""

MAX_PAYLOAD = 8 * 1024 * 1024
"""Payload bytes inspected per invocation; beyond this the rest is opaque."""
MAX_INCLUDE_DEPTH = 8

INTERACTIVE = "interactive session"
STDIN_OPAQUE = "reads its statements from stdin that shellgate cannot see"

DB_CLIENTS: frozenset[str] = frozenset({
    "psql", "mysql", "mariadb", "sqlite3", "duckdb", "clickhouse-client", "clickhouse",
    "cockroach", "usql", "mongosh", "mongo", "redis-cli"})
"""Tool names :func:`db_payload` understands (``clickhouse`` with ``client``, ``cockroach``
with ``sql``)."""


@record
class DbPayload:
    """What one database-client invocation will run, as far as shellgate can see."""

    language: str                        # "sql" | "mongo" | "redis"
    dialect: str                         # the SQL dialect ("" for mongo and redis)
    texts: tuple[str, ...] = ()          # payload texts found, each a script
    files: tuple[str, ...] = ()          # files the payload is read from (to be hashed)
    opaque: tuple[str, ...] = ()         # payload that could not be seen, and why
    findings: tuple[PayloadFinding, ...] = ()


@mutable_record
class _Collector:
    language: str
    dialect: str
    read_file: ReadFile
    texts: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    findings: list[PayloadFinding] = field(default_factory=list)
    size: int = 0

    def result(self) -> DbPayload:
        return DbPayload(self.language, self.dialect, tuple(self.texts),
                         tuple(dict.fromkeys(self.files)), tuple(dict.fromkeys(self.opaque)),
                         tuple(dict.fromkeys(self.findings)))

    def hide(self, reason: str) -> None:
        self.opaque.append(reason)

    def text(self, text: str | None, what: str = "the payload", origin: str = "",
             depth: int = 0) -> None:
        """Classify one script; ``origin`` is the file it came from (for ``\\ir``)."""
        if text is None:
            self.hide(f"{what} is computed at run time")
            return
        self.size += len(text)
        if self.size > MAX_PAYLOAD:
            self.hide("payload too large to inspect")
            return
        self.texts.append(text)
        if self.language == "mongo":
            from shellgate.payloads.databases.nosql import classify_mongo

            self.findings += classify_mongo(text)
            return
        if self.language == "redis":
            # each client's reader is imported only for that client's commands
            from shellgate.payloads.databases.nosql import classify_redis, split_redis_script

            for words in split_redis_script(text):
                self.findings += classify_redis(words)
            return
        self.findings += [f for f in classify_sql(text, self.dialect) if f.kind != "sql.include"]
        for path, relative in includes(text, self.dialect):
            if relative and origin:
                path = posixpath.join(posixpath.dirname(origin), path)
            if depth >= MAX_INCLUDE_DEPTH:
                self.files.append(path)
                self.hide(f"file {path} is included too deeply to inspect")
            else:
                self.file(path, depth + 1)

    def file(self, path: str | None, depth: int = 0, parse: bool = True) -> None:
        if path is None:
            self.hide("a payload file's name is computed at run time")
            return
        self.files.append(path)
        try:
            data = self.read_file(path)
        except OSError:
            data = None
        if data is None:
            self.hide(f"file {path} not visible")
        elif len(data) + self.size > MAX_PAYLOAD:
            self.hide("payload too large to inspect")
        elif parse:
            self.text(data.decode("utf-8", "replace"), origin=path, depth=depth)

    def stdin(self, stdin: str | None, stdin_opaque: bool) -> None:
        if stdin is not None:
            self.text(stdin)
        elif stdin_opaque:
            self.hide(STDIN_OPAQUE)
        else:
            self.hide(INTERACTIVE)


def db_payload(tool: str, argv: Sequence[str | None], stdin: str | None, stdin_opaque: bool,
               read_file: ReadFile) -> DbPayload | None:
    """The payload of one database-client invocation (None for a tool not handled here).

    ``argv[0]`` is the tool; None words are words shellgate could not resolve. ``stdin``
    is the text the client will read on stdin when known; ``stdin_opaque`` says stdin is
    a pipe or file shellgate could not see (both unset: stdin is the terminal).
    """
    handler = _HANDLERS.get(tool)
    if handler is None:
        return None
    return handler(list(argv), stdin, stdin_opaque, read_file)


if TYPE_CHECKING:
    _Handler = Callable[[list["str | None"], "str | None", bool, ReadFile], "DbPayload | None"]
_HELP = ("--help", "--version", "-?", "-V")


def _asks_help(parsed: dbargs.Parsed) -> bool:
    return parsed.has(*_HELP)


def _psql(argv: list[str | None], stdin: str | None, stdin_opaque: bool, read_file: ReadFile,
          dialect: str = "postgres") -> DbPayload:
    p = dbargs.parse(argv, dbargs.PSQL)
    if dialect == "generic":  # usql: the DSN's scheme names the server
        dialect = _dsn_dialect(next((w for w in p.positionals if w), ""))
    c = _Collector("sql", dialect, read_file)
    if _asks_help(p) or p.has("--list"):
        return c.result()
    for out in p.values("--output"):
        if out is None:
            c.hide("the -o output target is computed at run time (it may be |command)")
        elif out.startswith("|"):
            c.findings.append(PayloadFinding("sql.shell", f"-o {snippet(out)} — pipes output"
                                             " to a shell command"))
    actions = [(n, v) for n, v in p.options if n in ("--command", "--file")]
    for name, value in actions:
        if name == "--command":
            c.text(value, "the -c SQL")
        elif value == "-":
            c.stdin(stdin, stdin_opaque)
        else:
            c.file(value)
    if not actions:
        c.stdin(stdin, stdin_opaque)
    return c.result()


_USQL_SCHEMES = {"postgres": "postgres", "postgresql": "postgres", "pg": "postgres",
                 "pgsql": "postgres", "mysql": "mysql", "my": "mysql", "maria": "mysql",
                 "mariadb": "mysql", "sqlite": "sqlite", "sqlite3": "sqlite", "sq": "sqlite",
                 "file": "sqlite", "duckdb": "duckdb", "dk": "duckdb", "clickhouse": "clickhouse",
                 "ch": "clickhouse", "cockroach": "cockroach", "cockroachdb": "cockroach",
                 "cr": "cockroach"}


def _dsn_dialect(dsn: str) -> str:
    scheme = dsn.split(":", 1)[0].split("+", 1)[0].lower() if ":" in dsn else ""
    return _USQL_SCHEMES.get(scheme, "generic")


def _mysql(argv: list[str | None], stdin: str | None, stdin_opaque: bool,
           read_file: ReadFile) -> DbPayload:
    p = dbargs.parse(argv, dbargs.MYSQL)
    c = _Collector("sql", "mysql", read_file)
    if _asks_help(p) or p.has("--print-defaults"):
        return c.result()
    for path in p.values("--defaults-file", "--defaults-extra-file"):
        _option_file(c, path)
    for value in p.values("--init-command", "--init-command-add"):
        c.text(value, "the --init-command SQL")
    executes = p.values("--execute")
    for value in executes:
        c.text(value, "the -e SQL")
    if not executes:
        c.stdin(stdin, stdin_opaque)
    return c.result()


def _option_file(c: _Collector, path: str | None) -> None:
    """A my.cnf named on the command line may carry SQL in init-command/execute lines."""
    if path is None:
        c.hide("an option file's name is computed at run time")
        return
    c.files.append(path)
    data = c.read_file(path)
    if data is None:
        c.hide(f"option file {path} not visible (it may set init-command)")
        return
    for line in data.decode("utf-8", "replace").splitlines():
        key, eq, value = line.partition("=")
        key = key.strip().lower().replace("_", "-").removeprefix("loose-")
        if eq and key in ("init-command", "init-command-add", "execute"):
            c.text(value.strip().strip("'\""), f"{path}'s {key}")


def _sqlite(argv: list[str | None], stdin: str | None, stdin_opaque: bool, read_file: ReadFile,
            dialect: str = "sqlite") -> DbPayload:
    # -pagecache and -lookaside take two values each.
    words: list[str | None] = []
    skip = 0
    for w in argv:
        if skip:
            skip -= 1
        elif w is not None and w.lstrip("-") in ("pagecache", "lookaside"):
            skip = 2
        else:
            words.append(w)
    p = dbargs.parse(words, dbargs.SQLITE)
    c = _Collector("sql", dialect, read_file)
    if _asks_help(p):
        return c.result()
    if p.has("-A", "-archive"):
        c.hide("sqlite archive mode is not inspected")
        return c.result()
    for path in p.values("-init"):
        c.file(path)
    for value in p.values("-cmd"):
        c.text(value, "the -cmd SQL")
    commands = p.positionals[1:] + p.values("-c", "-s")
    for value in commands:
        c.text(value, "the SQL argument")
    files = p.values("-f") if dialect == "duckdb" else []
    for path in files:
        c.file(path)
    if not commands and not files:
        c.stdin(stdin, stdin_opaque)
    return c.result()


def _clickhouse(argv: list[str | None], stdin: str | None, stdin_opaque: bool,
                read_file: ReadFile) -> DbPayload | None:
    start = 1
    if argv[0] == "clickhouse":
        if len(argv) < 2 or argv[1] != "client":
            return None
        start = 2
    p = dbargs.parse(argv, dbargs.CLICKHOUSE, start)
    c = _Collector("sql", "clickhouse", read_file)
    if _asks_help(p):
        return c.result()
    queries = p.values("--query") + [w for w in p.positionals if w is None or "://" not in w]
    for value in queries:
        c.text(value, "the --query SQL")
    for path in p.values("--queries-file"):
        c.file(path)
    if not queries and not p.has("--queries-file"):
        c.stdin(stdin, stdin_opaque)  # with a query, stdin is INSERT data, not SQL
    return c.result()


def _cockroach(argv: list[str | None], stdin: str | None, stdin_opaque: bool,
               read_file: ReadFile) -> DbPayload | None:
    if len(argv) < 2 or argv[1] != "sql":
        return None
    p = dbargs.parse(argv, dbargs.COCKROACH, 2)
    c = _Collector("sql", "cockroach", read_file)
    if p.has("--help", "-h"):
        return c.result()
    for value in p.values("--execute"):
        c.text(value, "the -e SQL")
    for path in p.values("--file"):
        c.file(path)
    if not p.has("--execute", "--file"):
        c.stdin(stdin, stdin_opaque)
    return c.result()


def _mongo(argv: list[str | None], stdin: str | None, stdin_opaque: bool,
           read_file: ReadFile) -> DbPayload:
    p = dbargs.parse(argv, dbargs.MONGO)
    c = _Collector("mongo", "", read_file)
    if _asks_help(p) or p.has("--build-info"):
        return c.result()
    files = list(p.values("--file"))
    address_seen = False
    for word in p.positionals:
        if word is not None and word.endswith((".js", ".mongodb")):
            files.append(word)
        elif not address_seen:
            address_seen = True  # the connection string or database name
        else:
            files.append(word)
    for value in p.values("--eval"):
        c.text(value, "the --eval script")
    for path in files:
        c.file(path)
    if not p.has("--eval") and not files:
        c.stdin(stdin, stdin_opaque)
    elif p.has("--shell"):
        c.hide(INTERACTIVE)
    return c.result()


def _usql(argv: list[str | None], stdin: str | None, stdin_opaque: bool,
          read_file: ReadFile) -> DbPayload:
    return _psql(argv, stdin, stdin_opaque, read_file, "generic")


def _duckdb(argv: list[str | None], stdin: str | None, stdin_opaque: bool,
            read_file: ReadFile) -> DbPayload:
    return _sqlite(argv, stdin, stdin_opaque, read_file, "duckdb")


def _redis(argv: list[str | None], stdin: str | None, stdin_opaque: bool,
           read_file: ReadFile) -> DbPayload:
    from shellgate.payloads.databases.nosql import classify_redis
    from shellgate.payloads.databases.redis import read_redis_cli, split_redis_protocol

    cli = read_redis_cli(argv)
    c = _Collector("redis", "", read_file)
    c.findings += cli.findings
    for words in cli.commands:
        if words[0] is None:
            c.hide("the Redis command's name is computed at run time")
            continue
        resolved: list[str] = [w if w is not None else "$…" for w in words]
        c.texts.append(" ".join(resolved))
        c.findings += classify_redis(resolved)
        if words[0].upper() in ("DEL", "UNLINK") and None in words[1:]:
            # xargs feeding a scan's output: how many keys, and which, is unknown
            c.findings.append(PayloadFinding("redis.dynamic", f"{snippet(' '.join(resolved))}"
                                             " — deletes keys known only at run time"))
    for path in cli.lua_files:
        c.file(path, parse=False)
    if cli.stdin == "pipe" and stdin is not None:
        c.texts.append(stdin)
        for command in split_redis_protocol(stdin):
            c.findings += classify_redis(command)
    elif cli.stdin:
        c.stdin(stdin, stdin_opaque)
    return c.result()


_HANDLERS: dict[str, _Handler] = {
    "psql": _psql, "mysql": _mysql, "mariadb": _mysql, "sqlite3": _sqlite, "duckdb": _duckdb,
    "clickhouse-client": _clickhouse, "clickhouse": _clickhouse, "cockroach": _cockroach,
    "usql": _usql, "mongosh": _mongo, "mongo": _mongo, "redis-cli": _redis,
}

