"""Reading timer due times out of SpiffWorkflow's task state.

SpiffWorkflow computes a timer's due time once, when the timer starts waiting, and keeps it
as an ISO string in the task's internal data; these helpers turn that into aware datetimes.
"""
from __future__ import annotations

from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

TIMER_EVENT_TYPES = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


def _aware(value) -> datetime | None:
    if isinstance(value, dict):  # cycles keep {"cycles": n, "next": iso, "duration": s}
        value = value.get("next")
    if not value:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    """The earliest due time among the timers the workflow waits for, or None."""
    times = [_aware(e.value) for e in workflow.waiting_events() if e.event_type in TIMER_EVENT_TYPES]
    times = [t for t in times if t is not None]
    return min(times) if times else None


def interrupting_due_at(task) -> datetime | None:
    """The due time of the earliest interrupting timer attached to a user task, if any."""
    parent = task.parent
    if parent is None or type(parent.task_spec).__name__ != "BoundaryEventSplit":
        return None
    times = []
    for sibling in parent.children:
        spec = sibling.task_spec
        definition = getattr(spec, "event_definition", None)
        if (
            isinstance(definition, TimerEventDefinition)
            and getattr(spec, "cancel_activity", False)
            and sibling.has_state(TaskState.WAITING)
        ):
            times.append(_aware(sibling._get_internal_data("event_value")))
    times = [t for t in times if t is not None]
    return min(times) if times else None
