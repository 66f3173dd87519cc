"""Domain records turned into the plain dicts the API's schemas dump.

Read-only helpers: they take an open session and never write.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import serialization
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.runtime import ProcessEngine
from webapp.labels import status_label
from workflows import policy
from workflows.cases import CaseView
from workflows.models import Agency, Complaint, User
from workflows.task_lists import TaskRow, sla_colour

INSTRUCTIONS_EXTENSION = "instructionsForEndUser"


def case_ref(complaint_id: int, tracking_id: str, title: str, status: str, category: str) -> dict:
    return {"complaint_id": complaint_id, "tracking_id": tracking_id, "title": title,
            "status": status, "status_label": status_label(status), "category": category}


def task_dict(task: HumanTask, agency_name: str | None, case: dict) -> dict:
    return {
        "id": task.id, "element_id": task.element_id, "name": task.name, "state": task.state,
        "lane": task.lane, "role": task.role, "agency_code": task.agency_code, "agency_name": agency_name,
        "assignee": task.assignee, "created_at": task.created_at, "due_at": task.due_at,
        "sla": sla_colour(task.due_at, task.created_at) if task.state == "ready" else None,
        "case": case,
    }


def task_row_dict(row: TaskRow) -> dict:
    """A row of `task_lists.task_page`."""
    return task_dict(row.task, row.agency_name,
                     case_ref(row.complaint_id, row.tracking_id, row.title, row.status, row.category))


def _agency_names(session: Session, codes: set[str | None]) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    return dict(session.execute(select(Agency.code, Agency.name).where(Agency.code.in_(codes))).all())


def tasks_of_complaint(session: Session, tasks: list[HumanTask], complaint: Complaint) -> list[dict]:
    names = _agency_names(session, {t.agency_code for t in tasks})
    ref = case_ref(complaint.id, complaint.tracking_id, complaint.title, complaint.status, complaint.category_code)
    return [task_dict(t, names.get(t.agency_code) if t.agency_code else None, ref) for t in tasks]


def instructions(session: Session, task: HumanTask) -> str | None:
    """The Markdown instructions the diagram gives for this task (from its process version)."""
    pv = session.get_one(ProcessInstance, task.process_instance_id).process_version
    spec, subprocess_specs = serialization.specs_for(pv.id, lambda: pv.spec_json)
    for process_spec in (spec, *subprocess_specs.values()):
        task_spec = process_spec.task_specs.get(task.element_id)
        if task_spec is not None:
            return (getattr(task_spec, "extensions", None) or {}).get(INSTRUCTIONS_EXTENSION)
    return None


def allowed_actions(session: Session, user: User, task: HumanTask) -> list[str]:
    """What `user` may do to `task` now, in the order a client would offer them."""
    if task.state != "ready":
        return []
    actions = []
    if policy.can_act_on_task(session, user, task):
        if task.assignee is None:
            actions.append("claim")
        if task.assignee == user.username:
            actions.append("release")
        if task.assignee in (None, user.username):
            actions.append("complete")
    if policy.can_assign(session, user, task):
        actions.append("assign")
    return actions


def task_detail(session: Session, engine: ProcessEngine, user: User, task: HumanTask, complaint: Complaint) -> dict:
    [item] = tasks_of_complaint(session, [task], complaint)
    ui_schema = None
    if task.ui_form:
        ui_schema = session.get_one(ProcessInstance, task.process_instance_id).process_version.forms.get(task.ui_form)
    return {**item, "schema": engine.form_schema(session, task), "ui_schema": ui_schema,
            "instructions": instructions(session, task), "actions": allowed_actions(session, user, task)}


def _event_dict(event: AuditEvent) -> dict:
    return {"kind": event.kind, "at": event.at, "actor": event.actor, "element_id": event.element_id,
            "data": event.data or {}}


def case_dict(session: Session, view: CaseView) -> dict:
    """The case as `workflows.cases.case_view` shows it to this user."""
    c = view.complaint
    reporter = None
    if view.show_identity:
        reporter = {"name": c.reporter_name, "email": c.reporter_email, "phone": c.reporter_phone}
    lead = {"code": view.lead_agency.code, "name": view.lead_agency.name} if view.lead_agency else None
    return {
        "id": c.id, "tracking_id": c.tracking_id, "title": c.title, "description": c.description,
        "category": c.category_code, "classification": c.classification, "channel": c.channel,
        "location": {"region": c.region_code, "address": c.address, "latitude": c.latitude,
                     "longitude": c.longitude},
        "incident_date": c.incident_date, "status": c.status, "status_label": status_label(c.status),
        "lead_agency": lead, "created_at": c.created_at, "anonymous": c.anonymous,
        "confidential": c.confidential, "reporter": reporter,
        "open_tasks": tasks_of_complaint(session, view.open_tasks, c),
        "timeline": [_event_dict(e) for e in view.timeline],
    }


def case_summary(c: Complaint) -> dict:
    return {"id": c.id, "tracking_id": c.tracking_id, "title": c.title, "category": c.category_code,
            "classification": c.classification, "channel": c.channel, "status": c.status,
            "status_label": status_label(c.status), "lead_agency_code": c.lead_agency_code,
            "created_at": c.created_at}


def page_dict(page, items: list[dict], requested: int | None = None) -> dict:
    """A page as the API answers it. A page past the end is empty (the web pages show the last
    one instead), so a client that reads until it gets no items stops."""
    if requested is not None and requested > page.pages:
        return {"items": [], "total": page.total, "page": requested, "per_page": page.per_page,
                "pages": page.pages}
    return {"items": items, "total": page.total, "page": page.page, "per_page": page.per_page,
            "pages": page.pages}
