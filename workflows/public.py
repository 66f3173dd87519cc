"""The citizen's side: filing, tracking with the secret, the reporter's own tasks, the public listing.

Nothing here ever returns an officer's name, an internal note or a reporter's identity to
the public; the tracking page shows only what the diagram's forms mark `"x-public": true` and
the diagram has published (workflows/publication.py), plus what the reporter submitted themself.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.audit import history
from engine.db import Database
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.runtime import ProcessEngine
from workflows import roles, statuses
from workflows.attachments import Upload
from workflows.case_errors import recording_failures
from workflows.cases import case_of
from workflows.complaints import WRITTEN_FILES, ComplaintInput, FiledComplaint, file_complaint
from workflows.digests import sha256_hex
from workflows.models import Agency, Complaint
from workflows.notifications import Notifier
from workflows.paging import Page, paginate
from workflows.publication import PUBLIC_KEYWORD, PUBLISHED, names_publish_points

REPORTER_ACTOR = "pelapor"
JAKARTA = ZoneInfo("Asia/Jakarta")


class TrackingFailed(LookupError):
    """Wrong tracking ID or secret; deliberately the same for both."""


def submit_complaint(db: Database, engine: ProcessEngine, data: ComplaintInput, uploads: list[Upload],
                     attachment_dir: Path, notifier: Notifier | None = None,
                     actor: str | None = None) -> FiledComplaint:
    """File a complaint in one transaction; files written for a failed one are removed again."""
    written: list[Path] = []
    try:
        with db.transaction() as session:
            written = session.info.setdefault(WRITTEN_FILES, [])  # file_complaint appends to it
            return file_complaint(session, engine, data, actor, notifier, uploads, attachment_dir)
    except BaseException:
        for path in written or []:
            path.unlink(missing_ok=True)
        raise


GRANT_LENGTH = 32


def tracking_grant(complaint: Complaint) -> str:
    """What a browser keeps (in its signed session) after proving the secret once, so the secret
    need not travel in later URLs: part of the secret's hash, useless without the session's
    signature and dead if the secret ever changes."""
    return complaint.tracking_secret_hash[:GRANT_LENGTH]


def track(session: Session, tracking_id: str, secret: str | None, grant: str | None = None) -> Complaint:
    """The complaint for this ID and secret (or a grant from `tracking_grant`), or TrackingFailed
    (no hint which one was wrong)."""
    complaint = session.scalars(
        select(Complaint).where(Complaint.tracking_id == (tracking_id or "").strip().upper())).first()
    expected = complaint.tracking_secret_hash if complaint else sha256_hex("no such complaint")
    if grant is not None and not secret:
        matches = hmac.compare_digest(expected[:GRANT_LENGTH], grant or "-")
    else:
        matches = hmac.compare_digest(expected, sha256_hex(secret or ""))
    if not matches or complaint is None:
        raise TrackingFailed(tracking_id)
    return complaint


@dataclass
class PublicEvent:
    at: datetime
    kind: str  # received | status | answer | reporter
    status: str | None = None
    agency: str | None = None
    task_name: str | None = None
    fields: list[tuple[str, Any]] = field(default_factory=list)  # (title, value)


def _agency_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Agency.code, Agency.name)).all())


def public_timeline(session: Session, complaint: Complaint, forms: dict[str, Any] | None = None,
                    name_of: Callable[[str | None, str | None], str | None] | None = None) -> list[PublicEvent]:
    """What the reporter may see of the case's history, oldest first.

    `forms` are the version's forms as the reader should see them (translated: titles and choices
    in the reader's language; the stored ones by default); `name_of(element id, name)` names a
    task in the reader's language.

    An officer's public fields appear when the diagram publishes their task (at that moment);
    on a version that names no publish point, as soon as the task is completed.
    """
    instance = case_of(session, complaint)
    forms = forms if forms is not None else instance.process_version.forms
    on_completion = not names_publish_points(instance.process_version)
    tasks = {t.id: t for t in session.scalars(select(HumanTask).where(
        HumanTask.process_instance_id == instance.id))}
    names = _agency_names(session)
    events: list[PublicEvent] = []
    drafts: dict[str, AuditEvent] = {}  # task id -> its task_completed event, until published

    def shown(event: AuditEvent, at: datetime) -> None:
        task = tasks.get(event.task_id) if event.task_id is not None else None
        schema = forms.get(task.form, {}) if task and task.form else {}
        props = schema.get("properties", {})
        own = task is not None and task.role == roles.REPORTER
        fields = [(props.get(k, {}).get("title", k), _display(props.get(k, {}), v, names))
                  for k, v in event.data.get("form", {}).items() if own or props.get(k, {}).get(PUBLIC_KEYWORD)]
        if fields:
            agency_code = task.agency_code if task and not own else None
            events.append(PublicEvent(at, "reporter" if own else "answer",
                                      agency=names.get(agency_code) if agency_code is not None else None,
                                      task_name=name_of(event.element_id, event.data.get("task_name"))
                                      if name_of else event.data.get("task_name"), fields=fields))

    for event in history(session, instance.id):
        if event.kind == "started":
            events.append(PublicEvent(event.at, "received", status="belum_terverifikasi"))
        elif event.kind == "status_changed":
            events.append(PublicEvent(event.at, "status", status=event.data.get("new")))
        elif event.kind == "task_completed":
            assert event.task_id is not None  # the engine records every completion with its task
            task = tasks.get(event.task_id)
            if on_completion or (task is not None and task.role == roles.REPORTER):
                shown(event, event.at)
            else:
                drafts[event.task_id] = event
        elif event.kind == PUBLISHED and event.task_id in drafts:
            shown(drafts.pop(event.task_id), event.at)
    return events


def _display(prop: dict, value: Any, names: dict[str, str]) -> Any:
    if prop.get("format") == "agency":
        return names.get(value, value)
    for option in prop.get("oneOf", []):
        if option.get("const") == value:
            return option.get("title", value)
    return value


def reporter_tasks(session: Session, complaint: Complaint) -> list[HumanTask]:
    """The reporter's own open tasks (add details, reply to the answer)."""
    return list(session.scalars(select(HumanTask).where(
        HumanTask.process_instance_id == complaint.process_instance_id,
        HumanTask.state == "ready", HumanTask.role == roles.REPORTER).order_by(HumanTask.created_at)))


def current_deadline(session: Session, complaint: Complaint) -> datetime | None:
    """The earliest due date among the case's open tasks (set once SLAs exist)."""
    return session.scalar(select(func.min(HumanTask.due_at)).where(
        HumanTask.process_instance_id == complaint.process_instance_id, HumanTask.state == "ready"))


def complete_reporter_task(db: Database, engine: ProcessEngine, tracking_id: str, secret: str | None,
                           task_id: str, data: dict[str, Any], grant: str | None = None) -> Complaint:
    """The reporter completes one of their tasks through the same engine path as officers."""
    with recording_failures(db, engine, REPORTER_ACTOR) as guard, db.transaction() as session:
        complaint = track(session, tracking_id, secret, grant)
        task = session.get(HumanTask, task_id)
        if task is None or task.process_instance_id != complaint.process_instance_id or task.role != roles.REPORTER:
            raise TrackingFailed(task_id)
        with guard.step(task.process_instance_id):
            engine.complete(session, task_id, data, REPORTER_ACTOR)
        return complaint


@dataclass
class ListingQuery:
    text: str | None = None
    category: str | None = None
    status: str | None = None
    page: int = 1
    per_page: int = 20


def public_listing(session: Session, q: ListingQuery) -> Page:
    """Complaints that are not *rahasia*, newest first (the caller shows no personal data)."""
    query = select(Complaint).where(Complaint.confidential.is_(False))
    if q.text:
        like = f"%{q.text.strip()}%"
        query = query.where(or_(Complaint.title.ilike(like), Complaint.tracking_id == q.text.strip().upper()))
    if q.category:
        query = query.where(Complaint.category_code == q.category)
    if q.status:
        query = query.where(Complaint.status == q.status)
    return paginate(session, query.order_by(Complaint.created_at.desc(), Complaint.id.desc()), q.page, q.per_page)


def public_counts(session: Session, at: datetime) -> dict[str, int]:
    """Received (all time), in process (not final), finished this month (Asia/Jakarta month)."""
    local = at.astimezone(JAKARTA)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)
    public = Complaint.confidential.is_(False)
    count = lambda *where: session.scalar(select(func.count()).select_from(Complaint).where(public, *where)) or 0  # noqa: E731
    finished_this_month = session.scalar(
        select(func.count(func.distinct(Complaint.id))).select_from(Complaint)
        .join(ProcessInstance, ProcessInstance.id == Complaint.process_instance_id)
        .where(public, Complaint.status == "selesai", ProcessInstance.updated_at >= month_start)) or 0
    return {
        "received": count(),
        "in_process": count(Complaint.status.not_in(statuses.FINAL)),
        "finished_this_month": finished_this_month,
    }
