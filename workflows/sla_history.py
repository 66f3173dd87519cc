"""The SLA history of one case: for each task that had a deadline, whether it was met.

Read from the `human_task` rows only (never from the workflow), so it is cheap on the case page.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import now
from engine.models import HumanTask
from workflows.calendar import BusinessCalendar
from workflows.models import Agency
from workflows.task_lists import sla_colour


@dataclass(frozen=True)
class Stage:
    """One task with a deadline: when it was due, when (if) it was done, and how it went."""

    element_id: str
    name: str
    agency_code: str | None
    agency_name: str | None
    state: str  # ready | completed | cancelled
    created_at: datetime
    due_at: datetime
    completed_at: datetime | None
    late: bool  # done after the deadline, or still open past it
    late_working_days: int  # whole working days past the deadline (0 when on time)
    colour: str  # green | yellow | red: now for an open task, at its end for a finished one

    @property
    def open(self) -> bool:
        return self.state == "ready"


def sla_history(session: Session, calendar: BusinessCalendar, instance_id: int,
                at: datetime | None = None) -> list[Stage]:
    """The case's tasks that had a deadline, oldest first; tasks without one are left out."""
    at = at or now()
    rows = session.execute(select(HumanTask, Agency.name).outerjoin(Agency, Agency.code == HumanTask.agency_code)
                           .where(HumanTask.process_instance_id == instance_id, HumanTask.due_at.is_not(None))
                           .order_by(HumanTask.created_at, HumanTask.id))
    stages: list[Stage] = []
    for task, agency_name in rows:
        due_at = task.due_at
        assert due_at is not None  # the query keeps only tasks with a deadline
        finished = task.completed_at if task.state != "ready" else None
        end = finished or at
        late = end > due_at
        days = max(0, calendar.working_days_between(due_at, end, task.agency_code)) if late else 0
        stages.append(Stage(
            element_id=task.element_id, name=task.name, agency_code=task.agency_code, agency_name=agency_name,
            state=task.state,
            created_at=task.created_at, due_at=due_at, completed_at=finished, late=late,
            late_working_days=days, colour=sla_colour(due_at, task.created_at, end) or "green"))
    return stages
