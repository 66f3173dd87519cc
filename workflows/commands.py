"""What officers do to cases, each command one transaction with the policy checked inside it.

A task the user may not even see answers like a task that does not exist (TaskNotFound),
so ids cannot be probed; a visible task the user may not act on raises Forbidden.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Database
from engine.errors import NotFound, TaskNotReady
from engine.models import HumanTask
from engine.runtime import ProcessEngine
from workflows import policy
from workflows.case_errors import recording_failures
from workflows.cases import visible_complaint
from workflows.models import CaseNote, Complaint, User
from workflows.notifications import Notifier


class Forbidden(Exception):
    """The user may see this but not do this."""


class TaskNotFound(NotFound):
    """No such task, or none the user may see."""


@dataclass
class GoneTask:
    """What became of a task that someone who could have done it finds closed.

    `complaint_id` is set only when the user may still open the case; the status and the
    names of its open tasks are told either way (they are no more than the task list shows).
    """

    task_id: str
    task_name: str
    state: str  # completed | cancelled
    completed_by: str | None
    completed_by_name: str | None
    completed_at: datetime | None
    case_status: str | None
    complaint_id: int | None
    open_tasks: list[str] = field(default_factory=list)


class TaskGone(TaskNotReady):
    """The task was completed or closed meanwhile; says by whom, when and where the case is now."""

    def __init__(self, gone: GoneTask):
        self.gone = gone
        super().__init__(gone.task_id)


def gone_task(session: Session, user: User, task_id: str) -> GoneTask | None:
    """The story of a closed task for a user who could have acted on it, else None (stays 404)."""
    task = session.get(HumanTask, task_id)
    if task is None or task.state == "ready" or not policy.can_act_on_task(session, user, task):
        return None
    complaint = session.scalars(select(Complaint).where(
        Complaint.process_instance_id == task.process_instance_id)).first()
    if complaint is None:
        return None
    name = (session.scalar(select(User.full_name).where(User.username == task.completed_by))
            if task.completed_by else None)
    open_tasks = list(session.scalars(select(HumanTask.name).where(
        HumanTask.process_instance_id == task.process_instance_id, HumanTask.state == "ready")
        .order_by(HumanTask.created_at)))
    visible = policy.can_view_case(session, user, complaint.id)
    return GoneTask(task.id, task.name, task.state, task.completed_by, name, task.completed_at, complaint.status,
                    complaint.id if visible else None, open_tasks)


def task_or_gone(session: Session, user: User, task_id: str) -> tuple[HumanTask, Complaint]:
    """Like visible_task, but a closed task whose case moved out of sight raises TaskGone, not 404."""
    try:
        return visible_task(session, user, task_id)
    except TaskNotFound:
        gone = gone_task(session, user, task_id)
        if gone is not None:
            raise TaskGone(gone) from None
        raise


def visible_task(session: Session, user: User, task_id: str) -> tuple[HumanTask, Complaint]:
    task = session.get(HumanTask, task_id)
    if task is None:
        raise TaskNotFound(task_id)
    complaint = session.query(Complaint).filter_by(process_instance_id=task.process_instance_id).first()
    if complaint is None or not policy.can_view_case(session, user, complaint.id):
        raise TaskNotFound(task_id)
    return task, complaint


def _actionable(session: Session, user: User, task_id: str) -> HumanTask:
    try:
        task, _ = visible_task(session, user, task_id)
    except TaskNotFound:
        # a colleague finished it and the case moved out of sight: say so, not "no such task"
        gone = gone_task(session, user, task_id)
        if gone is not None:
            raise TaskGone(gone) from None
        raise
    if not policy.can_act_on_task(session, user, task):
        raise Forbidden("this task is for another role or agency")
    if task.state != "ready" and (gone := gone_task(session, user, task_id)) is not None:
        raise TaskGone(gone)
    return task


def claim_task(db: Database, engine: ProcessEngine, user: User, task_id: str) -> None:
    with db.transaction() as session:
        _actionable(session, user, task_id)
        engine.claim(session, task_id, user.username)


def release_task(db: Database, engine: ProcessEngine, user: User, task_id: str) -> None:
    with db.transaction() as session:
        _actionable(session, user, task_id)
        engine.release(session, task_id, user.username)


def assign_task(db: Database, engine: ProcessEngine, user: User, task_id: str, assignee: str | None,
                notifier: Notifier | None = None) -> None:
    """Give a task to a colleague; with a notifier, the colleague is e-mailed (same transaction)."""
    with db.transaction() as session:
        task, complaint = visible_task(session, user, task_id)
        if not policy.can_assign(session, user, task):
            raise Forbidden("only agency admins and heads assign tasks")
        if assignee and assignee not in {u.username for u in policy.assignable_users(session, task)}:
            raise Forbidden(f"{assignee} cannot take this task")
        event = engine.assign(session, task_id, assignee or None, user.username)
        if assignee and notifier is not None:
            notifier.task_assigned(session, complaint, task_id, task.name, assignee, str(event.id))


def complete_task(db: Database, engine: ProcessEngine, user: User, task_id: str, data: dict[str, Any]) -> int:
    """Complete a task with form data; returns the complaint id. Raises FormInvalid etc., and
    StepFailed when a step of the case failed (nothing saved; the case is marked for admins)."""
    with recording_failures(db, engine, user.username) as guard, db.transaction() as session:
        task = _actionable(session, user, task_id)
        with guard.step(task.process_instance_id):
            instance = engine.complete(session, task.id, data, user.username)
        return session.query(Complaint.id).filter_by(process_instance_id=instance.id).scalar()


def add_note(db: Database, user: User, complaint_id: int, body: str) -> CaseNote:
    body = (body or "").strip()
    if not body:
        raise ValueError("a note cannot be empty")
    with db.transaction() as session:
        visible_complaint(session, user, complaint_id)
        if not policy.can_write_notes(session, user, complaint_id):
            raise Forbidden("this role does not write notes")
        note = CaseNote(complaint_id=complaint_id, author_id=user.id, body=body[:10000])
        session.add(note)
        return note
