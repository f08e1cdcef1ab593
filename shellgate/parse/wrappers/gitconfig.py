"""git's own configuration files, read for the aliases and command settings they hold.

``git config --global alias.sync "push --force"`` in one command and ``git sync`` in the
next: the second line alone says nothing. When a git command names a subcommand that is
not one of git's own, shellgate reads the files git would read for it — the system file,
the global ones (``GIT_CONFIG_GLOBAL``, ``$XDG_CONFIG_HOME/git/config``, ``~/.gitconfig``),
the repository's ``.git/config`` (from the working directory up), every ``include.path``
and ``includeIf.*.path`` they name, and ``GIT_CONFIG_COUNT``/``KEY_n``/``VALUE_n`` — through
the surface's reader, so each file read is hashed into the approval like a payload file.

Parsing is pure: the environment comes from the surface (:attr:`ParseContext.environ`)
and from assignments earlier in the same line.
"""

from __future__ import annotations

import posixpath

from shellgate.parse.context import ParseContext

MAX_INCLUDES = 10
"""``include.path`` nesting followed (git itself stops at 10)."""
MAX_PARENTS = 12
"""Directories above the working directory searched for the repository's ``.git``."""


def getenv(ctx: ParseContext, name: str) -> str | None:
    """A variable as git will see it: set earlier in the line, else the surface's."""
    if name in ctx.env:
        return ctx.env[name]
    return ctx.environ.get(name)


def load_aliases(ctx: ParseContext, chdir: str | None = None) -> list[tuple[str, str]]:
    """Read git's configuration once per parse; its aliases join ``ctx.git_aliases`` (an
    alias defined earlier in the same line wins, as it was written after the file was).
    Returns every (key, value) read, keys lower-cased as git compares them."""
    if ctx.git_config is not None:
        return ctx.git_config
    found: list[tuple[str, str]] = []
    for path in _config_files(ctx, chdir):
        _read_into(ctx, path, found, 0)
    found.extend(_env_settings(ctx))
    for key, value in found:
        if key.startswith("alias."):
            ctx.git_aliases.setdefault(key[6:], value)
    ctx.git_config = found
    return found


def _config_files(ctx: ParseContext, chdir: str | None) -> list[str]:
    files: list[str] = []
    if getenv(ctx, "GIT_CONFIG_NOSYSTEM") in (None, "", "0", "false"):
        files.append(getenv(ctx, "GIT_CONFIG_SYSTEM") or "/etc/gitconfig")
    home = getenv(ctx, "HOME")
    glob = getenv(ctx, "GIT_CONFIG_GLOBAL")
    if glob:
        files.append(_expand(glob, home, ""))
    else:
        xdg = getenv(ctx, "XDG_CONFIG_HOME") or (f"{home}/.config" if home else None)
        if xdg:
            files.append(f"{xdg}/git/config")
        if home:
            files.append(f"{home}/.gitconfig")
    git_dir = getenv(ctx, "GIT_DIR")
    if git_dir:
        files.append(posixpath.join(git_dir, "config"))
    else:
        files.extend(_repo_config(ctx, chdir or "."))
    return files


def _repo_config(ctx: ParseContext, start: str) -> list[str]:
    """``.git/config`` of the repository around ``start``: a ``.git`` file (worktrees,
    submodules) names the real directory with ``gitdir:``; a ``commondir`` the shared one."""
    base = start
    for _ in range(MAX_PARENTS):
        dot_git = posixpath.normpath(posixpath.join(base, ".git"))
        pointer = ctx.read(dot_git)
        if pointer is not None and pointer.startswith("gitdir:"):
            target = pointer[7:].strip()
            git_dir = posixpath.join(posixpath.dirname(dot_git), target)
            common = ctx.read(posixpath.join(git_dir, "commondir"))
            dirs = [git_dir]
            if common is not None and common.strip():
                dirs.insert(0, posixpath.join(git_dir, common.strip()))
            return [posixpath.join(d, "config") for d in dirs]
        config = posixpath.join(dot_git, "config")
        if ctx.read(config) is not None:
            return [config]
        if posixpath.isabs(base) and posixpath.normpath(base) == "/":
            break
        base = posixpath.join(base, "..")
    return []


def _expand(path: str, home: str | None, including: str) -> str:
    if path.startswith("~/") and home:
        return home + path[1:]
    if not posixpath.isabs(path) and including:
        return posixpath.join(posixpath.dirname(including), path)
    return path


def _read_into(ctx: ParseContext, path: str, found: list[tuple[str, str]], depth: int) -> None:
    text = ctx.read(path)
    if text is None:
        return
    for key, value in parse_config(text):
        found.append((key, value))
        if key == "include.path" or (key.startswith("includeif.") and key.endswith(".path")):
            # includeIf is followed whatever its condition: reading too much only gates more
            if depth + 1 >= MAX_INCLUDES:
                ctx.problem("too-complex", f"git config includes nested deeper than {path}")
                continue
            _read_into(ctx, _expand(value, getenv(ctx, "HOME"), path), found, depth + 1)


def _env_settings(ctx: ParseContext) -> list[tuple[str, str]]:
    """``GIT_CONFIG_COUNT`` with ``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``, and the
    ``'key'='value'`` pairs of ``GIT_CONFIG_PARAMETERS`` (what ``git -c`` passes down)."""
    found: list[tuple[str, str]] = []
    try:
        count = int(getenv(ctx, "GIT_CONFIG_COUNT") or "0")
    except ValueError:
        count = 0
    for n in range(min(count, 1000)):
        key, value = getenv(ctx, f"GIT_CONFIG_KEY_{n}"), getenv(ctx, f"GIT_CONFIG_VALUE_{n}")
        if key:
            found.append((_lower_key(key), value or ""))
    params = getenv(ctx, "GIT_CONFIG_PARAMETERS") or ""
    for chunk in params.split("' '"):
        setting = chunk.strip().strip("'")
        key, sep, value = setting.partition("=")
        if not sep:
            key, _, value = setting.partition("'='")
        if key:
            found.append((_lower_key(key.strip("'")), value.strip("'")))
    return found


def _lower_key(key: str) -> str:
    """Section and variable names are case-insensitive, a subsection is not."""
    first, _, rest = key.partition(".")
    middle, _, last = rest.rpartition(".")
    return ".".join(p for p in (first.lower(), middle, last.lower()) if p)


def parse_config(text: str) -> list[tuple[str, str]]:
    """(key, value) pairs of a git config file in order: ``[section "sub"]`` headers,
    ``name = value`` with quotes, escapes, comments and ``\\`` continuation lines; a name
    alone is ``true``. Lines git would reject are skipped (git would refuse to run)."""
    found: list[tuple[str, str]] = []
    section = ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if line.startswith("["):
            close = line.find("]")
            if close < 0:
                continue
            section = _section(line[1:close])
            line = line[close + 1:].strip()
        if not line or line[0] in "#;" or not section:
            continue
        name, eq, raw = line.partition("=")
        name = name.strip().lower()
        if not name or not all(c.isalnum() or c == "-" for c in name):
            continue
        if not eq:
            found.append((f"{section}.{name}", "true"))
            continue
        while raw.rstrip().endswith("\\") and not raw.rstrip().endswith("\\\\") \
                and i < len(lines):
            raw = raw.rstrip()[:-1] + lines[i]
            i += 1
        found.append((f"{section}.{name}", _value(raw)))
    return found


def _section(header: str) -> str:
    name, _, sub = header.strip().partition(" ")
    sub = sub.strip()
    if sub.startswith('"') and sub.endswith('"') and len(sub) >= 2:
        return f"{name.lower()}.{sub[1:-1].replace(chr(92) + chr(34), chr(34))}"
    if "." in name:  # the old [section.subsection] spelling: the subsection lower-cased
        return name.lower()
    return name.lower()


def _value(raw: str) -> str:
    out: list[str] = []
    quoted = False
    i = 0
    raw = raw.strip()
    while i < len(raw):
        c = raw[i]
        if c == '"':
            quoted = not quoted
        elif c == "\\" and i + 1 < len(raw):
            i += 1
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(raw[i], raw[i]))
        elif c in "#;" and not quoted:
            break
        else:
            out.append(c)
        i += 1
    return "".join(out).strip() if not quoted else "".join(out)
