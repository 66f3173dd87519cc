"""The dry run: drive each path of a diagram, in memory, before it goes live.

Each run starts the process with the caller's sample start data and, at every wait, does the
least-tried thing: completes a task with form data generated from its JSON Schema (choosing
the least-tried value of each choice field, so gateways see every answer), fires a timer, or
delivers a message. The workflow is saved and restored at every wait, as a case would be.
Runs stop when every gateway branch and boundary event was taken, or after `max_runs`.
Nothing is written anywhere: the run lives in memory and is thrown away.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from time import monotonic
from typing import Any

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine import forms as form_rules
from engine import sample_data
from engine.check import CheckContext
from engine.clock import drive_spiffworkflow_timers, now
from engine.diagram_check import line_of
from engine.errors import DiagramProblem, FormInvalid
from engine.scripting import make_script_engine
from engine.serialization import round_trip
from engine.timers import waiting_timer_tasks

MAX_RUNS = 30
STALE_RUNS = 6  # runs in a row that found nothing new: more would repeat themselves
MAX_ACTIONS = 80  # per run; every loop in a diagram must be bounded well below this
BRANCHING = ("ExclusiveGateway", "InclusiveGateway", "BoundaryEventSplit", "EventBasedGateway")
TAKEN = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


class _Failed(Exception):
    def __init__(self, spec, element_id: str | None, message: str):
        super().__init__(message)
        self.spec, self.element_id, self.message = spec, element_id, message


@dataclass
class _Explorer:
    """Remembers what earlier runs tried, so the next run tries something else."""

    tried: Counter = field(default_factory=Counter)
    taken: set[tuple[str, str, str]] = field(default_factory=set)  # (process, from spec, to spec)

    def choose(self, key: str, options) -> Any:
        best = min(options, key=lambda option: self.tried[(key, json.dumps(option, sort_keys=True, default=str))])
        self.tried[(key, json.dumps(best, sort_keys=True, default=str))] += 1
        return best


def _all_specs(spec, subprocess_specs) -> list:
    return [spec, *subprocess_specs.values()]


def branches_of(spec, subprocess_specs) -> set[tuple[str, str, str]]:
    """Every (process, branching spec, next spec) a run could take."""
    found = set()
    for s in _all_specs(spec, subprocess_specs):
        for ts in s.task_specs.values():
            if type(ts).__name__ in BRANCHING:
                for out in ts.outputs:
                    if type(ts).__name__ == "BoundaryEventSplit" and type(out).__name__ != "BoundaryEvent":
                        continue  # the task itself: taken whenever the boundary is reached
                    found.add((s.name, ts.name, out.name))
    return found


def _tasks(workflow: BpmnWorkflow):
    for wf in [workflow, *workflow.subprocesses.values()]:
        yield from wf.get_tasks()


def _taken(workflow: BpmnWorkflow) -> set[tuple[str, str, str]]:
    found = set()
    for task in _tasks(workflow):
        if type(task.task_spec).__name__ in BRANCHING and task.has_state(TaskState.COMPLETED):
            for child in task.children:
                if child.has_state(TAKEN):
                    found.add((task.workflow.spec.name, task.task_spec.name, child.task_spec.name))
    return found


def _element(exc: Exception) -> tuple[Any, str | None]:
    task = getattr(exc, "task", None)
    spec = getattr(exc, "task_spec", None) or getattr(task, "task_spec", None)
    return spec, getattr(spec, "bpmn_id", None)


def _message(exc: Exception) -> str:
    text = str(exc).split("\n")[0]
    error_type = getattr(exc, "error_type", None)
    return f"{error_type}: {text}" if error_type and error_type not in text else text


class DryRun:
    """Explores one top-level process."""

    def __init__(self, spec, subprocess_specs, forms: dict[str, Any], context: CheckContext):
        drive_spiffworkflow_timers()
        self.spec, self.subprocess_specs, self.forms, self.context = spec, subprocess_specs, forms, context
        self.script_engine = make_script_engine(context.functions)
        self.explorer = _Explorer()
        self.failures: dict[tuple, _Failed] = {}
        self.runs = 0

    def explore(self, max_runs: int = MAX_RUNS, time_budget: float = 20.0) -> dict[str, Any]:
        everything = branches_of(self.spec, self.subprocess_specs)
        started, stale = monotonic(), 0
        while self.runs < max_runs and monotonic() - started < time_budget:
            self.runs += 1
            before = len(self.explorer.taken) + len(self.failures)
            self._run()
            if everything <= self.explorer.taken:
                break
            stale = stale + 1 if len(self.explorer.taken) + len(self.failures) == before else 0
            if stale >= STALE_RUNS:
                break
        untaken = sorted(f"{frm} → {to}" for _, frm, to in everything - self.explorer.taken)
        return {"runs": self.runs, "branches": len(everything & self.explorer.taken),
                "branches_total": len(everything), "untaken": untaken}

    def _run(self) -> None:
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs, script_engine=self.script_engine)
        start_data = self.context.start_of(self.spec.name)
        try:
            for task in workflow.get_tasks(state=TaskState.READY):
                task.set_data(**start_data)
            self._step(workflow, workflow.do_engine_steps)
            for _ in range(MAX_ACTIONS):
                workflow = self._save_restore(workflow)
                if workflow.completed or not self._act(workflow):
                    break
        except _Failed as failure:
            self.failures.setdefault((failure.element_id, failure.message), failure)
        finally:
            self.explorer.taken |= _taken(workflow)

    def _step(self, workflow: BpmnWorkflow, action) -> None:
        since = now()
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - whatever a diagram raises is the designer's to see
            spec, element = _element(exc)
            if element is None:
                errored = [t for t in _tasks(workflow) if t.has_state(TaskState.ERROR)]
                if errored:
                    spec, element = errored[0].task_spec, errored[0].task_spec.bpmn_id
            raise _Failed(spec, element, _message(exc)) from exc
        self._check_values(workflow, since)

    def _check_values(self, workflow: BpmnWorkflow, since) -> None:
        for task in _tasks(workflow):
            if not task.has_state(TaskState.COMPLETED) or not task.data:
                continue
            before = task.parent.data if task.parent is not None else {}
            for name, rule in self.context.value_rules.items():
                if name in task.data and before.get(name) != task.data[name]:
                    message = rule(task.data[name])
                    if message:
                        raise _Failed(task.task_spec, task.task_spec.bpmn_id, message)

    def _save_restore(self, workflow: BpmnWorkflow) -> BpmnWorkflow:
        try:
            return round_trip(workflow, self.script_engine)
        except Exception as exc:  # noqa: BLE001 - e.g. a script left a value JSON cannot hold
            waiting = [t for t in _tasks(workflow) if t.has_state(TaskState.READY | TaskState.WAITING)]
            spec = waiting[0].task_spec if waiting else None
            raise _Failed(spec, getattr(spec, "bpmn_id", None),
                          f"the case could not be saved here: {exc} (task data must be plain JSON values)") from exc

    def _act(self, workflow: BpmnWorkflow) -> bool:
        """Do the least-tried of what the workflow waits for; False when it waits for nothing."""
        actions: list[tuple[str, Any]] = []
        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            actions.append(("task", task))
        for task in waiting_timer_tasks(workflow):
            actions.append(("timer", task))
        for name in self._waiting_messages(workflow):
            actions.append(("message", name))
        if not actions:
            return False
        order = {"task": 0, "message": 1, "timer": 2}
        kind, target = min(actions, key=lambda a: (self.explorer.tried[(a[0], self._key(a))], order[a[0]]))
        self.explorer.tried[(kind, self._key((kind, target)))] += 1
        if kind == "task":
            self._complete(workflow, target)
        elif kind == "timer":
            self._fire(workflow, target)
        else:
            self._step(workflow, lambda: (workflow.send_event(BpmnEvent(MessageEventDefinition(target), {})),
                                          workflow.do_engine_steps()))
        return True

    @staticmethod
    def _key(action) -> str:
        kind, target = action
        return target if kind == "message" else f"{target.workflow.spec.name}:{target.task_spec.name}"

    @staticmethod
    def _waiting_messages(workflow: BpmnWorkflow) -> list[str]:
        names = []
        for event in workflow.waiting_events():
            if event.event_type == "MessageEventDefinition" and event.name:
                names.append(event.name)
        return sorted(set(names))

    def _complete(self, workflow: BpmnWorkflow, task) -> None:
        props = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})
        schema = self.forms.get(props.get("formJsonSchemaFilename") or "")
        data: dict[str, Any] = {}
        if schema:
            key = task.task_spec.name
            generated = sample_data.sample(schema, lambda path, options: self.explorer.choose(f"{key}.{path}", options),
                                           dict(self.context.format_samples))
            try:
                data = form_rules.validate(schema, generated)
            except FormInvalid as exc:
                form_file = props.get("formJsonSchemaFilename")
                raise _Failed(task.task_spec, task.task_spec.bpmn_id,
                              f"the dry run could not fill the form {form_file}: {exc}") from exc
            documents = form_rules.document_fields(schema)
            data = {k: v for k, v in data.items() if k not in documents}
        task.set_data(**data)
        self._step(workflow, lambda: (task.run(), workflow.do_engine_steps()))

    def _fire(self, workflow: BpmnWorkflow, task) -> None:
        past = (now() - timedelta(seconds=1)).isoformat()
        value = task._get_internal_data("event_value")
        task._set_internal_data(event_value={**value, "next": past} if isinstance(value, dict) else past)
        self._step(workflow, lambda: (workflow.refresh_timers(), workflow.do_engine_steps()))


def dry_run_all(processes: dict[str, tuple], forms: dict[str, dict], roots: dict[str, Any],
                context: CheckContext) -> tuple[list[DiagramProblem], dict[str, dict]]:
    """Dry-run every process that no other process calls; returns problems and coverage."""
    called = {getattr(ts, "spec", None) for spec, _ in processes.values() for ts in spec.task_specs.values()
              if type(ts).__name__ == "CallActivity"}
    problems: list[DiagramProblem] = []
    coverage: dict[str, dict] = {}
    for process_id, (spec, subprocess_specs) in sorted(processes.items()):
        if process_id in called:
            continue
        run = DryRun(spec, subprocess_specs, forms.get(process_id, {}), context)
        coverage[process_id] = run.explore()
        for failure in run.failures.values():
            file = Path(failure.spec._wf_spec.file).name if failure.spec is not None and \
                getattr(failure.spec, "_wf_spec", None) is not None and failure.spec._wf_spec.file else \
                Path(spec.file).name
            problems.append(DiagramProblem(file, f"dry run: {failure.message}",
                                           line=line_of(roots.get(file), failure.element_id),
                                           element_id=failure.element_id))
    return problems, coverage
