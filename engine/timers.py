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
    due = [_aware(e.value) for e in workflow.waiting_events() if e.event_type in TIMER_EVENT_TYPES]
    times = [t for t in due if t is not None]
    return min(times) if times else None


def _is_deadline(spec) -> bool:
    """A boundary timer marked as the task's deadline (property deadline=true, or id *_deadline)."""
    props = getattr(spec, "extensions", {}).get("properties", {}) if hasattr(spec, "extensions") else {}
    return str(props.get("deadline", "")).lower() == "true" or spec.bpmn_id.endswith("_deadline")


def deadline_at(task) -> datetime | None:
    """When a user task is due: its marked deadline timer, else its earliest interrupting timer.

    A deadline stays the task's due date after its timer fired: a non-interrupting deadline
    (an escalation beside the task) leaves the task open and overdue, and it keeps its due
    time (SpiffWorkflow keeps the fired timer's `event_value`) until the task itself ends.
    """
    parent = task.parent
    if parent is None or type(parent.task_spec).__name__ != "BoundaryEventSplit":
        return None
    marked, interrupting = [], []
    for sibling in parent.children:
        spec = sibling.task_spec
        if not isinstance(getattr(spec, "event_definition", None), TimerEventDefinition):
            continue
        if not sibling.has_state(TaskState.WAITING | TaskState.READY | TaskState.STARTED | TaskState.COMPLETED):
            continue  # not armed yet, or cut off with its task
        value = _aware(sibling._get_internal_data("event_value"))
        if value is None:
            continue
        if _is_deadline(spec):
            marked.append(value)
        elif getattr(spec, "cancel_activity", False):
            interrupting.append(value)
    candidates = marked or interrupting
    return min(candidates) if candidates else None


ARMED_AT = "armed_at"


def waiting_timer_tasks(workflow: BpmnWorkflow):
    """Every task (in the workflow and its subprocesses) waiting on a timer."""
    for task in workflow.event_manager.tasks.values():
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition) \
                and task.has_state(TaskState.WAITING):
            yield task


def stamp_armed(workflow: BpmnWorkflow, at: datetime) -> None:
    """Note, on each newly waiting timer, when it was armed (by the engine's clock).

    SpiffWorkflow keeps only the computed due time; re-arming after an SLA change needs the
    moment the timer started, to compute the new due time from the same start.
    """
    for task in waiting_timer_tasks(workflow):
        if task._get_internal_data(ARMED_AT) is None:
            task._set_internal_data(**{ARMED_AT: at.isoformat()})


def armed_at(task) -> datetime | None:
    return _aware(task._get_internal_data(ARMED_AT))


def due_at(task) -> datetime | None:
    return _aware(task._get_internal_data("event_value"))
