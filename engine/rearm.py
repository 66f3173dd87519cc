"""Moving armed timers after a deadline policy changed (SpiffWorkflow computes a due time
once, when a timer is armed; it never looks at the policy again).

A timer is re-armed by evaluating its own expression again, as of the moment it was armed,
with the functions the caller supplies for that moment. Re-running is harmless: a timer
already at its new due time is left alone, so an interrupted run can simply be repeated.

A caller may also pass the functions as they were before the change (`unchanged_at`): a timer
whose expression gives the same time both ways is not touched by the change and keeps its due
time, whatever else has changed since it was armed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from SpiffWorkflow.task import Task
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.clock import now
from engine.models import ProcessInstance
from engine.runtime import ProcessEngine
from engine.timers import _aware, armed_at, due_at, waiting_timer_tasks

# start of the timer -> the functions its expression may call, as of that moment
FunctionsAt = Callable[[datetime], dict]
# a timer's expression -> whether this change concerns it
Matches = Callable[[str], bool]


@dataclass
class TimerMove:
    instance_id: int
    element_id: str
    old_due: datetime | None
    new_due: datetime

    @property
    def overdue_now(self) -> bool:
        return self.new_due <= now()


def running_with_timers(session: Session) -> list[int]:
    return list(session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.completed.is_(False), ProcessInstance.next_timer_at.is_not(None))
        .order_by(ProcessInstance.id)))


def _moves(engine: ProcessEngine, workflow, instance_id: int, matches: Matches,
           functions_at: FunctionsAt, unchanged_at: FunctionsAt | None = None) -> list[tuple[Task, TimerMove]]:
    found = []
    for task in waiting_timer_tasks(workflow):
        expression = getattr(task.task_spec.event_definition, "expression", "") or ""
        started = armed_at(task)
        if not matches(expression) or started is None:
            continue
        value = engine.script_engine.evaluate(task, expression, external_context=functions_at(started))
        new_due = _aware(value)
        if unchanged_at is not None and new_due == _aware(
                engine.script_engine.evaluate(task, expression, external_context=unchanged_at(started))):
            continue  # the change does not reach this timer
        old_due = due_at(task)
        if new_due is not None and new_due != old_due:
            found.append((task, TimerMove(instance_id, task.task_spec.bpmn_id, old_due, new_due)))
    return found


def preview(session: Session, engine: ProcessEngine, instance_ids: list[int], matches: Matches,
            functions_at: FunctionsAt, unchanged_at: FunctionsAt | None = None) -> list[TimerMove]:
    """Which armed timers would move, and where to; changes nothing."""
    moves: list[TimerMove] = []
    for instance_id in instance_ids:
        _, workflow = engine.load(session, instance_id)
        moves += [move for _, move in _moves(engine, workflow, instance_id, matches, functions_at, unchanged_at)]
    return moves


def rearm(session: Session, engine: ProcessEngine, instance_id: int, matches: Matches,
          functions_at: FunctionsAt, actor: str, reason: str,
          unchanged_at: FunctionsAt | None = None) -> list[TimerMove]:
    """Move the matching timers of one instance, in the caller's transaction (version-checked)."""
    instance, workflow = engine.load(session, instance_id)
    found = _moves(engine, workflow, instance_id, matches, functions_at, unchanged_at)
    if not found:
        return []
    for task, move in found:
        task._set_internal_data(event_value=move.new_due.isoformat())
    record(session, instance.id, "timers_rearmed", actor, data={"reason": reason, "timers": [
        {"element_id": m.element_id, "old": m.old_due.isoformat() if m.old_due else None,
         "new": m.new_due.isoformat()} for _, m in found]})
    engine.save(session, instance, workflow, actor)
    return [move for _, move in found]
