"""Bypasses the differential harness found (bash ran a gated command, shellgate allowed
the line), each with the engine change that closed it. ``test_found_bypasses.py`` proves
every one twice: bash really runs the destructive call, and shellgate now gates the line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Found:
    family: str
    cmd: str
    ran: tuple[str, ...]
    """The destructive call bash makes (its argv), as the sandbox's stubs log it."""


FORCE = ("git", "push", "--force")

FOUND: tuple[Found, ...] = (
    # tree-sitter-bash splits one shell word into two arguments
    Found("quote then escape is one word", 'git push "--"\\force', FORCE),
    Found("quote then escape is one word", "rm '-'\\rf /", ("rm", "-rf", "/")),
    Found("quote then escape is one word", 'a=(push "--"\\force); git "${a[@]}"', FORCE),
    Found("escaped tab in a here-string", "bash <<< git\\\tpush\\ --force",
          ("git", "push", "--force")),
    Found("assignment then escape", "A=''\\x git push --force", FORCE),
    Found("blank inside \" \" lost", "bash -c 'git'\" \"'push'\" \"'--force'", FORCE),
    # tree-sitter-bash joins lines or statements
    Found("line starting with a backslash", "ls\n\\git push --force", FORCE),
    Found("line starting with a backslash", "x=1\n\\rm -rf /", ("rm", "-rf", "/")),
    Found("here-document starting with a backslash", "bash <<'E'\n\\git push --force\nE",
          FORCE),
    Found("ANSI-C string with \\\\' read past its end",
          "echo $'\\\\' ; git push --force ; echo \\'", FORCE),
    # reserved words taken for command names
    Found("! { … }", "! { git push --force; }", FORCE),
    Found("time { … }", "time { git push --force; }", FORCE),
    Found("! if …", "! if true; then git push --force; fi", FORCE),
    # redirections attached to the wrong command
    Found("here-document after a pipeline", "echo hi | bash <<'E'\ngit push --force\nE", FORCE),
    Found("words after <<EOF", "git <<E push --force\nx\nE", FORCE),
    Found("redirect after a list", ": && printf 'git push --force' > s.sh; bash s.sh", FORCE),
    Found("redirect after ! …", "! printf 'git push --force' > s.sh; bash s.sh", FORCE),
    # shell semantics the parser did not model
    Found("alias defined on the same line does not expand", "alias git=echo; git push --force",
          FORCE),
    Found("custom IFS splits words", "IFS=,; c=git,push,--force; $c", FORCE),
    Found("trap runs its script", "trap 'git push --force' EXIT", FORCE),
    Found("PROMPT_COMMAND runs in an interactive bash",
          "PROMPT_COMMAND='git push --force' bash -i", FORCE),
    Found("PS4 is expanded by bash -x", "PS4='$(git push --force)' bash -xc :", FORCE),
    Found("exported function in the environment",
          "env 'BASH_FUNC_ls%%=() { git push --force; }' bash -c ls", FORCE),
    Found("backquotes in ${x:=…}", 'echo "${x:=`git push --force`}"', FORCE),
    Found("variables set in a pipeline stage do not persist",
          "echo | F=--dry-run; git push --force $F", FORCE),
    # wrappers read wrongly
    Found("xargs -0", "printf '%s\\0' push --force | xargs -0 git", FORCE),
    Found("output of ! … into a pipe", "! echo --force | xargs git push", FORCE),
    Found("flock -c only after the lock file", "flock /tmp/l ionice -c 3 git push --force",
          FORCE),
    Found("env --split-string=", "env --split-string='git push --force'", FORCE),
)

FOUND_BY_FUZZING: tuple[str, ...] = (
    # a wrapper's own script flag was looked for among the wrapped command's options
    "npx --yes ionice -c 3 git push --force",  # npx -c
    "runuser -u deploy -- psql -c 'ALTER TABLE users DROP COLUMN email'",  # runuser -c
    "flock /tmp/l ionice -c 3 git push --force",  # flock -c (also found by bash)
    # shellgate's own wrappers
    "shellgate run -- git push --force",
    "shellgate --config /tmp/agent run -- git push --force",
    "shellgate-sh --config /tmp/agent -c 'git push --force'",
    # interpreter writes to shellgate's own files (self-protection)
    "python3 -c \"open('/root/.config/shellgate/keys.json', 'w').write('[]')\"",
)
"""Bypasses the static fuzzing and the self-protection work found (no bash needed)."""

