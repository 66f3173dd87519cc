"""Cases whose step failed: the failed transaction rolls back whole, then the case is marked.

A command that acts on a case runs the engine inside `guard.step(instance_id)`. When that step
raises something other than an ordinary refusal (a script failed, a hook crashed, ...), the
command's transaction rolls back as always; afterwards, in a short transaction of its own,
the case gets its error recorded (`ProcessEngine.record_error`), and the caller receives
`StepFailed`, which says which step failed, that nothing was saved, and whether the mark was
written. The case then shows on the admins' list of stuck cases until a step succeeds.

    with recording_failures(db, engine, actor) as guard:
        with db.transaction() as session:
            ...policy checks...
            with guard.step(instance_id):
                engine.complete(session, ...)
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import select

from engine.db import Database
from engine.errors import EngineError, ScriptFailed
from engine.repair import StepError, describe_failure
from engine.runtime import ProcessEngine
from workflows.models import Complaint

log = logging.getLogger("tindak.case_errors")


class StepFailed(Exception):
    """A step of a case failed; nothing of it was saved. `recorded` says whether the case was
    marked for the admins (False only when even that failed, e.g. the database is down)."""

    def __init__(self, instance_id: int, complaint_id: int | None, error: StepError, recorded: bool):
        self.instance_id = instance_id
        self.complaint_id = complaint_id
        self.error = error
        self.recorded = recorded
        super().__init__(f"case {instance_id}: step {error.element_id or '?'} failed: {error.message}")

    @property
    def element_id(self) -> str | None:
        return self.error.element_id

    @property
    def element_name(self) -> str | None:
        return self.error.element_name or self.error.element_id


def is_step_failure(exc: BaseException) -> bool:
    """A failure of the case's step, as opposed to a refusal the engine makes on purpose (a form
    that does not validate, a task taken meanwhile, a lost race, ...)."""
    return isinstance(exc, ScriptFailed) or not isinstance(exc, EngineError)


def record_failure(db: Database, engine: ProcessEngine, instance_id: int, exc: BaseException,
                   actor: str | None, back_off: bool = False) -> tuple[StepError, bool]:
    """Mark the case in a transaction of its own; returns (the error, whether it was recorded).

    Never raises: when the mark cannot be written the failure is logged and the caller goes on.
    """
    try:
        with db.transaction() as session:
            return engine.record_error(session, instance_id, exc, actor, back_off=back_off), True
    except Exception:  # noqa: BLE001 (recording must never hide the failure it records)
        log.exception("could not record the failure of case %s", instance_id)
        element_id, element_name, message = describe_failure(exc)
        return StepError(element_id, element_name, message), False


@dataclass
class _Failure:
    instance_id: int
    exc: BaseException


class Guard:
    """Notes which case a failing step belonged to (see the module's docstring)."""

    def __init__(self) -> None:
        self.failure: _Failure | None = None

    @contextmanager
    def step(self, instance_id: int) -> Iterator[None]:
        try:
            yield
        except BaseException as exc:
            if isinstance(exc, Exception) and is_step_failure(exc):
                self.failure = _Failure(instance_id, exc)
            raise


def _complaint_id(db: Database, instance_id: int) -> int | None:
    try:
        with db.session() as session:
            return session.scalar(select(Complaint.id).where(Complaint.process_instance_id == instance_id))
    except Exception:  # noqa: BLE001
        return None


@contextmanager
def recording_failures(db: Database, engine: ProcessEngine, actor: str | None) -> Iterator[Guard]:
    """Run a command; a step that failed inside `guard.step` is recorded after the rollback and
    raised as StepFailed (from the original exception)."""
    guard = Guard()
    try:
        yield guard
    except Exception as exc:
        failure = guard.failure
        if failure is None or failure.exc is not exc:
            raise
        error, recorded = record_failure(db, engine, failure.instance_id, exc, actor)
        raise StepFailed(failure.instance_id, _complaint_id(db, failure.instance_id), error, recorded) from exc
