"""Mirroring a workflow's READY user tasks into the indexed `human_task` table.

Task lists read only that table; this module keeps it true after every save.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import now
from engine.deploy import FORM_PROPERTY, UI_FORM_PROPERTY
from engine.models import HumanTask, ProcessInstance
from engine.timers import deadline_at


@dataclass(frozen=True)
class Routing:
    """Who may take a task: a role, and the agency it must act for (None: any)."""

    role: str | None = None
    agency_code: str | None = None


# (lane name, task-spec properties, task data) -> Routing; supplied by the domain layer
Router = Callable[[str | None, dict, dict], Routing]


def ready_user_tasks(workflow: BpmnWorkflow):
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def sync(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, router: Router,
         new: bool = False) -> list[HumanTask]:
    """Insert rows for newly READY user tasks; close rows whose task is no longer READY.

    Returns the rows inserted (new work for someone). A `new` instance has no rows to read.
    """
    ready = {str(t.id): t for t in ready_user_tasks(workflow)}
    open_rows = [] if new else session.scalars(
        select(HumanTask).where(HumanTask.process_instance_id == instance.id, HumanTask.state == "ready")
    ).all()
    stamp = now()
    for row in open_rows:
        if row.id not in ready:
            # completed through `complete` (already marked) or cut off by a boundary event
            row.state = "cancelled"
            row.completed_at = stamp
        else:
            row.due_at = deadline_at(ready[row.id])  # a re-armed deadline moves the row too
    known = {row.id for row in open_rows}
    fresh = [task_id for task_id in ready if task_id not in known]
    # a task made ready again under its old id (a repair moved the case back to it) reopens its row
    closed = {} if new or not fresh else {row.id: row for row in session.scalars(
        select(HumanTask).where(HumanTask.id.in_(fresh)))}
    created = []
    for task_id in fresh:
        task = ready[task_id]
        spec = task.task_spec
        props = spec.extensions.get("properties", {})
        routing = router(spec.lane, props, task.data)
        if task_id in closed:
            row = closed[task_id]
        else:
            row = HumanTask(id=task_id, process_instance_id=instance.id)
            session.add(row)
        row.element_id, row.name, row.lane = spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, spec.lane
        row.role, row.agency_code = routing.role, routing.agency_code
        row.form, row.ui_form = props.get(FORM_PROPERTY), props.get(UI_FORM_PROPERTY)
        row.state, row.assignee, row.completed_by, row.completed_at = "ready", None, None, None
        row.created_at, row.due_at = stamp, deadline_at(task)
        created.append(row)
    return created


def refresh(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, router: Router) -> None:
    """Re-describe the open rows from the (new) specs of their tasks, e.g. after the case moved to
    another process version: name, lane, routing and form files follow the new version; who holds
    the task stays."""
    ready = {str(t.id): t for t in ready_user_tasks(workflow)}
    for row in session.scalars(select(HumanTask).where(
            HumanTask.process_instance_id == instance.id, HumanTask.state == "ready")):
        task = ready.get(row.id)
        if task is None:
            continue  # closed by the next sync
        spec = task.task_spec
        props = spec.extensions.get("properties", {})
        routing = router(spec.lane, props, task.data)
        row.element_id, row.name, row.lane = spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, spec.lane
        row.role, row.agency_code = routing.role, routing.agency_code
        row.form, row.ui_form = props.get(FORM_PROPERTY), props.get(UI_FORM_PROPERTY)


def due_dates(workflow: BpmnWorkflow) -> dict[str, datetime | None]:
    """The due time of each READY user task (from its deadline timer)."""
    return {str(t.id): deadline_at(t) for t in ready_user_tasks(workflow)}
