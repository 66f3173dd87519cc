"""Repairing due dates lost before issue 13 was fixed.

Until then a task lost its due date (human_task.due_at became NULL) when its non-interrupting
deadline timer fired, the moment it became overdue. The workflow still holds the fired timer's
due time, so the next save of the case puts it back; this puts it back now for cases nobody
touches, without changing the workflows themselves. Running it again finds nothing to do.
"""
from __future__ import annotations

from sqlalchemy import exists, select

from engine.db import Database
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.runtime import ProcessEngine
from engine.task_projection import due_dates

CHUNK = 100  # cases per transaction


def restore_due_dates(db: Database, engine: ProcessEngine) -> int:
    """Give open tasks without a due date the one their workflow holds; returns how many."""
    with db.session() as session:
        ids = list(session.scalars(
            select(HumanTask.process_instance_id).distinct()
            .join(ProcessInstance, ProcessInstance.id == HumanTask.process_instance_id)
            .where(HumanTask.state == "ready", HumanTask.due_at.is_(None), ProcessInstance.completed.is_(False),
                   exists().where(AuditEvent.process_instance_id == HumanTask.process_instance_id,
                                  AuditEvent.kind == "timer_fired"))
            .order_by(HumanTask.process_instance_id)))
    fixed = 0
    for first in range(0, len(ids), CHUNK):
        with db.transaction() as session:
            for instance_id in ids[first:first + CHUNK]:
                _, workflow = engine.load(session, instance_id)
                due = due_dates(workflow)
                for row in session.scalars(select(HumanTask).where(
                        HumanTask.process_instance_id == instance_id, HumanTask.state == "ready",
                        HumanTask.due_at.is_(None))):
                    if due.get(row.id) is not None:
                        row.due_at = due[row.id]
                        fixed += 1
    return fixed
