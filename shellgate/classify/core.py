"""Built-in findings for what the parser could not see into. Not in a pattern file, so
no user or project file can switch them off: they are what "fail closed" means."""

from __future__ import annotations

from shellgate.values import Finding, Problem, Verdict, record


@record
class CoreRule:
    id: str
    summary: str
    why: str
    severity: str
    action: Verdict


CORE: dict[str, CoreRule] = {r.id.removeprefix("core."): r for r in (
    CoreRule("core.parse-error", "the command could not be parsed completely",
             "shellgate only allows what it can read. Rewrite the command in plain bash, or "
             "ask the human to approve it.", "high", "gate"),
    CoreRule("core.dynamic-command", "the program to run is only known at run time",
             "A command name built from a variable or substitution could be any tool; "
             "spell the tool out.", "high", "gate"),
    CoreRule("core.opaque-shell-input", "a shell reads commands shellgate cannot see",
             "Piping unseen text into a shell (curl … | sh) runs code nobody reviewed. "
             "Download the script, read it, and run it as a file.", "high", "gate"),
    CoreRule("core.dynamic-code", "interpreter code runs a command built at run time",
             "shellgate cannot see which command the code will run; spell it out.",
             "high", "gate"),
    CoreRule("core.opaque-payload", "a payload shellgate cannot see goes to a guarded tool",
             "The data sent (SQL, request body) could not be read; make it visible or "
             "ask the human to approve it.", "high", "gate"),
    CoreRule("core.recursive-function", "a function calls itself (a fork bomb when it runs "
             "in the background)", "Self-calling shell functions can exhaust the machine's "
             "processes; write a loop instead.", "high", "gate"),
    CoreRule("core.key-management", "changes which keys can approve commands",
             "Adding or removing an approval key must itself be approved with a key that is "
             "already enrolled.", "critical", "gate"),
    CoreRule("core.secrets", "changes the credential vault or gives a command its secrets",
             "Secrets sealed to the keys reach a command only after a touch; adding, "
             "removing or rotating them is approved the same way.", "critical", "gate"),
    CoreRule("core.self-protection", "takes shellgate's shims or PATH entries away",
             "Removing shims or startup-file entries lets the agent's commands bypass "
             "shellgate, so an enrolled key must approve it.", "critical", "gate"),
    CoreRule("core.self-write", "writes into shellgate's own code, environment, "
             "configuration or an agent's hook settings",
             "These files decide what is gated and what approves it. Show the human the "
             "change and let them make it.", "critical", "gate"),
    CoreRule("core.hook-config", "changes or removes shellgate's hook in an agent's config",
             "The hook is what gates the agent's commands; changing it needs a human with an "
             "enrolled key.", "critical", "gate"),
    CoreRule("core.policy-change", "accepts a pattern file that weakens the policy",
             "Overrides that lower an action, scoped exceptions and packs switched off take "
             "effect only once a human accepts that exact file content with a key touch.",
             "critical", "gate"),
    CoreRule("core.too-complex", "the command is too large or too deeply nested to inspect",
             "Split the command into simpler steps.", "high", "gate"),
    CoreRule("core.bad-input", "the command contains bytes a shell command cannot carry",
             "NUL bytes cannot appear in a shell command line.", "high", "deny"),
    CoreRule("core.invalid-utf8", "the command is not valid UTF-8",
             "shellgate cannot be sure how the bytes will be read; use UTF-8 text.",
             "high", "gate"),
    CoreRule("core.too-large-to-trust", "the command is too large to review by eye",
             "A human cannot check a command this long; put data in a file and pass the file.",
             "medium", "gate"),
    CoreRule("core.too-large", "the command is larger than shellgate inspects",
             "Put the data in a file and pass the file.", "high", "deny"),
    CoreRule("core.unread-script", "runs a script shellgate could not read (strict mode)",
             "Strict mode gates any script or program file shellgate could not read; make "
             "it readable, or run its commands directly.", "high", "gate"),
    CoreRule("core.runtime-argument", "a guarded tool gets an argument only known at run "
             "time (strict mode)", "Strict mode gates variables and substitutions in the "
             "arguments of tools that have rules; spell the value out.", "high", "gate"),
    CoreRule("core.unnamed-call", "interpreter code makes calls shellgate cannot name "
             "(strict mode)", "Strict mode gates code that builds the functions it calls "
             "(getattr, eval, exec, __import__ of computed names); write the call out.",
             "high", "gate"),
    CoreRule("core.internal-error", "shellgate failed while inspecting the command",
             "An internal error is a refusal, never an allow. Report it with the command.",
             "critical", "deny"),
)}


STRICT_ONLY = frozenset({"unread-script", "runtime-argument", "unnamed-call"})
"""Kinds of problem that gate only in strict mode (``strict = true`` in config.toml): the
families ``docs/residual-risk.md`` accepts by default."""


def core_finding(kind: str, detail: str, via: tuple[str, ...] = ()) -> Finding:
    """A Finding for a built-in check (``kind`` is the id without ``core.``)."""
    rule = CORE.get(kind, CORE["internal-error"])
    return Finding(rule.id, rule.summary, rule.why, rule.severity, rule.action,
                   command=detail, via=via, evidence=detail)


def problem_finding(problem: Problem) -> Finding:
    return core_finding(problem.kind, problem.detail, problem.via)
