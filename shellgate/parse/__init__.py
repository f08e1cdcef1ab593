"""parse: command text → Script (every simple command bash would run, nested ones included)."""

from __future__ import annotations

from shellgate.parse.context import ParseContext, has_glob, mapping_reader, no_files

# launchers adds to the PREFIX table every command is read with; the other wrapper modules
# load when a command they read is met (``unwrap.REGISTERED_IN``)
from shellgate.parse.wrappers import launchers as _launchers  # noqa: F401  (registers pwsh, script, sg…)
from shellgate.values import NO_STDIN, Command, Script, Stdin, Word

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from collections.abc import Mapping

    from shellgate.parse.context import ReadFile

__all__ = ["ReadFile", "mapping_reader", "no_files", "parse", "parse_argv"]


def parse(text: str, read_file: ReadFile = no_files,
          reads_like: dict[str, str] | None = None, stdin: Stdin = NO_STDIN,
          environ: Mapping[str, str] | None = None) -> Script:
    """Parse a command line as bash would run it; never raises on any input text.
    ``reads_like`` maps registered interpreters to the built-in one they read like;
    ``stdin`` is what the line itself reads, as far as the surface knows; ``environ`` the
    environment it starts with (files found through it are read with ``read_file``)."""
    from shellgate.parse.bash.expand import Expander  # the parser: not for importers of
    # parse.context or the wrapper tables alone (``decide.refuse_unread``'s core finding)

    ctx = ParseContext(read_file=read_file, reads_like=reads_like or {},
                       environ=dict(environ or {}))
    if "\x00" in text:
        ctx.problem("bad-input", "the command contains NUL bytes")
        text = text.replace("\x00", " ")
    Expander(ctx).nested(text, (), stdin, None, 0)
    return _script(ctx)


def parse_argv(argv: list[str], read_file: ReadFile = no_files, stdin: Stdin = NO_STDIN,
               reads_like: dict[str, str] | None = None,
               environ: Mapping[str, str] | None = None) -> Script:
    """Inspect an argv that will be exec'd directly (no shell): shims and ``run --``."""
    ctx = ParseContext(read_file=read_file, reads_like=reads_like or {},
                       environ=dict(environ or {}))
    if any("\x00" in a for a in argv):
        ctx.problem("bad-input", "an argument contains NUL bytes")
    if not argv:
        return _script(ctx)
    # exec'd directly, no shell: `[`, `*` and `?` in a word are literal, never a pattern
    words = tuple(Word(a, "'" + a.replace("'", "") + "'" if has_glob(a) else a) for a in argv)
    command = Command(words, stdin=stdin)
    from shellgate.parse.bash.expand import Expander
    from shellgate.parse.bash.walker import Walker

    expander = Expander(ctx)

    walker = Walker(ctx, b"", expander, (), stdin, None, 0)
    if ctx.add(command):
        expander.unwrap(walker, command)
    return _script(ctx)


def _script(ctx: ParseContext) -> Script:
    return Script(tuple(ctx.commands), tuple(ctx.problems))
