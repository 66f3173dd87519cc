"""The append-only audit log of a process instance."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import now
from engine.models import AuditEvent


def record(
    session: Session,
    instance_id: int,
    kind: str,
    actor: str | None,
    *,
    task_id: str | None = None,
    element_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; it is committed with the command that caused it, or not at all."""
    event = AuditEvent(
        process_instance_id=instance_id, at=now(), actor=actor, kind=kind,
        task_id=task_id, element_id=element_id, data=data or {},
    )
    session.add(event)
    return event


def history(session: Session, instance_id: int) -> list[AuditEvent]:
    """Every event of an instance, oldest first."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.process_instance_id == instance_id).order_by(AuditEvent.id)
    ))
