"""Exact shell-init idioms read through ``eval``: ``eval "$(pyenv init -)"`` prints the
tool's own environment setup. Only these literal spellings pass; any other text through
eval is only known at run time (``core.dynamic-command``)."""

from __future__ import annotations

from shellgate.values import Word

_SHELL_NAMES = ("bash", "zsh", "fish", "sh")
_INIT_FORMS: dict[str, list[tuple[str, ...]]] = {
    "ssh-agent": [(), ("-s",), ("-c",)],
    "pyenv": [("init", "-"), ("init", "--path"), ("virtualenv-init", "-"),
              *(("init", "-", sh) for sh in _SHELL_NAMES)],
    **{env: [("init", "-"), *(("init", "-", sh) for sh in _SHELL_NAMES)]
       for env in ("rbenv", "nodenv", "jenv", "goenv", "plenv", "phpenv")},
    "direnv": [("hook", sh) for sh in _SHELL_NAMES],
    "brew": [("shellenv",), *(("shellenv", sh) for sh in _SHELL_NAMES)],
    "starship": [("init", sh) for sh in _SHELL_NAMES],
    "zoxide": [("init", sh) for sh in _SHELL_NAMES],
    "mise": [("activate", sh) for sh in _SHELL_NAMES],
    "rtx": [("activate", sh) for sh in _SHELL_NAMES],
    "fnm": [("env",), ("env", "--use-on-cd")],
    "conda": [(f"shell.{sh}", "hook") for sh in _SHELL_NAMES],
    "dircolors": [(), ("-b",)],
    "opam": [("env",)],
    "thefuck": [("--alias",)],
}
_INIT_IDIOMS = {tool: frozenset(forms) for tool, forms in _INIT_FORMS.items()}
"""Exact shell-init idioms: ``eval "$(TOOL ARGS)"`` with these literal words prints the
tool's own environment setup. Any other text through eval is only known at run time."""


def init_idiom(word: Word) -> bool:
    """``"$(pyenv init -)"`` (or backquotes), spelled exactly: one plain command, no
    expansions, quotes or operators inside."""
    source = word.source
    if source.startswith('"') and source.endswith('"'):
        source = source[1:-1]
    if source.startswith("$(") and source.endswith(")"):
        inner = source[2:-1]
    elif source.startswith("`") and source.endswith("`"):
        inner = source[1:-1]
    else:
        return False
    if any(c in inner for c in "$`'\"\\;&|<>(){}*?[~#\n"):
        return False
    words = inner.split()
    if not words:
        return False
    tool = words[0].rsplit("/", 1)[-1]
    return tuple(words[1:]) in _INIT_IDIOMS.get(tool, frozenset())


__all__ = ["init_idiom"]
