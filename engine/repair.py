"""Stuck cases: recording why a step of a case failed, and the repairs an administrator may
make to a case that cannot go on by itself (run it on now, or move one of its tokens).

The commands are methods of `ProcessEngine` (it inherits `CaseRepairs`) and go through its
guarded load/act/save path, so a repair lands with its audit event or not at all. Who may
repair a case is the caller's policy (workflows/repair.py).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import tokens
from engine.audit import record
from engine.clock import now
from engine.errors import NotFound, RepairRefused, ScriptFailed
from engine.models import ProcessInstance

# the worker's wait before it tries a failed case again: 1 minute, doubling, at most 6 hours
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
ERROR_MESSAGE_LIMIT = 4000


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure in a row."""
    if attempts <= 0:
        return timedelta(0)
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(attempts - 1, 20))


@dataclass(frozen=True)
class StepError:
    """Where a step of a case failed and why, as recorded on the case."""

    element_id: str | None
    element_name: str | None
    message: str
    attempts: int = 0
    at: datetime | None = None
    retry_after: datetime | None = None


def describe_failure(exc: BaseException) -> tuple[str | None, str | None, str]:
    """(element id, element name, message) of an exception raised by a step of a case."""
    element_id = element_name = None
    seen: BaseException | None = exc
    while seen is not None and element_id is None:
        if isinstance(seen, ScriptFailed):
            element_id, element_name = seen.element_id, seen.element_name
        elif isinstance(seen, WorkflowException):
            spec = getattr(seen, "task_spec", None)
            element_id, element_name = getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None)
        seen = seen.__cause__
    message = str(exc) if isinstance(exc, (ScriptFailed, WorkflowException)) else f"{type(exc).__name__}: {exc}"
    return element_id, element_name, message[:ERROR_MESSAGE_LIMIT]


class CaseRepairs:
    """The commands on a failed or stuck case, mixed into `ProcessEngine`, whose `load`,
    `_advance`, `_run_engine`, `_save` and `element_name` they use."""

    # -- provided by ProcessEngine (engine/runtime.py) ----------------------------------

    def load(self, session: Session, instance_id: int) -> tuple[ProcessInstance, BpmnWorkflow]:
        raise NotImplementedError

    def element_name(self, session: Session, instance_id: int, element_id: str | None) -> str | None:
        raise NotImplementedError

    def _advance(self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow,
                 actor: str) -> list[str]:
        raise NotImplementedError

    def _run_engine(self, workflow: BpmnWorkflow) -> None:
        raise NotImplementedError

    def _save(self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, actor: str | None,
              since: float, new: bool = False) -> None:
        raise NotImplementedError

    # -- commands -----------------------------------------------------------------------

    def record_error(self, session: Session, instance_id: int, exc: BaseException, actor: str | None = None,
                     back_off: bool = False) -> StepError:
        """Mark a case whose step raised `exc` (after that step's transaction rolled back), in the
        caller's own short transaction: message, element, when, one more attempt, and an audit
        event. With `back_off` (the worker), the worker leaves the case alone for a while,
        longer after each failure in a row (`backoff`).

        One UPDATE that also bumps the case's version: whoever read the case before this mark
        cannot save over it unseen, and the next successful save clears it.
        """
        attempts = session.scalar(select(ProcessInstance.error_count).where(ProcessInstance.id == instance_id))
        if attempts is None:
            raise NotFound(f"process instance {instance_id}")
        attempts += 1
        element_id, element_name, message = describe_failure(exc)
        if element_id is not None and element_name is None:
            element_name = self.element_name(session, instance_id, element_id)
        at = now()
        values = {"error_message": message, "error_element_id": element_id, "error_at": at,
                  "error_count": ProcessInstance.error_count + 1, "version": ProcessInstance.version + 1}
        retry_after = at + backoff(attempts) if back_off else None
        if back_off:
            values["retry_after"] = retry_after
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id).values(**values)
                        .execution_options(synchronize_session=False))
        record(session, instance_id, "error", actor, element_id=element_id, data={
            "message": message, "element_name": element_name, "attempt": attempts,
            "retry_after": retry_after.isoformat() if retry_after else None})
        session.flush()
        return StepError(element_id, element_name, message, attempts, at, retry_after)

    def _repairable(self, session: Session, instance_id: int) -> tuple[ProcessInstance, BpmnWorkflow]:
        instance, workflow = self.load(session, instance_id)
        if instance.completed:
            raise RepairRefused([("case_completed", "")])
        return instance, workflow

    def _previous_error(self, instance: ProcessInstance) -> dict[str, Any] | None:
        if instance.error_at is None:
            return None
        return {"element_id": instance.error_element_id, "message": instance.error_message,
                "attempts": instance.error_count, "since": instance.error_at.isoformat()}

    def retry(self, session: Session, instance_id: int, actor: str, reason: str) -> list[str]:
        """Run a case on now, whatever its back-off: fire its due timers and run its ready
        automatic steps, then save (which clears its error). Returns the timers that fired.

        A step that fails again raises (ScriptFailed, ...) and nothing is saved.
        """
        since = time.time()
        instance, workflow = self._repairable(session, instance_id)
        previous = self._previous_error(instance)
        fired = self._advance(session, instance, workflow, actor)
        record(session, instance.id, "repair_retried", actor, element_id=instance.error_element_id,
               data={"reason": reason, "timers_fired": fired, "error": previous})
        self._save(session, instance, workflow, actor, since=since)
        return fired

    def preview_move(self, session: Session, instance_id: int, target_element_id: str,
                     from_task_id: str | None = None) -> tuple[tokens.Move, list[tokens.Step], list[tokens.Step]]:
        """What moving the token would give: (the move, steps waiting before, steps waiting after).

        Runs the move and the automatic steps after it on a copy that is never saved; a step
        that fails raises as the real move would.
        """
        _instance, workflow = self._repairable(session, instance_id)
        before = tokens.active_steps(workflow)
        move = tokens.move(workflow, target_element_id, from_task_id)
        self._run_engine(workflow)
        return move, before, tokens.active_steps(workflow)

    def move_token(self, session: Session, instance_id: int, target_element_id: str, from_task_id: str | None,
                   actor: str, reason: str) -> tokens.Move:
        """Move one token of the case to another step of its process (engine/tokens.py), run the
        automatic steps after it and save. Raises RepairRefused (nothing changed) for a move
        that makes no sense, ScriptFailed etc. when a step after the new place fails."""
        since = time.time()
        instance, workflow = self._repairable(session, instance_id)
        previous = self._previous_error(instance)
        move = tokens.move(workflow, target_element_id, from_task_id)
        self._run_engine(workflow)
        record(session, instance.id, "repair_token_moved", actor, element_id=move.target.element_id, data={
            "reason": reason, "direction": move.direction,
            "from": {"element_id": move.source.element_id, "name": move.source.name},
            "to": {"element_id": move.target.element_id, "name": move.target.name}, "error": previous})
        self._save(session, instance, workflow, actor, since=since)
        return move
