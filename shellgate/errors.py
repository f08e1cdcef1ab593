"""The one exception tree: every user-facing failure is a ShellgateError with an exit code."""

from __future__ import annotations

REFUSED = 126
"""Exit status when shellgate refused to run a command (denied, not approved, timed out)."""


class ShellgateError(Exception):
    """A failure with a one-line message for the human and an exit status."""

    exit_code: int = REFUSED

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        """The one-line message shown after ``shellgate: ``."""
        return str(self.args[0]) if self.args else self.__class__.__name__


class RuleFileError(ShellgateError):
    """A pattern file is broken; shellgate refuses to start with fewer rules."""

    exit_code = 2


class ConfigError(ShellgateError):
    """The configuration cannot be read or is invalid."""

    exit_code = 2


class UsageError(ShellgateError):
    """The command line given to shellgate itself is wrong."""

    exit_code = 2
