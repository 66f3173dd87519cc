"""Commands on process instances: start, claim, release, assign, complete, fire timers.

Every mutation goes through one guarded path: load the instance, act on the workflow, save
with `UPDATE ... WHERE version = :seen`, re-mirror its user tasks, project its variables,
write the audit log. Commands take the caller's session and never commit: the caller's
transaction (`Database.transaction()`) makes the whole command land or not at all.
"""
from __future__ import annotations

import time
from collections.abc import Set
from typing import Any, Callable, Iterable, Mapping, cast
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BpmnMessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import forms, serialization, task_projection
from engine.audit import record
from engine.clock import drive_spiffworkflow_timers, now
from engine.deploy import latest_version
from engine.errors import ConcurrentUpdate, NotAllowed, NotFound, ScriptFailed, TaskNotReady
from engine.models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion
from engine.repair import CaseRepairs, StepError
from engine.script_limits import DEFAULT_TIME_LIMIT
from engine.scripting import make_script_engine
from engine.task_projection import Router, Routing
from engine.timers import next_timer_at, stamp_armed

# (session, instance, current task data, actor) -> None; e.g. a VariableProjection
SaveHook = Callable[[Session, ProcessInstance, dict, "str | None"], None]


# (session, instance, element id, the element's extension properties, actor): an element that
# has properties was passed (completed) in this command, e.g. where a diagram publishes an answer
ElementHook = Callable[[Session, ProcessInstance, str, dict, "str | None"], None]


_MISSING = object()


def _completed_since(workflow: BpmnWorkflow, since: float) -> list:
    """Tasks completed since `since` (wall-clock seconds), in the order they completed."""
    completed = [
        task for wf in [workflow, *workflow.subprocesses.values()] for task in wf.get_tasks(state=TaskState.COMPLETED)
        if task.last_state_change >= since
    ]
    return sorted(completed, key=lambda t: t.last_state_change)


def passed_elements(workflow: BpmnWorkflow, since: float) -> list[tuple[str, dict]]:
    """(element id, extension properties) of each element with properties completed since `since`."""
    passed = []
    for task in _completed_since(workflow, since):
        properties = (getattr(task.task_spec, "extensions", None) or {}).get("properties")
        if properties:
            passed.append((task.task_spec.bpmn_id, dict(properties)))
    return passed


def changed_data(workflow: BpmnWorkflow, since: float) -> dict[str, Any]:
    """The variables that tasks completed since `since` (wall-clock seconds) changed, and their
    new values, oldest change first so the latest wins.

    A parallel branch carries old copies of every variable; only what a task itself changed
    counts, so finishing an escalation never rolls the case's status back.
    """
    changes: dict[str, Any] = {}
    for task in _completed_since(workflow, since):
        before = task.parent.data if task.parent is not None else {}
        for key, value in task.data.items():
            if before.get(key, _MISSING) != value:
                changes[key] = value
    return changes


class ProcessEngine(CaseRepairs):
    """Runs process instances; everything domain-specific is passed in. The repairs of stuck
    cases (record_error, retry, preview_move, move_token) come from CaseRepairs (engine/repair.py)."""

    def __init__(
        self,
        functions: Mapping[str, Callable] | None = None,
        router: Router | None = None,
        save_hooks: Iterable[SaveHook] = (),
        task_hooks: Iterable[Callable[..., None]] = (),
        timer_hooks: Iterable[Callable[..., None]] = (),
        completion_hooks: Iterable[Callable[..., None]] = (),
        element_hooks: Iterable[ElementHook] = (),
        script_time_limit: float = DEFAULT_TIME_LIMIT,
    ):
        drive_spiffworkflow_timers()
        # scripts run restricted and bounded; a refused or stopped one fails like any script error
        self.script_engine = make_script_engine(functions, time_limit=script_time_limit)
        self.router: Router = router or (lambda lane, props, data: Routing())
        self.save_hooks = list(save_hooks)
        # task_hook(session, instance, new HumanTask rows); timer_hook(session, instance, element id, name)
        self.task_hooks = list(task_hooks)
        self.timer_hooks = list(timer_hooks)
        # completion_hook(session, instance, completed HumanTask row, submitted form data, actor)
        self.completion_hooks = list(completion_hooks)
        self.element_hooks = list(element_hooks)
        self._forms: dict[int, dict[str, Any]] = {}

    # -- loading and saving -------------------------------------------------------------

    def load(self, session: Session, instance_id: int) -> tuple[ProcessInstance, BpmnWorkflow]:
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"process instance {instance_id}")
        pv = instance.process_version
        workflow = serialization.load_state(instance.state, pv.id, lambda: pv.spec_json, self.script_engine)
        return instance, workflow

    def forms_of(self, pv: ProcessVersion) -> dict[str, Any]:
        """The form files of a process version (immutable, so cached by version id)."""
        forms = self._forms.get(pv.id)
        if forms is None:
            forms = self._forms[pv.id] = pv.forms
        return forms

    def _set_state(self, instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
        stamp_armed(workflow, now())
        instance.state = serialization.dump_state(workflow)
        instance.completed = workflow.completed
        instance.next_timer_at = next_timer_at(workflow)
        instance.updated_at = now()

    def _save(self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, actor: str | None,
              since: float, new: bool = False) -> None:
        instance_id = instance.id  # readable even after a failed flush expires the object
        cleared = None
        if not new:
            cleared = self._clear_error(instance)
            self._set_state(instance, workflow)
        try:
            if cleared is not None:
                record(session, instance.id, "error_cleared", actor, element_id=cleared.element_id,
                       data={"message": cleared.message, "attempts": cleared.attempts})
            created = task_projection.sync(session, instance, workflow, self.router, new=new)
            data = changed_data(workflow, since)
            if self.element_hooks:
                for element_id, properties in passed_elements(workflow, since):
                    for element_hook in self.element_hooks:
                        element_hook(session, instance, element_id, properties, actor)
            for hook in self.save_hooks:
                hook(session, instance, data, actor)
            if created:
                session.flush()
                for hook in self.task_hooks:
                    hook(session, instance, created)
            if workflow.completed:
                record(session, instance.id, "completed", actor)
            session.flush()  # the versioned UPDATE: a lost race fails here, and all rolls back
        except StaleDataError as exc:
            raise ConcurrentUpdate(f"process instance {instance_id} was changed by someone else") from exc

    @staticmethod
    def _clear_error(instance: ProcessInstance) -> StepError | None:
        """A step succeeded: the case is no longer in error (returns the error it had)."""
        if instance.error_at is None and instance.retry_after is None:
            return None
        had = StepError(instance.error_element_id, None, instance.error_message or "", instance.error_count or 0,
                        instance.error_at)
        instance.error_message = instance.error_element_id = None
        instance.error_at = instance.retry_after = None
        instance.error_count = 0
        return had if had.at is not None else None

    def element_name(self, session: Session, instance_id: int, element_id: str | None) -> str | None:
        """The name of a BPMN element of the case's version (or of a process it calls)."""
        if not element_id:
            return None
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            return None
        pv = instance.process_version
        spec, subprocess_specs = serialization.specs_for(pv.id, lambda: pv.spec_json)
        for each in [spec, *subprocess_specs.values()]:
            found = each.task_specs.get(element_id)
            if found is not None:
                return getattr(found, "bpmn_name", None) or element_id
        return None

    def save(self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, actor: str | None) -> None:
        """Save a workflow changed outside the commands here (e.g. re-armed timers)."""
        self._save(session, instance, workflow, actor, since=time.time())

    def _run_engine(self, workflow: BpmnWorkflow) -> None:
        try:
            workflow.do_engine_steps()
        except WorkflowException as exc:
            raise _script_failed(exc) from exc

    # -- commands -----------------------------------------------------------------------

    def start(
        self, session: Session, process_id: str, data: dict[str, Any], actor: str | None,
        on_created: Callable[[ProcessInstance], None] | None = None,
    ) -> ProcessInstance:
        """Start the newest version of a process with flat initial data, run it to its first wait.

        `on_created(instance)` runs once the instance has an id and before the first save, so
        a domain record can be linked to it in the same transaction.
        """
        pv = latest_version(session, process_id)
        if pv is None:
            raise NotFound(f"no deployed version of process '{process_id}'")
        return self.start_version(session, pv, data, actor, on_created)

    def start_version(
        self, session: Session, pv: ProcessVersion, data: dict[str, Any], actor: str | None,
        on_created: Callable[[ProcessInstance], None] | None = None,
    ) -> ProcessInstance:
        since = time.time()
        workflow = serialization.new_workflow(pv.id, lambda: pv.spec_json, self.script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.set_data(**data)
        self._run_engine(workflow)
        instance = ProcessInstance(process_version_id=pv.id, process_version=pv, created_at=now())
        self._set_state(instance, workflow)
        session.add(instance)
        session.flush()  # one INSERT, complete with its state
        record(session, instance.id, "started", actor,
               data={"process_id": pv.process_id, "version": pv.version, **data})
        if on_created is not None:
            on_created(instance)
        self._save(session, instance, workflow, actor, since=since, new=True)
        return instance

    def _open_task(self, session: Session, task_id: str) -> HumanTask:
        row = session.get(HumanTask, task_id)
        if row is None or row.state != "ready":
            raise TaskNotReady(f"task {task_id} is not waiting for anyone")
        return row

    def claim(self, session: Session, task_id: str, actor: str) -> HumanTask:
        """Take an unclaimed task. Raises NotAllowed if someone else holds it."""
        # Session.execute is typed to return a Result; for an UPDATE without RETURNING it returns a
        # CursorResult, which has the rowcount
        result = cast(CursorResult, session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.state == "ready", HumanTask.assignee.is_(None))
            .values(assignee=actor)
            .execution_options(synchronize_session=False)
        ))
        session.expire_all()
        row = self._open_task(session, task_id)
        if result.rowcount == 0 and row.assignee != actor:
            raise NotAllowed(f"task is already claimed by {row.assignee}")
        record(session, row.process_instance_id, "task_claimed", actor, task_id=row.id, element_id=row.element_id)
        return row

    def release(self, session: Session, task_id: str, actor: str) -> HumanTask:
        """Give a claimed task back to the team. Only its holder may release it."""
        row = self._open_task(session, task_id)
        if row.assignee != actor:
            raise NotAllowed("only the holder of a task may release it")
        row.assignee = None
        record(session, row.process_instance_id, "task_released", actor, task_id=row.id, element_id=row.element_id)
        return row

    def assign(self, session: Session, task_id: str, assignee: str | None, actor: str) -> AuditEvent:
        """Give a task to someone (or to nobody); who may do this is the caller's policy.

        Returns the audit event of the assignment (its id names this assignment)."""
        row = self._open_task(session, task_id)
        previous, row.assignee = row.assignee, assignee
        event = record(session, row.process_instance_id, "task_assigned", actor, task_id=row.id,
                       element_id=row.element_id, data={"from": previous, "to": assignee})
        session.flush()
        return event

    def form_schema(self, session: Session, row: HumanTask) -> dict | None:
        """The JSON Schema of a task's form, from the task's own process version."""
        if not row.form:
            return None
        instance = session.get(ProcessInstance, row.process_instance_id)
        if instance is None:
            raise NotFound(f"process instance {row.process_instance_id}")
        return self.forms_of(instance.process_version).get(row.form)

    def complete(self, session: Session, task_id: str, form_data: dict[str, Any], actor: str) -> ProcessInstance:
        """Validate form data, complete the task, run the workflow on, save.

        Raises FormInvalid (field messages), TaskNotReady, NotAllowed, ConcurrentUpdate, ScriptFailed.
        """
        row = self._open_task(session, task_id)
        if row.assignee is not None and row.assignee != actor:
            raise NotAllowed(f"task is claimed by {row.assignee}")
        since = time.time()
        instance, workflow = self.load(session, row.process_instance_id)
        task = workflow.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY:
            raise TaskNotReady(f"task {task_id} is not waiting for anyone")
        schema = self.forms_of(instance.process_version).get(row.form) if row.form else None
        submitted = forms.validate(schema, form_data) if schema else {}
        documents = forms.document_fields(schema) if schema else set()
        task.set_data(**{k: v for k, v in submitted.items() if k not in documents})
        try:
            task.run()
        except WorkflowException as exc:
            raise _script_failed(exc) from exc
        self._run_engine(workflow)
        stamp = now()
        row.state, row.completed_by, row.completed_at = "completed", actor, stamp
        record(session, instance.id, "task_completed", actor, task_id=row.id, element_id=row.element_id,
               data={"task_name": row.name, "lane": row.lane, "form": submitted})
        for hook in self.completion_hooks:
            hook(session, instance, row, submitted, actor)
        self._save(session, instance, workflow, actor, since=since)
        return instance

    def send_message(self, session: Session, instance_id: int, name: str, payload: dict[str, Any] | None,
                     actor: str) -> ProcessInstance:
        """Deliver a BPMN message (e.g. "stop waiting") to a case, run it on and save.

        Raises NotAllowed when the case is not waiting for that message.
        """
        since = time.time()
        instance, workflow = self.load(session, instance_id)
        try:
            workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload or {}))
        except WorkflowException as exc:
            raise NotAllowed(f"the case is not waiting for '{name}'") from exc
        self._run_engine(workflow)
        record(session, instance.id, "message_received", actor, data={"message": name, "payload": payload or {}})
        self._save(session, instance, workflow, actor, since=since)
        return instance

    def waiting_messages(self, workflow: BpmnWorkflow) -> set[str]:
        """Names of the messages a workflow is waiting for now, also those behind an event-based gateway."""
        names = set()
        for task in workflow.event_manager.tasks.values():
            definition = task.task_spec.event_definition
            for each in getattr(definition, "event_definitions", None) or [definition]:
                if isinstance(each, BpmnMessageEventDefinition):
                    names.add(each.name)
        return names

    def fire_timers(self, session: Session, instance_id: int, actor: str = "system") -> bool:
        """Run the timers of one instance that are due now. Returns whether any fired."""
        since = time.time()
        instance, workflow = self.load(session, instance_id)
        fired = self._advance(session, instance, workflow, actor)
        self._save(session, instance, workflow, actor, since=since)
        return bool(fired)

    def _advance(self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow,
                 actor: str) -> list[str]:
        """Fire the due timers and run the automatic steps that are ready; returns the element
        ids of the timers that fired (each written to the audit log and passed to the hooks)."""
        waiting_before = {str(t.id): t.task_spec for t in workflow.get_tasks(state=TaskState.WAITING)}
        try:
            workflow.refresh_timers()
        except WorkflowException as exc:
            raise _script_failed(exc) from exc
        self._run_engine(workflow)
        fired = [
            (task_id, spec) for task_id, spec in waiting_before.items()
            if (t := workflow.get_task_from_id(UUID(task_id))) is not None and t.has_state(TaskState.COMPLETED)
            and hasattr(spec, "event_definition")
        ]
        for task_id, spec in fired:
            record(session, instance.id, "timer_fired", actor, task_id=task_id, element_id=spec.bpmn_id,
                   data={"name": spec.bpmn_name})
            for hook in self.timer_hooks:
                hook(session, instance, spec.bpmn_id, spec.bpmn_name)
        return [spec.bpmn_id for _, spec in fired]

    def due_instance_ids(self, session: Session, limit: int = 100) -> list[int]:
        """Ids of instances with a timer due now, earliest first (a read; nothing is locked)."""
        return list(session.scalars(self._due().limit(limit)))

    def claim_due_instance(self, session: Session, skip: Set[int] = frozenset(),
                           skip_locked: bool = True) -> int | None:
        """Lock and return the instance whose timer is most overdue, skipping rows another
        worker holds (FOR UPDATE SKIP LOCKED on PostgreSQL); None when nothing is due."""
        query = self._due()
        if skip:
            query = query.where(ProcessInstance.id.not_in(skip))
        if skip_locked and session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return session.scalars(query.limit(1)).first()

    @staticmethod
    def _due():
        """Cases with a timer due now, except those whose last failure's back-off still runs."""
        moment = now()
        return (select(ProcessInstance.id)
                .where(ProcessInstance.next_timer_at <= moment, ProcessInstance.completed.is_(False),
                       or_(ProcessInstance.retry_after.is_(None), ProcessInstance.retry_after <= moment))
                .order_by(ProcessInstance.next_timer_at, ProcessInstance.id))


def _script_failed(exc: WorkflowException) -> ScriptFailed:
    task_spec = getattr(exc, "task_spec", None)
    element = getattr(task_spec, "bpmn_id", None)
    message = str(exc).removesuffix(". ").strip()
    # SpiffWorkflow says "Error evaluating expression '...'" and keeps what the expression raised
    # only as the exception being handled; name it, e.g. "UnknownSla: no SLA policy 'x'"
    inner = exc.__cause__ or exc.__context__
    if inner is not None and not isinstance(inner, WorkflowException) and str(inner) not in message:
        message = f"{message.rstrip('.')}: {type(inner).__name__}: {inner}"
    return ScriptFailed(message, element_id=element, line=getattr(exc, "line_number", None) or None,
                        element_name=getattr(task_spec, "bpmn_name", None))
