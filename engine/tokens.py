"""Moving a case's token to another step of the same process version (a repair by hand).

SpiffWorkflow keeps a case as a tree of tasks. Two ways move a token, both on a loaded
workflow, nothing saved here (the caller runs the engine on and saves through the normal path):

- **back** to a step the case already passed: `BpmnWorkflow.reset_from_task_id` on the last
  completed task of that step above the token. SpiffWorkflow drops everything after it, boundary
  timers included, and makes the step ready again (its timers are armed anew).
- **anywhere else** (forward past a broken step, or to a step on another branch): the token's
  task is cancelled and removed, together with its boundary events when it has some, and a task
  of the target step is grafted in its place, under the task that came before the token. It
  starts from that task's data, so whatever the skipped steps would have set is not set.

Only steps of the top-level process are offered: user tasks, manual tasks and script tasks as
targets; waiting user/manual/script tasks and intermediate catch events as tokens. Steps inside
called processes (call activities, subprocesses) cannot be moved this way.
"""
from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent, IntermediateCatchEvent
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.errors import RepairRefused
from engine.timers import due_at, waiting_timer_tasks

TARGET_KINDS = (UserTask, ManualTask, ScriptTask)


@dataclass(frozen=True)
class Step:
    """A step of a process as the repair pages show it."""

    element_id: str
    name: str
    kind: str  # "user_task" | "script_task" | "manual_task" | "event"
    task_id: str | None = None  # for tokens: the task waiting there
    state: str | None = None  # for tokens: "ready" | "waiting"


def _kind(spec) -> str:
    if isinstance(spec, UserTask):
        return "user_task"
    if isinstance(spec, ScriptTask):
        return "script_task"
    if isinstance(spec, ManualTask):
        return "manual_task"
    return "event"


def _step(spec, task=None) -> Step:
    return Step(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, _kind(spec),
                str(task.id) if task is not None else None,
                TaskState.get_name(task.state).lower() if task is not None else None)


def targets(workflow: BpmnWorkflow) -> list[Step]:
    """The steps a token may be moved to: user, manual and script tasks of the top-level process."""
    specs = [s for s in workflow.spec.task_specs.values()
             if isinstance(s, TARGET_KINDS) and getattr(s, "bpmn_id", None)]
    return sorted((_step(s) for s in specs), key=lambda step: (step.name.casefold(), step.element_id))


def _movable(task) -> bool:
    spec = task.task_spec
    if task.workflow is not task.workflow.top_workflow or not getattr(spec, "bpmn_id", None):
        return False
    if isinstance(spec, TARGET_KINDS):
        return task.has_state(TaskState.READY | TaskState.WAITING | TaskState.ERROR)
    return isinstance(spec, IntermediateCatchEvent) and not isinstance(spec, BoundaryEvent) \
        and task.has_state(TaskState.WAITING)


def token_tasks(workflow: BpmnWorkflow) -> list:
    return [t for t in workflow.get_tasks(skip_subprocesses=True) if _movable(t)]


def tokens(workflow: BpmnWorkflow) -> list[Step]:
    """Where the top-level process waits now (the tokens that may be moved)."""
    return [_step(t.task_spec, t) for t in token_tasks(workflow)]


def active_steps(workflow: BpmnWorkflow) -> list[Step]:
    """Every step waiting now, in the process and in what it called (for before/after views)."""
    found = []
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
        spec = task.task_spec
        if getattr(spec, "bpmn_id", None) and not isinstance(spec, BoundaryEventSplit):
            found.append(_step(spec, task))
    return found


def due_now(workflow: BpmnWorkflow, at) -> list[Step]:
    """What running the case on now would do: its timers due by `at`, its ready automatic steps."""
    steps = [_step(t.task_spec, t) for t in waiting_timer_tasks(workflow) if (due := due_at(t)) and due <= at]
    steps += [_step(t.task_spec, t) for t in workflow.get_tasks(state=TaskState.READY)
              if not t.task_spec.manual and getattr(t.task_spec, "bpmn_id", None)]
    return steps


@dataclass
class Move:
    """What a move did: which way, from which token to which step."""

    direction: str  # "back" | "jump"
    source: Step
    target: Step


def _choose_token(workflow: BpmnWorkflow, from_task_id: str | None):
    waiting = token_tasks(workflow)
    if from_task_id:
        chosen = [t for t in waiting if str(t.id) == from_task_id]
        if not chosen:
            raise RepairRefused([("token_unknown", from_task_id)])
        return chosen[0]
    if not waiting:
        raise RepairRefused([("no_token", "")])
    if len(waiting) > 1:
        raise RepairRefused([("choose_token", ", ".join(t.task_spec.bpmn_id for t in waiting))])
    return waiting[0]


def _entry(spec):
    """The spec a task of `spec` hangs under the tree by: its boundary-event split if it has one."""
    return next((s for s in spec.inputs if isinstance(s, BoundaryEventSplit)), spec)


def _last_passed(workflow: BpmnWorkflow, token, spec):
    """The deepest completed task of `spec` above the token, if the token came through it."""
    passed = [t for t in workflow.get_tasks(state=TaskState.COMPLETED, spec_name=spec.name, skip_subprocesses=True)
              if token.is_descendant_of(t)]
    return max(passed, key=lambda t: t.depth) if passed else None


def move(workflow: BpmnWorkflow, target_element_id: str, from_task_id: str | None = None) -> Move:
    """Move one token of the top-level process to `target_element_id`, in memory.

    Raises RepairRefused (nothing changed) for a target that is not a user, manual or script
    task of this process, or when no (or more than one, and none chosen) token waits.
    """
    spec = workflow.spec.task_specs.get(target_element_id)
    if spec is None or not isinstance(spec, TARGET_KINDS):
        raise RepairRefused([("target_unknown", target_element_id)])
    token = _choose_token(workflow, from_task_id)
    source = _step(token.task_spec, token)
    passed = _last_passed(workflow, token, spec)
    if passed is not None:
        workflow.reset_from_task_id(passed.id)
        return Move("back", source, _step(spec))
    if token.task_spec is spec:
        raise RepairRefused([("same_step", target_element_id)])
    parent = token.parent
    removed = parent if isinstance(parent.task_spec, BoundaryEventSplit) else token
    anchor = removed.parent
    removed.cancel()  # lets go of its timers and message subscriptions
    workflow._remove_task(removed.id)
    entry = _entry(spec)
    grafted = anchor._add_child(entry, TaskState.FUTURE)
    entry._predict(grafted, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE)
    entry._update(grafted)
    workflow.last_task = anchor
    return Move("jump", source, _step(spec))

