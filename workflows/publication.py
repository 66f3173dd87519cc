"""Where the diagram makes an officer's answer public.

A form field marked `"x-public": true` (an answer, a question to the reporter, a finding) reaches
the reporter only when the diagram publishes the task it was written in: a task or event with
the property `publishAnswer` names one or more user tasks (element ids, comma-separated). When a
case passes that element, the latest submission of the named tasks is published, once, with an
`answer_published` audit event naming it (its task id; the publishing element as element id).
An earlier submission of the same tasks, e.g. a draft the head of agency sent back, never is.

Diagram versions deployed before this convention name no publish point at all; their cases keep
the rule they started with: public fields are public as soon as their task is completed.
"""
from __future__ import annotations

from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import record
from engine.diagram_check import line_of
from engine.errors import DiagramProblem
from engine.models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion

PUBLIC_KEYWORD = "x-public"
PUBLISH_PROPERTY = "publishAnswer"
PUBLISHED = "answer_published"  # audit event kind
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def published_tasks(value: str) -> list[str]:
    """The element ids a `publishAnswer` property names."""
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def public_fields(schema: dict | None) -> set[str]:
    """Names of the form's fields marked `x-public`."""
    return {name for name, prop in ((schema or {}).get("properties") or {}).items()
            if isinstance(prop, dict) and prop.get(PUBLIC_KEYWORD)}


def publish_answer(session: Session, instance: ProcessInstance, element_id: str, properties: dict,
                   actor: str | None) -> None:
    """The engine's element hook: publish what a `publishAnswer` element names."""
    names = published_tasks(properties.get(PUBLISH_PROPERTY, ""))
    if not names:
        return
    latest = session.scalars(
        select(AuditEvent).where(AuditEvent.process_instance_id == instance.id, AuditEvent.kind == "task_completed",
                                 AuditEvent.element_id.in_(names))
        .order_by(AuditEvent.id.desc()).limit(1)).first()
    if latest is None or latest.task_id is None:
        return
    already = session.scalars(select(AuditEvent.id).where(
        AuditEvent.process_instance_id == instance.id, AuditEvent.kind == PUBLISHED,
        AuditEvent.task_id == latest.task_id)).first()
    if already is not None:
        return
    task = session.get(HumanTask, latest.task_id)
    schema = (instance.process_version.forms or {}).get(task.form) if task is not None and task.form else None
    if not public_fields(schema) & set((latest.data or {}).get("form", {})):
        return  # nothing in it is for the reporter (e.g. a disposition without a question)
    record(session, instance.id, PUBLISHED, actor, task_id=latest.task_id, element_id=element_id,
           data={"task": latest.element_id, "task_name": (latest.data or {}).get("task_name")})


def names_publish_points(pv: ProcessVersion) -> bool:
    """Whether any diagram of this version has a `publishAnswer` element (remembered by content)."""
    found = _publishing_versions.get(pv.content_hash)
    if found is None:
        found = _publishing_versions[pv.content_hash] = any(
            _has_publish_property(xml) for xml in (pv.source or {}).values())
    return found


_publishing_versions: dict[str, bool] = {}  # content hash -> whether it names a publish point


def _has_publish_property(xml: str) -> bool:
    if PUBLISH_PROPERTY not in xml:
        return False
    root = etree.fromstring(xml.encode("utf-8"))
    return bool(root.xpath("//s:property[@name=$name]", namespaces={"s": SPIFF_NS}, name=PUBLISH_PROPERTY))


def check_publish_points(processes: dict[str, tuple], forms: dict[str, dict], roots: dict) -> list[DiagramProblem]:
    """The deploy check's part: a publish point names user tasks that exist; an answer with public
    fields is published somewhere (else the reporter never, or at once, sees it)."""
    problems: list[DiagramProblem] = []
    for process_id, (spec, subprocess_specs) in processes.items():
        specs = [spec, *subprocess_specs.values()]
        user_tasks = {ts.bpmn_id: (s, ts) for s in specs for ts in s.task_specs.values()
                      if isinstance(ts, UserTask)}
        named: set[str] = set()
        for s in specs:
            for ts in s.task_specs.values():
                props = (getattr(ts, "extensions", None) or {}).get("properties", {})
                for name in published_tasks(props.get(PUBLISH_PROPERTY, "")):
                    named.add(name)
                    if name not in user_tasks:
                        problems.append(_problem(roots, s, ts.bpmn_id, f"{PUBLISH_PROPERTY} names '{name}', which is "
                                                 "not a user task of this process"))
        for element_id, (s, ts) in user_tasks.items():
            form = (ts.extensions or {}).get("properties", {}).get("formJsonSchemaFilename")
            if element_id in named or not public_fields(forms.get(process_id, {}).get(form)):
                continue
            when = ("is shown to the reporter as soon as the task is completed, before any approval"
                    if not named else "never reaches the reporter")
            problems.append(_problem(roots, s, element_id, f"the answer in this task's public fields {when}: no "
                                     f"element's {PUBLISH_PROPERTY} property names '{element_id}'", "warning"))
    return _unique(problems)


def _problem(roots: dict, spec, element_id: str, message: str, severity: str = "error") -> DiagramProblem:
    file = Path(spec.file).name if spec.file else "?"
    return DiagramProblem(file, message, line=line_of(roots.get(file), element_id), element_id=element_id,
                          severity=severity)


def _unique(problems: list[DiagramProblem]) -> list[DiagramProblem]:
    seen, found = set(), []
    for problem in problems:
        key = (problem.file, problem.element_id, problem.message)
        if key not in seen:
            seen.add(key)
            found.append(problem)
    return found
