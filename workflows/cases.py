"""Reading a case as an officer sees it: record, tasks, timeline, notes; and case search."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.audit import history
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.runtime import ProcessEngine
from workflows import policy
from workflows.models import Agency, Attachment, CaseNote, Complaint, User
from workflows.paging import Page, paginate

JAKARTA = ZoneInfo("Asia/Jakarta")


class CaseNotFound(LookupError):
    """No such case, or not one this user may see (the two are not told apart)."""


@dataclass
class CaseError:
    """The failure a case is stuck on (until a step succeeds or an admin repairs it)."""

    element_id: str | None
    element_name: str | None
    message: str
    since: datetime
    attempts: int
    retry_after: datetime | None


def case_error(session: Session, engine: ProcessEngine, instance: ProcessInstance) -> CaseError | None:
    if instance.error_at is None:
        return None
    return CaseError(instance.error_element_id, engine.element_name(session, instance.id, instance.error_element_id),
                     instance.error_message or "", instance.error_at, instance.error_count or 0,
                     instance.retry_after)


@dataclass
class CaseView:
    complaint: Complaint
    show_identity: bool
    lead_agency: Agency | None
    open_tasks: list[HumanTask]
    done_tasks: list[HumanTask]
    timeline: list[AuditEvent]
    notes: list[CaseNote]
    attachments: list[Attachment]
    process_version_id: int
    process_label: str
    completed_elements: list[str] = field(default_factory=list)
    active_elements: list[str] = field(default_factory=list)
    error: CaseError | None = None


def visible_complaint(session: Session, user: User, complaint_id: int) -> Complaint:
    """The complaint if the user may see it; CaseNotFound otherwise."""
    complaint = session.scalars(
        select(Complaint).where(Complaint.id == complaint_id, policy.visible_cases(session, user))).first()
    if complaint is None:
        raise CaseNotFound(complaint_id)
    return complaint


def case_of(session: Session, complaint: Complaint) -> ProcessInstance:
    """The process instance of a complaint's case. A complaint is filed with its case in one
    transaction; CaseNotFound when it has none all the same (`tindak check-integrity` lists those)."""
    instance_id = complaint.process_instance_id
    instance = session.get(ProcessInstance, instance_id) if instance_id is not None else None
    if instance is None:
        raise CaseNotFound(complaint.id)
    return instance


def element_states(engine: ProcessEngine, session: Session, instance_id: int) -> tuple[list[str], list[str]]:
    """BPMN element ids already done, and those active now (for highlighting the diagram)."""
    _, workflow = engine.load(session, instance_id)
    done, active = set(), set()
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.has_state(TaskState.COMPLETED):
            done.add(bpmn_id)
        elif task.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            active.add(bpmn_id)
    return sorted(done - active), sorted(active)


def case_view(session: Session, engine: ProcessEngine, user: User, complaint_id: int) -> CaseView:
    complaint = visible_complaint(session, user, complaint_id)
    instance = case_of(session, complaint)
    tasks = list(session.scalars(select(HumanTask).where(
        HumanTask.process_instance_id == instance.id).order_by(HumanTask.created_at)))
    done, active = element_states(engine, session, instance.id)
    pv = instance.process_version
    return CaseView(
        complaint=complaint,
        show_identity=policy.sees_reporter_identity(session, user, complaint),
        lead_agency=session.scalars(select(Agency).where(Agency.code == complaint.lead_agency_code)).first(),
        open_tasks=[t for t in tasks if t.state == "ready"],
        done_tasks=[t for t in tasks if t.state != "ready"],
        timeline=history(session, instance.id),
        notes=list(session.scalars(select(CaseNote).where(CaseNote.complaint_id == complaint.id)
                                   .order_by(CaseNote.created_at))),
        attachments=list(session.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id))),
        process_version_id=pv.id,
        process_label=f"{pv.process_id} v{pv.version}",
        completed_elements=done,
        active_elements=active,
        error=case_error(session, engine, instance),
    )


@dataclass
class CaseSearch:
    text: str | None = None
    category: str | None = None
    agency: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = 25


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=JAKARTA).astimezone(timezone.utc)


def search_cases(session: Session, user: User, q: CaseSearch) -> Page:
    """Cases the user may see, newest first, matching every criterion given."""
    query = select(Complaint).where(policy.visible_cases(session, user))
    if q.text:
        text = q.text.strip()
        like = f"%{text}%"
        query = query.where(or_(Complaint.tracking_id == text.upper(), Complaint.title.ilike(like),
                                Complaint.description.ilike(like)))
    if q.category:
        query = query.where(Complaint.category_code == q.category)
    if q.agency:
        query = query.where(Complaint.lead_agency_code == q.agency)
    if q.status:
        query = query.where(Complaint.status == q.status)
    if q.date_from:
        query = query.where(Complaint.created_at >= _start_of_day(q.date_from))
    if q.date_to:
        query = query.where(Complaint.created_at < _start_of_day(q.date_to + timedelta(days=1)))
    return paginate(session, query.order_by(Complaint.created_at.desc(), Complaint.id.desc()), q.page, q.per_page)
