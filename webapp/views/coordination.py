"""Coordination on the case page: requests by round, replies, the lead's actions, and the thread.

The section itself is a partial of the case page (`coordination_section` gives it what it shows).
Its forms post elsewhere: the lead's (ask, add, stop) to coordination_asks.py, the thread's
messages and files to coordination_thread.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import HumanTask
from workflows import coordination, policy, roles
from workflows.coordination import CoordinationRequest
from workflows.coordination_thread import CoordinationMessage, may_post, thread_of
from workflows.models import Agency, Complaint, User


def section_url(complaint_id: int, action: str = "") -> str:
    """Paths are the contract (this blueprint may be registered after the case page exists)."""
    return f"/cases/{complaint_id}/coordination{'/' + action if action else ''}"


def case_anchor(complaint_id: int) -> str:
    return f"/cases/{complaint_id}#coordination"


@dataclass
class RequestRow:
    request: CoordinationRequest
    agency: str
    suggested: str | None
    due_at: datetime | None
    created_at: datetime | None
    can_add_suggested: bool = False


@dataclass
class Round:
    number: int
    question: str  # "" when the agencies got questions of their own
    asked_by: str
    asked_at: datetime
    rows: list[RequestRow] = field(default_factory=list)


@dataclass
class Section:
    complaint_id: int
    rounds: list[Round]  # newest first
    messages: list[CoordinationMessage]
    agencies: dict[str, str]  # code -> name, of every agency shown
    involved: list[str]
    people: dict[str, str]  # username -> full name
    is_lead: bool = False
    can_add: bool = False
    can_stop: bool = False
    waiting_round: bool = False
    missing: list[str] = field(default_factory=list)
    may_post: bool = False
    read_only: bool = False  # the viewer's agency took part, and its part is over
    request_task: HumanTask | None = None  # the lead's open "ask other agencies" task
    my_requests: list[RequestRow] = field(default_factory=list)  # open requests to the viewer's agencies
    my_agencies: list[str] = field(default_factory=list)

    @property
    def lead_name(self) -> str:
        return self.agencies.get(self.involved[0], self.involved[0]) if self.involved else ""

    @property
    def missing_names(self) -> str:
        return ", ".join(self.agencies.get(code, code) for code in self.missing)

    @property
    def involved_named(self) -> list[tuple[str, str]]:
        return [(code, self.agencies.get(code, code)) for code in self.involved]

    def url(self, action: str = "") -> str:
        return section_url(self.complaint_id, action)


def _user() -> User:
    return current_user._get_current_object()


def _names(session: Session, usernames) -> dict[str, str]:
    wanted = {u for u in usernames if u}
    return dict(session.execute(select(User.username, User.full_name).where(User.username.in_(wanted))).all())


def request_task(session: Session, user: User, complaint: Complaint) -> HumanTask | None:
    task = session.scalars(select(HumanTask).where(
        HumanTask.process_instance_id == complaint.process_instance_id,
        HumanTask.element_id == coordination.REQUEST_TASK, HumanTask.state == "ready")).first()
    return task if task is not None and policy.can_act_on_task(session, user, task) else None


def coordination_section(session: Session, engine, user: User, complaint: Complaint) -> Section | None:
    """What the case page shows of coordination; None when there is nothing to show or do."""
    requests = coordination.requests_of(session, complaint.id)
    messages = thread_of(session, complaint.id)
    open_request = request_task(session, user, complaint)
    if not requests and not messages and open_request is None:
        return None
    involved = coordination.involved_agencies(session, complaint.id)
    codes = set(involved) | {r.suggested_agency for r in requests if r.suggested_agency}
    codes |= {m.author_agency_code for m in messages if m.author_agency_code}
    agencies = dict(session.execute(select(Agency.code, Agency.name).where(Agency.code.in_(codes))).all())
    tasks = {t.id: t for t in session.scalars(select(HumanTask).where(
        HumanTask.id.in_({r.reply_task_id for r in requests if r.reply_task_id})))}
    people = _names(session, {r.requested_by for r in requests} | {r.replied_by for r in requests})
    section = Section(complaint.id, [], messages, agencies, involved, people, request_task=open_request,
                      is_lead=coordination.is_lead_officer(session, user, complaint),
                      may_post=may_post(session, user, complaint),
                      my_agencies=policy.agency_codes_in_scope(session, user))
    section.read_only = not section.may_post and bool(set(section.my_agencies) & set(involved))
    current = max((r.round for r in requests), default=0)
    section.waiting_round = any(r.round == current and r.status == coordination.WAITING for r in requests)
    if section.is_lead and section.waiting_round:
        waiting = coordination.waiting_for(engine, session, complaint)
        section.can_add = coordination.ADD_MESSAGE in waiting
        section.missing = coordination.missing_required(session, complaint.id)
        section.can_stop = coordination.STOP_MESSAGE in waiting and not section.missing
    asked_now = {r.agency_code for r in requests if r.round == current}
    for r in requests:
        task = tasks.get(r.reply_task_id) if r.reply_task_id else None
        row = RequestRow(r, agencies.get(r.agency_code, r.agency_code),
                         agencies.get(r.suggested_agency, r.suggested_agency) if r.suggested_agency else None,
                         task.due_at if task is not None and task.state == "ready" else None,
                         task.created_at if task is not None else None)
        row.can_add_suggested = (section.can_add and r.round == current and r.status == coordination.NOT_OURS
                                 and bool(r.suggested_agency) and r.suggested_agency not in asked_now
                                 and r.suggested_agency != complaint.lead_agency_code)
        if not section.rounds or section.rounds[0].number != r.round:
            section.rounds.insert(0, Round(r.round, r.question, people.get(r.requested_by, r.requested_by),
                                           r.requested_at))
        section.rounds[0].rows.append(row)
        if r.status == coordination.WAITING and r.agency_code in section.my_agencies and user.role == roles.LIAISON:
            section.my_requests.append(row)
    for each in section.rounds:  # a round shows its question once when every agency got the same one
        questions = {row.request.question for row in each.rows}
        each.question = questions.pop() if len(questions) == 1 else ""
    return section


@dataclass
class TaskQuestion:
    request: CoordinationRequest
    lead: str


def task_question(session: Session, task: HumanTask) -> TaskQuestion | None:
    """For the task page of a reply task: its question (include coordination/_task_question.html)."""
    found = session.scalars(select(CoordinationRequest).where(
        CoordinationRequest.reply_task_id == task.id)).first() if task.element_id == coordination.REPLY_TASK else None
    if found is None:
        return None
    lead = session.scalar(select(Agency.name).join(Complaint, Complaint.lead_agency_code == Agency.code)
                          .where(Complaint.id == found.complaint_id))
    return TaskQuestion(found, lead or "")
