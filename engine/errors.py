"""Error types of the engine; the web layer maps each one to an HTTP answer once."""
from __future__ import annotations

from dataclasses import dataclass, field


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class ConcurrentUpdate(EngineError):
    """Someone else changed the case since it was read; reload and try again."""


class TaskNotReady(EngineError):
    """The task was completed, cancelled or never existed for this case."""


class NotFound(EngineError):
    """No such case, task or process version."""


class NotAllowed(EngineError):
    """The actor may not do this to this task (e.g. it is claimed by someone else)."""


@dataclass
class FormInvalid(EngineError):
    """Submitted form data does not match the task's JSON Schema.

    `fields` maps a field name (or "" for the form as a whole) to a plain-language message.
    """

    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{k or 'form'}: {v}" for k, v in self.fields.items())


@dataclass
class DiagramProblem:
    """One thing wrong in a diagram or form, located for the designer."""

    file: str
    message: str
    line: int | None = None
    element_id: str | None = None
    severity: str = "error"  # "error" refuses a deployment; "warning" is only shown

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element_id:
            where += f" [{self.element_id}]"
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}: {label}{self.message}"


class InvalidDiagram(EngineError):
    """A deployment was refused; nothing was stored."""

    def __init__(self, problems: list[DiagramProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ScriptFailed(EngineError):
    """A script, condition or timer expression in the diagram raised an error."""

    def __init__(self, message: str, element_id: str | None = None, line: int | None = None,
                 element_name: str | None = None):
        self.element_id = element_id
        self.element_name = element_name
        self.line = line
        super().__init__(message)


class RepairRefused(EngineError):
    """A repair (moving a case to another version, moving its token) cannot be done; the case
    is unchanged. `reasons` are (code, detail) pairs, e.g. ("task_missing", "prepare")."""

    def __init__(self, reasons: list[tuple[str, str]]):
        self.reasons = reasons
        super().__init__("; ".join(f"{code}: {detail}" if detail else code for code, detail in reasons))
