"""Moving a running case to another version of its process (a repair by hand).

A case's state is stored without its spec (engine/serialization.py): every task names its
task spec by its BPMN element id (SpiffWorkflow serializes `task_spec` as the spec's name), and
a called process by its process id. A case can therefore be restored against another version's
spec as long as every name it uses exists there:

- the steps the case waits at now (READY, WAITING, STARTED) must exist in the new version;
- the steps it already passed (COMPLETED, CANCELLED) must exist too, since they stay in its tree;
- steps only predicted (MAYBE, LIKELY, FUTURE) are dropped and predicted again from the new
  version, so a changed flow after the current step is followed from then on;
- each process the case is running a call of must still be called, under the same id.

`plan` says what maps and what does not, changing nothing; `migrate` does it in the caller's
transaction or raises RepairRefused with the same reasons, the case left as it was. Task ids,
task data, who holds a task and the due times of armed timers are kept.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from engine import serialization, task_projection
from engine.audit import record
from engine.errors import NotFound, RepairRefused
from engine.models import ProcessVersion
from engine.runtime import ProcessEngine

CURRENT = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
PASSED = TaskState.COMPLETED | TaskState.CANCELLED
PREDICTED = TaskState.PREDICTED_MASK | TaskState.FUTURE


@dataclass
class StepMapping:
    """One step the case waits at now, and whether the new version has it."""

    element_id: str
    name: str
    state: str
    process_id: str  # the process it belongs to (the case's own, or one it called)
    maps: bool


@dataclass
class MigrationPlan:
    instance_id: int
    from_version: tuple[str, int]  # (process id, version)
    to_version: tuple[str, int]
    current: list[StepMapping] = field(default_factory=list)
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (code, detail): why it cannot move

    @property
    def ok(self) -> bool:
        return not self.reasons


# SpiffWorkflow's own steps around an element are named after it, e.g. "prepare.BoundaryEventSplit"
_INTERNAL_SUFFIXES = (".BoundaryEventSplit", ".BoundaryEventJoin", ".StartEventSplit", ".StartEventJoin", ".EndJoin")


def _element(spec_name: str) -> str:
    for suffix in _INTERNAL_SUFFIXES:
        if spec_name.endswith(suffix):
            return spec_name[: -len(suffix)]
    return spec_name


def _name(spec) -> str:
    return getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name


def _check_workflow(dct: dict, new_spec, process_id: str, plan: MigrationPlan, old_specs: dict) -> None:
    """Check one (sub)workflow's tasks against its new spec; note current steps and reasons."""
    missing_passed: set[str] = set()
    for task in dct["tasks"].values():
        name, state = task["task_spec"], task["state"]
        exists = name in new_spec.task_specs
        if state & CURRENT:
            old = old_specs.get(name)
            plan.current.append(StepMapping(
                element_id=getattr(old, "bpmn_id", None) or name, name=_name(old) if old is not None else name,
                state=TaskState.get_name(state).lower(), process_id=process_id, maps=exists))
            if not exists and ("task_missing", _element(name)) not in plan.reasons:
                plan.reasons.append(("task_missing", _element(name)))
        elif state & PASSED and not exists:
            missing_passed.add(_element(name))
    current_missing = {detail for code, detail in plan.reasons if code == "task_missing"}
    plan.reasons += [("passed_missing", name) for name in sorted(missing_passed - current_missing)]


def plan(session: Session, engine: ProcessEngine, instance_id: int, target_version_id: int) -> MigrationPlan:
    """What moving the case to the target version would do; changes nothing."""
    instance, workflow = engine.load(session, instance_id)
    return _plan(instance, workflow, _target(session, target_version_id))[0]


def _target(session: Session, target_version_id: int) -> ProcessVersion:
    target = session.get(ProcessVersion, target_version_id)
    if target is None:
        raise NotFound(f"process version {target_version_id}")
    return target


def _plan(instance, workflow, target: ProcessVersion) -> tuple[MigrationPlan, dict]:
    pv = instance.process_version
    result = MigrationPlan(instance.id, (pv.process_id, pv.version), (target.process_id, target.version))
    if target.process_id != pv.process_id:
        result.reasons.append(("other_process", target.process_id))
    if target.id == pv.id:
        result.reasons.append(("same_version", str(target.version)))
    if instance.completed:
        result.reasons.append(("case_completed", ""))
    dct = json.loads(serialization.dump_state(workflow))
    if result.reasons:
        return result, dct
    new_spec, new_subs = serialization.specs_for(target.id, lambda: target.spec_json)
    _check_workflow(dct, new_spec, target.process_id, result, workflow.spec.task_specs)
    for sp_id, sp in dct["subprocesses"].items():
        caller = workflow.get_task_from_id(UUID(sp_id))
        called = sp.get("spec") or getattr(caller.task_spec, "spec", None)
        new_caller = new_spec.task_specs.get(caller.task_spec.name) if caller.workflow is workflow else None
        if caller.workflow is not workflow:  # a call inside a called process: look in its spec
            parent_spec = new_subs.get(caller.workflow.spec.name)
            new_caller = parent_spec.task_specs.get(caller.task_spec.name) if parent_spec else None
        if new_caller is None or not isinstance(new_caller, SubWorkflowTask) or new_caller.spec != called:
            result.reasons.append(("call_changed", caller.task_spec.name))
            continue
        if called not in new_subs:
            result.reasons.append(("called_missing", called))
            continue
        old_sub = workflow.subprocesses[caller.id].spec
        _check_workflow(sp, new_subs[called], called, result, old_sub.task_specs)
    return result, dct


def _prune_predicted(dct: dict, spec) -> None:
    """Drop predicted tasks (and what hangs below them) whose step the new spec lacks."""
    tasks = dct["tasks"]
    doomed = [tid for tid, t in tasks.items() if t["state"] & PREDICTED and t["task_spec"] not in spec.task_specs]

    def drop(tid: str) -> None:
        task = tasks.pop(tid, None)
        if task is None:
            return
        for child in task["children"]:
            drop(child)
        parent = tasks.get(task["parent"]) if task["parent"] else None
        if parent is not None and tid in parent["children"]:
            parent["children"].remove(tid)

    for tid in doomed:
        drop(tid)


def _predict_again(workflow) -> None:
    """Predict what follows each current task from the new spec (old predictions are dropped)."""
    for wf in [workflow, *workflow.subprocesses.values()]:
        for task in list(wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED,
                                      skip_subprocesses=True)):
            if task.id not in wf.tasks:
                continue
            for child in list(task.children):
                if child.has_state(PREDICTED):
                    wf._remove_task(child.id)
            task.task_spec._predict(task, mask=task.state | PREDICTED)


def migrate(session: Session, engine: ProcessEngine, instance_id: int, target_version_id: int, actor: str,
            reason: str) -> MigrationPlan:
    """Move the case to the target version, in the caller's transaction (version-checked save).

    Raises RepairRefused with the plan's reasons when it cannot move; nothing is changed then.
    """
    instance, workflow = engine.load(session, instance_id)
    target = _target(session, target_version_id)
    result, dct = _plan(instance, workflow, target)
    if not result.ok:
        raise RepairRefused(result.reasons)
    new_spec, new_subs = serialization.specs_for(target.id, lambda: target.spec_json)
    _prune_predicted(dct, new_spec)
    for sp in dct["subprocesses"].values():
        if sp.get("spec") in new_subs:
            _prune_predicted(sp, new_subs[sp["spec"]])
    moved = serialization.load_state(json.dumps(dct), target.id, lambda: target.spec_json, engine.script_engine)
    _predict_again(moved)
    previous = instance.process_version
    instance.process_version_id, instance.process_version = target.id, target
    task_projection.refresh(session, instance, moved, engine.router)
    record(session, instance.id, "repair_migrated", actor, data={
        "reason": reason, "from": {"process_id": previous.process_id, "version": previous.version},
        "to": {"process_id": target.process_id, "version": target.version},
        "steps": [m.element_id for m in result.current]})
    engine.save(session, instance, moved, actor)
    return result

