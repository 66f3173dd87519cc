"""What officers do to cases, each command one transaction with the policy checked inside it.

A task the user may not even see answers like a task that does not exist (TaskNotFound),
so ids cannot be probed; a visible task the user may not act on raises Forbidden.
"""
from __future__ import annotations

from typing import Any

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
        task = session.get(HumanTask, task_id)
        if task is not None and task.state != "ready" and policy.can_act_on_task(session, user, task):
            raise TaskNotReady(task_id) from None
        raise
    if not policy.can_act_on_task(session, user, task):
        raise Forbidden("this task is for another role or agency")
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
