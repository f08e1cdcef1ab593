"""State shared by one parse: limits, files seen, commands and problems collected."""

from __future__ import annotations

import posixpath

from shellgate.values import Command, Problem, Stdin, Word, field, mutable_record

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

if TYPE_CHECKING:
    ReadFile = Callable[[str], "bytes | None"]
    """Reads a file a command takes its payload from; None when it cannot be read."""

MAX_NESTING = 48
"""Nested scripts (``bash -c`` inside ``eval`` inside ``$(…)``…) before shellgate gives up."""
MAX_SYNTAX_DEPTH = 400
"""Depth of the syntax tree walked before shellgate gives up (500-deep ``$(`` input)."""
MAX_COMMANDS = 10_000
MAX_PIPELINE = 1_000
MAX_FILE_BYTES = 8 * 1024 * 1024


STDIN_PATHS = frozenset({"/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "/proc/thread-self/fd/0"})
"""Paths that name the command's own standard input: read as its stdin, never as a file
(the surface's own stdin is not the command's: ``scan -`` would feed itself to it)."""
_EMPTY_DEVICES = frozenset({"/dev/null", "/dev/zero"})


def is_device_path(path: str) -> bool:
    """A path whose content is a stream, not a file shellgate can read ahead of the run:
    descriptors, terminals, ``/proc`` entries (``/dev/null`` reads as empty)."""
    return path.startswith(("/dev/", "/proc/")) and path not in _EMPTY_DEVICES


def has_glob(source: str) -> bool:
    """Does the word as written hold a pattern bash expands (``*``, ``?``, ``[…]``) outside
    quotes? (``[`` alone is the test command, not a pattern.)"""
    quote = ""
    i = 0
    while i < len(source):
        c = source[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"':
                i += 1
        elif c == "\\":
            i += 1
        elif c in "'\"":
            quote = c
        elif c in "*?" or (c == "[" and "]" in source[i + 2:]):
            return True
        i += 1
    return False


def no_files(path: str) -> bytes | None:
    """A ``ReadFile`` that sees no file at all."""
    return None


class MappingReader:
    """A ``ReadFile`` serving a path → text map (``scan``'s "files", tests), and symlinks
    from a path → target map (``links``: ``{"build": "/home/me/data"}``)."""

    def __init__(self, files: Mapping[str, str], links: Mapping[str, str] | None = None) -> None:
        self.files = files
        self.links = links or {}

    def __call__(self, path: str) -> bytes | None:
        for key in (path, path.removeprefix("./"), norm_path(path)):
            value = self.files.get(key)
            if isinstance(value, str):
                return value.encode("utf-8", "surrogateescape")
        return None

    def real_path(self, path: str) -> str | None:
        """The path with the first listed symlink among its leading parts replaced."""
        parts = norm_path(path.removeprefix("./")).split("/")
        for end in range(len(parts), 0, -1):
            target = self.links.get("/".join(parts[:end]))
            if isinstance(target, str):
                return norm_path("/".join([target.rstrip("/") or "/", *parts[end:]]))
        return None


def mapping_reader(files: Mapping[str, str], links: Mapping[str, str] | None = None
                   ) -> MappingReader:
    """A ``ReadFile`` serving the given path → text map (``scan``'s "files", tests)."""
    return MappingReader(files, links)


def norm_path(path: str) -> str:
    """Normalise a path for lookups among files written in the same command line."""
    return posixpath.normpath(path) if path else path


@mutable_record
class ParseContext:
    """Everything one parse accumulates; nested scripts share it."""

    read_file: ReadFile = no_files
    commands: list[Command] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    written: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    arrays: dict[str, tuple[Word, ...]] = field(default_factory=dict)
    git_aliases: dict[str, str] = field(default_factory=dict)
    reads_like: dict[str, str] = field(default_factory=dict)
    """Registered interpreters read as the built-in one they name (the tool registry)."""
    environ: Mapping[str, str] = field(default_factory=dict)
    """The environment the command will start with, as the surface knows it (git's
    configuration files are found through it); empty when unknown."""
    git_config: list[tuple[str, str]] | None = None
    npm_scripts: dict[str, str] = field(default_factory=dict)
    """Scripts set in this line (``npm pkg set scripts.x=…``), over ``package.json``'s."""
    exhausted: bool = False

    def problem(self, kind: str, detail: str, via: tuple[str, ...] = ()) -> None:
        key = Problem(kind, detail[:300], via)
        if key not in self.problems and len(self.problems) < 200:
            self.problems.append(key)

    def add(self, command: Command) -> bool:
        """Record a command; False (and a problem) once the budget is spent."""
        if len(self.commands) >= MAX_COMMANDS:
            if not self.exhausted:
                self.exhausted = True
                self.problem("too-complex", f"more than {MAX_COMMANDS} commands")
            return False
        self.commands.append(command)
        return True

    def write(self, path: str, text: str, append: bool) -> None:
        """Remember that this command line writes ``text`` into ``path``."""
        key = norm_path(path)
        self.written[key] = (self.written.get(key, "") if append else "") + text

    def read(self, path: str) -> str | None:
        """A file's text: written earlier in this command line, or read through ``read_file``.

        The engine's reader remembers each file's SHA-256 so an approval binds to it.
        """
        key = norm_path(path)
        if key in self.written:
            return self.written[key]
        if key in _EMPTY_DEVICES:
            return ""
        if is_device_path(key):
            return None
        try:
            data = self.read_file(path)
        except OSError:
            data = None
        if data is None:
            return None
        if len(data) > MAX_FILE_BYTES:
            self.problem("opaque-payload", f"{path} is too large to inspect")
            return None
        return data.decode("utf-8", "surrogateescape")

    def script(self, path: str, stdin: Stdin, via: tuple[str, ...] = ()) -> str | None:
        """The text of a script a shell or interpreter will run from ``path``: its own stdin
        when the path names it (a problem when that stdin is not seen), never a stream."""
        key = norm_path(path)
        if key in STDIN_PATHS and key not in self.written:
            if stdin.text is None and stdin.opaque:
                self.problem("opaque-shell-input",
                             f"code read from {path}: {stdin.opaque or 'standard input'}", via)
            return stdin.text
        if is_device_path(key) and key not in self.written:
            self.problem("opaque-shell-input", f"code read from the stream {path}", via)
            return None
        return self.read(path)
