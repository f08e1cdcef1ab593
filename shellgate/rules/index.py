"""Where rules come from and where their compiled forms go: the shipped and user pattern
files, the configuration directory, the cache key, and the quick index the fast path
reads (``shellgate.surfaces.fastpath``) to prove, without the engine, that no rule can
match a plain command.

Imports only ``os`` (the shims and hooks read this on every call)."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing alone costs ~9 ms
if TYPE_CHECKING:
    from typing import Any

    from shellgate.rules.ruleset import RuleSet

CACHE_NAME = "rules.cache"
QUICK_NAME = "quick.index"
SETTINGS_NAME = "config.toml"
ACCEPTED_NAME = "accepted.jsonl"
KEYS_NAME = "keys.json"
PROJECT_NAME = ".shellgate.toml"
FORMAT = 9
_GLOB = frozenset("*?[")
# Wrappers whose handler only unwraps when one of these words appears.
SPECIAL_TRIGGERS: dict[str, tuple[str, ...]] = {
    "git": ("-c", "config", "submodule"),
    "docker": ("exec", "run", "create", "container", "compose"),
    "podman": ("exec", "run", "create", "container", "compose"),
    "nerdctl": ("exec", "run", "create", "container", "compose"),
    "kubectl": ("exec", "debug", "run", "attach"),
    "oc": ("exec", "debug", "run", "attach"),
    # platform CLIs that run a command elsewhere (parse/wrappers/platforms.py)
    "railway": ("ssh", "connect"),
    "fly": ("ssh", "exec", "console"), "flyctl": ("ssh", "exec", "console"),
    "gcloud": ("ssh",),
    "aws": ("send-command", "execute-command", "start-session"),
    "az": ("run-command", "exec"),
    "doctl": ("ssh",), "vagrant": ("ssh",), "multipass": ("exec",), "lxc": ("exec",),
    "incus": ("exec",), "limactl": ("shell",), "eb": ("ssh",),
}


GIT_BUILTINS = frozenset({
    "add", "am", "annotate", "apply", "archive", "bisect", "blame", "branch", "bundle",
    "cat-file", "check-attr", "check-ignore", "checkout", "cherry", "cherry-pick", "clean",
    "clone", "commit", "config", "count-objects", "describe", "diff", "diff-files",
    "diff-index", "diff-tree", "difftool", "fetch", "for-each-ref", "format-patch", "fsck",
    "gc", "grep", "hash-object", "help", "init", "log", "ls-files", "ls-remote", "ls-tree",
    "maintenance", "merge", "merge-base", "mergetool", "mv", "name-rev", "notes", "prune",
    "pull", "push", "range-diff", "rebase", "reflog", "remote", "repack", "replace", "reset",
    "restore", "rev-list", "rev-parse", "revert", "rm", "shortlog", "show", "show-branch",
    "show-ref", "sparse-checkout", "stash", "status", "submodule", "switch", "symbolic-ref",
    "tag", "update-index", "update-ref", "var", "verify-commit", "verify-tag", "version",
    "whatchanged", "worktree", "write-tree"})
"""git's own commands: git never looks these up as aliases. Any other word may be an alias
from one of git's configuration files, so such a git command always goes to the engine
(which reads those files: ``parse/wrappers/gitconfig.py``)."""
_GIT_VALUED = frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace",
                         "--exec-path", "--config-env"})


def git_builtin(words: list[str]) -> bool:
    """The first word after git's own options is one of git's own commands (or none)."""
    i = 0
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in _GIT_VALUED else 1
    return i >= len(words) or words[i] in GIT_BUILTINS


_INDEX_CODE = ("rules/index.py", "surfaces/fastpath.py", "engine.py", "parse/wrappers/unwrap.py",
               "parse/wrappers/options.py", "parse/wrappers/launchers.py",
               "parse/wrappers/remote.py", "classify/payload.py", "classify/generic.py",
               "parse/wrappers/languages.py", "parse/wrappers/projects.py",
               "parse/wrappers/platforms.py")
"""Modules whose tables make the quick index: a changed one (an upgrade that keeps the
version number, a development checkout) recompiles it, so a newly special tool is never
fast-pathed by an index built before it was special."""


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
"""The ``shellgate`` package directory (this module sits in ``shellgate/rules``)."""


def shipped_patterns_dir() -> str:
    """Installed: ``shellgate/patterns``; a source checkout: the top-level ``patterns``."""
    here = _PACKAGE
    installed = os.path.join(here, "patterns")
    if os.path.isdir(installed):
        return installed
    return os.path.join(os.path.dirname(here), "patterns")


def config_dir(explicit: str | None) -> str:
    """``--config DIR`` made absolute with symlinks resolved, else ``~/.config/shellgate``
    of the real user, ~ from the password database (never from the environment, which the
    agent can set). Raises KeyError when the user has no password-database entry."""
    if explicit:
        return os.path.realpath(explicit)
    import pwd

    return os.path.join(pwd.getpwuid(os.getuid()).pw_dir, ".config", "shellgate")


def pattern_paths(shipped: str, user: str | None) -> list[str]:
    """The shipped files, then the user's files (layered on top: a user file of the same
    name no longer replaces the shipped one). Names starting with a dot are skipped."""
    paths: list[str] = []
    for directory in (shipped, user):
        if directory and os.path.isdir(directory):
            paths.extend(os.path.join(directory, name) for name in sorted(os.listdir(directory))
                         if name.endswith(".toml") and not name.startswith("."))
    return paths


def project_paths(cwd: str) -> list[str]:
    """Every ``.shellgate.toml`` from ``/`` down to ``cwd`` (all of them: a file nearer
    the working directory adds to the ones above it, never hides them)."""
    found: list[str] = []
    directory = cwd
    while True:
        candidate = os.path.join(directory, PROJECT_NAME)
        if os.path.isfile(candidate):
            found.append(candidate)
        parent = os.path.dirname(directory)
        if parent == directory:
            return found[::-1]
        directory = parent


def layer_files(config_dir: str, cwd: str | None) -> list[tuple[str, str]]:
    """(path, layer) for every pattern file in force here: ``shipped``, ``user`` (the
    config's ``patterns/``), then ``project`` (``.shellgate.toml`` above ``cwd``)."""
    layers = [(p, "shipped") for p in pattern_paths(shipped_patterns_dir(), None)]
    layers += [(p, "user") for p in pattern_paths("", os.path.join(config_dir, "patterns"))]
    if cwd:
        layers += [(p, "project") for p in project_paths(cwd)]
    return layers


def state_files(config_dir: str) -> tuple[str, str]:
    """The files besides the pattern files that decide the compiled rules: the acceptance
    records and the key store (an acceptance counts only under an enrolled key)."""
    return (os.path.join(config_dir, ACCEPTED_NAME), os.path.join(config_dir, KEYS_NAME))


def cache_key(paths: list[str], settings: str, state: tuple[str, ...] = ()) -> str:
    """shellgate's version, each pattern file's path, size and mtime, and the state of the
    settings file (``config.toml``): the cache and the quick index are compiled only after
    the settings were read without error, so a settings file changed since (broken,
    unreadable) sends every command back to the engine, which refuses it.

    ``state``: more files whose every change must recompile (:func:`state_files`). Files
    outside the shipped directory are keyed by inode and change time too, which no one can
    set back."""
    from shellgate import __version__

    parts = [f"shellgate {__version__} format {FORMAT}"]
    here = _PACKAGE
    for module in _INDEX_CODE:  # the code that decides which tools always need the engine
        stat = os.stat(os.path.join(here, module))
        parts.append(f"{module}\0{stat.st_size}\0{stat.st_mtime_ns}")
    shipped = shipped_patterns_dir() + os.sep
    for path in paths:
        stat = os.stat(path)
        if path.startswith(shipped):
            parts.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
        else:
            parts.append(f"{path}\0{stat.st_ino}\0{stat.st_size}\0{stat.st_mtime_ns}"
                         f"\0{stat.st_ctime_ns}")
    for path in (settings, *state):
        try:
            stat = os.stat(path)
            parts.append(f"{path}\0{stat.st_ino}\0{stat.st_size}\0{stat.st_mtime_ns}"
                         f"\0{stat.st_ctime_ns}")
        except FileNotFoundError:
            parts.append(f"{path}\0absent")
    return "\n".join(parts)


def quick_text(key: str, rules: RuleSet, engine_only: frozenset[str]) -> str:
    """The quick index as text: the cache key, a blank line, then one line per entry."""
    index = quick_index(rules, engine_only)
    verbs, excepted = index["generic"]
    if any(not w or any(c.isspace() for c in w) for w in (*verbs, *excepted)):
        verbs, excepted = ("*",), ()  # a word the line cannot hold: every word matches
    lines = ["special " + " ".join(index["special"]), " ".join(["generic", *verbs]),
             " ".join(["generic-except", *excepted])]
    for name, (triggers, dash, full) in sorted(index["tools"].items()):
        if not name or any(c.isspace() for c in name):
            continue  # never looked up (``_argv_clear`` sends such names to the engine)
        if any(not w or any(c.isspace() for c in w) for w in triggers):
            full, triggers = True, ()  # a word the line cannot hold: always the engine
        mark = "g" if full is None else "1" if full else "0"
        lines.append(" ".join(["tool", name, "1" if dash else "0", mark,
                               *triggers]))
    return key.replace("\0", "\t") + "\n\n" + "\n".join(lines) + "\n"


def quick_index(rules: RuleSet, engine_only: frozenset[str]) -> dict[str, Any]:
    """Per tool: words that could start a matching rule, whether any dash word could,
    whether the tool is too complex to prefilter; plus tools that always need the engine
    (``engine_only``: wrappers and payload carriers, from
    :func:`shellgate.engine.engine_only_tools`); and the generic verbs for tools without
    rules of their own (``on = "unruled"`` rules), with the tools every such rule exempts."""
    special = set(engine_only)
    tools: dict[str, tuple[tuple[str, ...], bool, bool | None]] = {}
    names = set(rules.tool_names) | set(rules.aliases) | set(SPECIAL_TRIGGERS)
    for name in names:
        if name in special:
            continue
        triggers: set[str] = set(SPECIAL_TRIGGERS.get(rules.canonical(name), ()))
        dash = False
        full: bool | None = not rules.for_tool(name)  # no rules: the generic verbs apply
        for rule in rules.for_tool(name):
            if not rule.command:
                if all(m.flags or m.all_flags for m in rule.matches):
                    dash = True
                else:
                    full = True
                continue
            first = rule.command[0]
            if any(_GLOB & set(pattern) for pattern in first):
                full = True
            triggers.update(first)
        if not full and rules.canonical(name) in rules.layered_tools:
            full = None  # only the user's or a project's rules: the generic verbs apply too
        tools[name] = (tuple(sorted(triggers)), dash, full)
    unruled = rules.targeting("unruled")
    verbs = sorted({v for rule in unruled for block in rule.matches for v in block.verbs})
    excepted: set[str] = set.intersection(*(set(r.except_tools) for r in unruled)) \
        if unruled else set()
    return {"special": tuple(sorted(special)), "tools": tools,
            "generic": (tuple(verbs), tuple(sorted(excepted)))}


# Characters of a plain word: nothing bash expands, quotes, redirects or treats as syntax.
