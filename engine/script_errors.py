"""The exceptions a diagram script or expression raises when it breaks a rule of the
restricted environment: refused constructs (script_policy, script_builtins) and broken
bounds (script_sizes, script_limits)."""
from __future__ import annotations


class ScriptError(Exception):
    """A diagram script or expression broke a rule of the restricted environment.

    The message is plain language for the designer; `line` is the line within the script
    (1 for a one-line condition), when known.
    """

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class ScriptRefused(ScriptError):
    """The script uses something diagram scripts may not use (found before or while it runs)."""


class ScriptLimitExceeded(ScriptError):
    """The script ran too long, grew the process too much, or tried to build something too big."""
