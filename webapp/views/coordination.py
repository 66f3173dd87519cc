"""Coordination on the case page: requests by round, replies, the lead's actions, and the thread.

The section itself is a partial of the case page (`coordination_section` gives it what it shows);
the forms post here. A form with a mistake comes back on a page of its own, with the typed
values kept and the message next to the field (422). The thread's form and files are in
coordination_thread.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import ConcurrentUpdate, FormInvalid, TaskNotReady
from engine.models import HumanTask
from webapp import form_render, services
from workflows import commands, coordination, policy, roles
from workflows.cases import visible_complaint
from workflows.coordination import CoordinationRefused, CoordinationRequest
from workflows.coordination_thread import CoordinationMessage, may_post, thread_of
from workflows.models import Agency, Complaint, User

bp = Blueprint("coordination", __name__, url_prefix="/cases")


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
    question: str
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
    request_task: HumanTask | None = None  # the lead's open "ask other agencies" task
    my_requests: list[RequestRow] = field(default_factory=list)  # open requests to the viewer's agencies
    my_agencies: list[str] = field(default_factory=list)
    add_choices: list[form_render.OptionGroup] = field(default_factory=list)
    current_question: str = ""

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


def _request_task(session: Session, user: User, complaint: Complaint) -> HumanTask | None:
    task = session.scalars(select(HumanTask).where(
        HumanTask.process_instance_id == complaint.process_instance_id,
        HumanTask.element_id == coordination.REQUEST_TASK, HumanTask.state == "ready")).first()
    return task if task is not None and policy.can_act_on_task(session, user, task) else None


def coordination_section(session: Session, engine, user: User, complaint: Complaint) -> Section | None:
    """What the case page shows of coordination; None when there is nothing to show or do."""
    requests = coordination.requests_of(session, complaint.id)
    messages = thread_of(session, complaint.id)
    request_task = _request_task(session, user, complaint)
    if not requests and not messages and request_task is None:
        return None
    involved = coordination.involved_agencies(session, complaint.id)
    codes = set(involved) | {r.suggested_agency for r in requests if r.suggested_agency}
    codes |= {m.author_agency_code for m in messages if m.author_agency_code}
    agencies = dict(session.execute(select(Agency.code, Agency.name).where(Agency.code.in_(codes))).all())
    tasks = {t.id: t for t in session.scalars(select(HumanTask).where(
        HumanTask.id.in_({r.reply_task_id for r in requests if r.reply_task_id})))}
    people = _names(session, {r.requested_by for r in requests} | {r.replied_by for r in requests})
    section = Section(complaint.id, [], messages, agencies, involved, people, request_task=request_task,
                      is_lead=coordination.is_lead_officer(session, user, complaint),
                      may_post=may_post(session, user, complaint),
                      my_agencies=policy.agency_codes_in_scope(session, user))
    current = max((r.round for r in requests), default=0)
    section.waiting_round = any(r.round == current and r.status == coordination.WAITING for r in requests)
    if section.is_lead and section.waiting_round:
        waiting = coordination.waiting_for(engine, session, complaint)
        section.can_add = coordination.ADD_MESSAGE in waiting
        section.missing = coordination.missing_required(session, complaint.id)
        section.can_stop = coordination.STOP_MESSAGE in waiting and not section.missing
    asked_now = {r.agency_code for r in requests if r.round == current}
    if section.can_add:
        section.add_choices = _agency_choices(session, asked_now | {complaint.lead_agency_code})
        section.current_question = next((r.question for r in reversed(requests) if r.round == current), "")
    for r in requests:
        task = tasks.get(r.reply_task_id)
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
    return section


def _agency_choices(session: Session, leave_out: set[str]) -> list[form_render.OptionGroup]:
    groups = []
    for group in form_render.agency_groups(session):
        options = [o for o in group.options if o.value not in leave_out]
        if options:
            groups.append(form_render.OptionGroup(group.label, options))
    return groups


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


def _render_form(kind: str, complaint: Complaint, status: int = 200, errors: dict | None = None,
                 values: dict | None = None):
    with services.db().session() as s:
        asked = {r.agency_code for r in coordination.requests_of(s, complaint.id)
                 if r.round == coordination.current_round(s, complaint.id)} if kind == "add" else set()
        groups = _agency_choices(s, {complaint.lead_agency_code} | asked)
        involved = coordination.involved_agencies(s, complaint.id)
        names = dict(s.execute(select(Agency.code, Agency.name).where(Agency.code.in_(involved))).all())
    return render_template("coordination/form.html", kind=kind, c=complaint, groups=groups, errors=errors or {},
                           values=values or {}, involved=[(code, names.get(code, code)) for code in involved],
                           case_url=case_anchor(complaint.id), action=section_url(complaint.id, _ACTIONS[kind])
                           ), status


_ACTIONS = {"request": "request", "add": "agencies"}


def _complaint(complaint_id: int) -> Complaint:
    with services.db().session() as s:
        return visible_complaint(s, _user(), complaint_id)


def _names_of(codes: list[str]) -> str:
    with services.db().session() as s:
        names = dict(s.execute(select(Agency.code, Agency.name).where(Agency.code.in_(codes))).all())
    return ", ".join(names.get(c, c) for c in codes)


# -- the lead asks (the generic task form cannot pick several agencies yet) -------------------

@bp.route("/<int:complaint_id>/coordination/request", methods=["GET", "POST"])
@login_required
def ask(complaint_id: int):
    user = _user()
    with services.db().session() as s:
        complaint = visible_complaint(s, user, complaint_id)
        task = _request_task(s, user, complaint)
    if task is None:
        flash(_("No coordination request is waiting for you on this case."), "warning")
        return redirect(case_anchor(complaint_id))
    if request.method == "GET":
        return _render_form("request", complaint)
    values = {"coordination_agencies": request.form.getlist("coordination_agencies"),
              "required_agencies": request.form.getlist("required_agencies"),
              "question": request.form.get("question", "").strip()}
    try:
        commands.complete_task(services.db(), services.process_engine(), user, task.id,
                               {k: v for k, v in values.items() if v})
    except FormInvalid as exc:
        messages = form_render.field_messages(exc.fields)
        return _render_form("request", complaint, 422, messages, values)
    except (TaskNotReady, ConcurrentUpdate):
        flash(_("Someone else completed or changed this task in the meantime; your answers were not saved."),
              "warning")
        return redirect(case_anchor(complaint_id))
    flash(_("The agencies were asked. Each one now has a task with its own deadline."), "success")
    return redirect(case_anchor(complaint_id))


# -- the lead adds agencies or stops waiting ------------------------------------------------

@bp.route("/<int:complaint_id>/coordination/agencies", methods=["GET", "POST"])
@login_required
def add(complaint_id: int):
    complaint = _complaint(complaint_id)
    if request.method == "GET":
        with services.db().session() as s:
            if not coordination.is_lead_officer(s, _user(), complaint):
                raise commands.Forbidden("only the lead agency adds agencies")
            rows = coordination.requests_of(s, complaint.id)
        return _render_form("add", complaint, values={"question": rows[-1].question if rows else ""})
    values = {"agencies": request.form.getlist("agencies"), "question": request.form.get("question", ""),
              "required": request.form.get("required") == "1"}
    return _add(complaint, values["agencies"], values["question"], values["required"], values)


@bp.post("/<int:complaint_id>/coordination/agencies/suggested")
@login_required
def add_suggested(complaint_id: int):
    complaint = _complaint(complaint_id)
    with services.db().session() as s:
        replied = s.get(CoordinationRequest, request.form.get("request_id", type=int) or 0)
    if replied is None or replied.complaint_id != complaint.id or not replied.suggested_agency:
        flash(_("That reply suggests no agency."), "warning")
        return redirect(case_anchor(complaint_id))
    return _add(complaint, [replied.suggested_agency], replied.question, replied.required, None)


def _add(complaint: Complaint, agencies: list[str], question: str, required: bool, values: dict | None):
    try:
        added = coordination.add_agencies(services.db(), services.process_engine(), _user(), complaint.id,
                                          agencies, question, required, services.settings().public_url)
    except CoordinationRefused as exc:
        errors = {
            "invalid_agencies": {"agencies": _("Choose at least one agency other than the lead agency.")},
            "already_asked": {"agencies": _("Already asked in this round: %(names)s.",
                                            names=_names_of(exc.agencies))},
            "empty_question": {"question": _("Write what you need from the agencies.")},
        }.get(exc.reason)
        if errors and values is not None:
            return _render_form("add", complaint, 422, errors, values)
        flash(_("Agencies can be added once per round, while the agencies asked first are still answering. "
                "Ask them in a new round instead.") if exc.reason == "not_waiting"
              else next(iter(errors.values())) if errors else str(exc), "warning")
        return redirect(case_anchor(complaint.id))
    flash(_("Asked as well: %(names)s.", names=_names_of(added)), "success")
    return redirect(case_anchor(complaint.id))


@bp.post("/<int:complaint_id>/coordination/stop")
@login_required
def stop(complaint_id: int):
    complaint = _complaint(complaint_id)
    try:
        coordination.stop_waiting(services.db(), services.process_engine(), _user(), complaint.id)
    except CoordinationRefused as exc:
        if exc.reason == "required_missing":
            flash(_("Still waiting for required answers from %(names)s.", names=_names_of(exc.agencies)), "warning")
        else:
            flash(_("This case is no longer waiting for answers."), "warning")
        return redirect(case_anchor(complaint_id))
    flash(_("You stopped waiting. Open requests were closed; write the combined answer now."), "success")
    return redirect(case_anchor(complaint_id))
