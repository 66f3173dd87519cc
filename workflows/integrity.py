"""Reconciliation: does what the indexed tables say agree with the workflows themselves?

`tindak check-integrity` runs `check`. It finds:
- a complaint without a case (no process instance, or one that is gone);
- in an unfinished workflow, a READY user task without a `human_task` row in state ready, or a
  ready row whose task is not READY (any more); a finished workflow with ready rows;
- a waiting timer without a due time, or an instance whose `next_timer_at` is not the earliest
  due time of its waiting timers;
- tracking IDs used twice (compared in upper case, as people type them).

Workflows are read in batches of `batch_size` instance ids, one session per batch, so memory
stays bounded however many cases there are. It only reads; it repairs nothing.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import Database
from engine.models import HumanTask, ProcessInstance
from engine.runtime import ProcessEngine
from engine.task_projection import ready_user_tasks
from engine.timers import TIMER_EVENT_TYPES, _aware, next_timer_at
from workflows.models import Complaint


@dataclass(frozen=True)
class Finding:
    kind: str  # no_case | missing_task_row | stale_task_row | finished_with_ready_rows | timer_without_due |
    #            next_timer_mismatch | duplicate_tracking_id | unreadable_workflow
    subject: str  # what it is about: "case 12", "complaint 7", "tracking id ABC"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject}: {self.detail}"


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _complaints_without_case(session: Session) -> Iterator[Finding]:
    query = (select(Complaint.id, Complaint.tracking_id, Complaint.process_instance_id)
             .outerjoin(ProcessInstance, ProcessInstance.id == Complaint.process_instance_id)
             .where(ProcessInstance.id.is_(None)).order_by(Complaint.id))
    for complaint_id, tracking_id, instance_id in session.execute(query):
        detail = "no process instance" if instance_id is None else f"process instance {instance_id} does not exist"
        yield Finding("no_case", f"complaint {complaint_id} ({tracking_id})", detail)


def _duplicate_tracking_ids(session: Session) -> Iterator[Finding]:
    key = func.upper(Complaint.tracking_id)
    for value, count in session.execute(
            select(key, func.count()).group_by(key).having(func.count() > 1).order_by(key)):
        yield Finding("duplicate_tracking_id", f"tracking id {value}", f"used by {count} complaints")


def _finished_with_ready_rows(session: Session) -> Iterator[Finding]:
    query = (select(HumanTask.process_instance_id, func.count())
             .join(ProcessInstance, ProcessInstance.id == HumanTask.process_instance_id)
             .where(ProcessInstance.completed, HumanTask.state == "ready")
             .group_by(HumanTask.process_instance_id).order_by(HumanTask.process_instance_id))
    for instance_id, count in session.execute(query):
        yield Finding("finished_with_ready_rows", f"case {instance_id}", f"{count} task row(s) still ready")


def _check_instance(engine: ProcessEngine, session: Session, instance_id: int) -> Iterator[Finding]:
    subject = f"case {instance_id}"
    try:
        instance, workflow = engine.load(session, instance_id)
    except Exception as exc:  # a state that does not even load is the first thing to report
        yield Finding("unreadable_workflow", subject, f"{type(exc).__name__}: {exc}")
        return
    ready = {str(t.id): t.task_spec.bpmn_id for t in ready_user_tasks(workflow)}
    rows = dict(session.execute(select(HumanTask.id, HumanTask.element_id).where(
        HumanTask.process_instance_id == instance_id, HumanTask.state == "ready")).all())
    for task_id in sorted(set(ready) - set(rows)):
        yield Finding("missing_task_row", subject, f"task {ready[task_id]} ({task_id}) is READY but has no ready row")
    for task_id in sorted(set(rows) - set(ready)):
        yield Finding("stale_task_row", subject, f"row {rows[task_id]} ({task_id}) is ready but its task is not")
    for event in workflow.waiting_events():
        if event.event_type in TIMER_EVENT_TYPES and _aware(event.value) is None:
            yield Finding("timer_without_due", subject, f"timer {event.name or event.event_type} has no due time")
    expected, stored = next_timer_at(workflow), _utc(instance.next_timer_at)
    if expected != stored:
        yield Finding("next_timer_mismatch", subject, f"next_timer_at is {stored}, the earliest timer is {expected}")


def _unfinished_batches(db: Database, batch_size: int) -> Iterator[list[int]]:
    last = 0
    while True:
        with db.session() as session:
            ids = list(session.scalars(select(ProcessInstance.id).where(
                ProcessInstance.completed.is_(False), ProcessInstance.id > last)
                .order_by(ProcessInstance.id).limit(batch_size)))
        if not ids:
            return
        yield ids
        last = ids[-1]


def check(db: Database, engine: ProcessEngine, batch_size: int = 100) -> Iterator[Finding]:
    """Every inconsistency found, as it is found (read-only)."""
    with db.session() as session:
        yield from _complaints_without_case(session)
        yield from _duplicate_tracking_ids(session)
        yield from _finished_with_ready_rows(session)
    for ids in _unfinished_batches(db, batch_size):
        with db.session() as session:  # one session per batch: its identity map goes with it
            for instance_id in ids:
                yield from _check_instance(engine, session, instance_id)
                session.expunge_all()
