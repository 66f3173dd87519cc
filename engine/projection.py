"""Copying chosen workflow variables onto indexed columns of a domain record.

The domain layer says which variables matter (a status, a lead agency, ...) and where they
go; the diagram decides their values, Python only copies them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy.orm import Session

from engine.audit import record
from engine.models import ProcessInstance


@dataclass
class VariableProjection:
    """After each save, copy `columns` {variable: attribute} from task data onto a record.

    `record_for(session, instance)` finds the record (or None). A change of a variable listed
    in `audited` {variable: event kind} is written to the audit log with old and new value,
    and passed to each `on_change(session, record, variable, old, new, actor)`.
    """

    columns: dict[str, str]
    record_for: Callable[[Session, ProcessInstance], Any]
    audited: dict[str, str] = field(default_factory=dict)
    on_change: list[Callable[..., None]] = field(default_factory=list)

    def __call__(self, session: Session, instance: ProcessInstance, data: dict, actor: str | None) -> None:
        target = self.record_for(session, instance)
        if target is None:
            return
        for variable, attribute in self.columns.items():
            if variable not in data:
                continue
            old, new = getattr(target, attribute), data[variable]
            if old == new:
                continue
            setattr(target, attribute, new)
            if variable in self.audited:
                event = record(session, instance.id, self.audited[variable], actor, data={"old": old, "new": new})
                session.flush()  # the event id names the change, e.g. for notices about it
                for callback in self.on_change:
                    callback(session, target, variable, old, new, event.id)
