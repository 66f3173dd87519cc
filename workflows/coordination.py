"""Coordination between agencies on one case (docs/domain.md, stage 6).

The lead agency asks other agencies for input (`request_coordination` in the diagram); each one
gets its own `coordination_reply` task and deadline through bpmn/coordination.bpmn, called once
per agency. The texts (the question, each reply, the thread in coordination_thread.py) live in
these tables, never in task data; the diagram only carries agency codes and small flat results.
The completion and save hooks keep the tables in step with the workflow, in the same transaction.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.clock import now
from engine.db import Base, Database, UTCDateTime
from engine.errors import FormInvalid, NotAllowed
from engine.models import HumanTask, ProcessInstance
from engine.runtime import ProcessEngine
from workflows import outbox, policy, roles
from workflows.accounts import users_with_role
from workflows.case_errors import recording_failures
from workflows.cases import case_of, visible_complaint
from workflows.commands import Forbidden
from workflows.models import Agency, Complaint, User
from workflows.statuses import FINAL

REQUEST_TASK, REPLY_TASK, CONSOLIDATE_TASK = "request_coordination", "coordination_reply", "consolidate_coordination"
ADD_MESSAGE, STOP_MESSAGE = "add_agencies", "stop_waiting"
MAX_ROUNDS = 3  # the diagram's gateway has the same bound
MAX_AGENCIES = 10  # asked at once
MAX_AGENCIES_PER_ROUND = 20  # bounds the diagram's loop of additions
FIELD = "coordination_requests"  # the request form's rows, also used for errors of additions
WAITING, ANSWERED, NOT_OURS, CANCELLED = "waiting", "answered", "not_ours", "cancelled"
REPLIED = (ANSWERED, NOT_OURS)


class CoordinationRequest(Base):
    """One agency asked for input in one round, and its reply."""

    __tablename__ = "coordination_request"
    __table_args__ = (Index("ix_coordination_request_case", "complaint_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    round: Mapped[int]
    agency_code: Mapped[str] = mapped_column(String(100), index=True)
    question: Mapped[str] = mapped_column(Text)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    status: Mapped[str] = mapped_column(String(20), default=WAITING)  # waiting|answered|not_ours|cancelled
    reply_text: Mapped[str | None] = mapped_column(Text)
    reply_reason: Mapped[str | None] = mapped_column(Text)
    suggested_agency: Mapped[str | None] = mapped_column(String(100))
    replied_by: Mapped[str | None] = mapped_column(String(100))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_task_id: Mapped[str | None] = mapped_column(String(36))  # the open (later: answered) reply task


@dataclass(frozen=True)
class Ask:
    """One agency to ask, what the lead needs from it, and whether its answer is required."""

    agency: str
    question: str
    required: bool = False


def asks_from(rows: Iterable[Any]) -> list[Ask]:
    """Asks from form rows ({"agency", "question", "required"}); rows that are not objects are skipped."""
    return [Ask(str(row.get("agency") or "").strip(), str(row.get("question") or "").strip(),
                bool(row.get("required"))) for row in rows if isinstance(row, dict)]


class CoordinationRefused(Exception):
    """The lead may not do this now. `reason` is a code the web layer words; `agencies` says which."""

    def __init__(self, reason: str, agencies: Iterable[str] = ()):
        self.reason, self.agencies = reason, list(agencies)
        super().__init__(f"{reason}: {', '.join(self.agencies)}" if self.agencies else reason)


# -- queries ----------------------------------------------------------------------------------

def current_round(session: Session, complaint_id: int) -> int:
    """The newest coordination round of a case (0: never coordinated)."""
    return session.scalar(select(func.max(CoordinationRequest.round))
                          .where(CoordinationRequest.complaint_id == complaint_id)) or 0


def requests_of(session: Session, complaint_id: int) -> list[CoordinationRequest]:
    """Every request of a case, by round, in the order they were made."""
    return list(session.scalars(select(CoordinationRequest).where(CoordinationRequest.complaint_id == complaint_id)
                                .order_by(CoordinationRequest.round, CoordinationRequest.id)))


def involved_agencies(session: Session, complaint_id: int) -> list[str]:
    """The lead agency, then every agency ever asked, each once."""
    lead = session.scalar(select(Complaint.lead_agency_code).where(Complaint.id == complaint_id))
    codes = [lead] if lead else []
    for request in requests_of(session, complaint_id):
        if request.agency_code not in codes:
            codes.append(request.agency_code)
    return codes


def taking_part(session: Session, complaint: Complaint) -> set[str]:
    """Agencies that take part in the case's coordination now: the lead agency while the case is
    open, and the agencies of the current round while it waits for answers. The others involved
    earlier keep reading, read-only."""
    if complaint.status in FINAL or complaint.lead_agency_code is None:
        return set()
    round_no = current_round(session, complaint.id)
    this_round = [r for r in requests_of(session, complaint.id) if r.round == round_no]
    asked = {r.agency_code for r in this_round} if any(r.status == WAITING for r in this_round) else set()
    return {complaint.lead_agency_code} | asked


def missing_required(session: Session, complaint_id: int) -> list[str]:
    """Required agencies of the current round that have not replied yet."""
    round_no = current_round(session, complaint_id)
    return [r.agency_code for r in requests_of(session, complaint_id)
            if r.round == round_no and r.required and r.status == WAITING]


def is_lead_officer(session: Session, user: User, complaint: Complaint) -> bool:
    """The lead agency's liaison or head (a head also for agencies below it) steers coordination."""
    return (user.active and user.role in (roles.LIAISON, roles.AGENCY_HEAD) and complaint.lead_agency_code is not None
            and complaint.lead_agency_code in policy.agency_codes_in_scope(session, user))


# -- keeping the tables in step with the workflow -----------------------------------------------

@dataclass
class CoordinationHooks:
    """The engine's completion and save hooks for coordination (see workflows.process)."""

    public_url: str = ""

    def completed(self, session: Session, instance: ProcessInstance, row: HumanTask, form: dict[str, Any],
                  actor: str | None) -> None:
        """A completion hook: record requests and replies; refuse a fourth round."""
        if row.element_id not in (REQUEST_TASK, REPLY_TASK, CONSOLIDATE_TASK):
            return
        complaint = session.scalars(select(Complaint).where(Complaint.process_instance_id == instance.id)).first()
        if complaint is None:
            return
        if row.element_id == REQUEST_TASK:
            self._requested(session, complaint, form, actor or "system")
        elif row.element_id == REPLY_TASK:
            self._replied(session, complaint, row, form, actor or "system")
        elif form.get("decision") == "koordinasi_lagi" and current_round(session, complaint.id) >= MAX_ROUNDS:
            raise FormInvalid({"decision": f"at most {MAX_ROUNDS} coordination rounds; send the combined answer"})

    def saved(self, session: Session, instance: ProcessInstance, data: dict, actor: str | None) -> None:
        """A save hook: link waiting requests to their reply tasks; a request whose task is gone
        (the lead stopped waiting, the case ended) is cancelled."""
        waiting = list(session.scalars(
            select(CoordinationRequest).join(Complaint, Complaint.id == CoordinationRequest.complaint_id)
            .where(Complaint.process_instance_id == instance.id, CoordinationRequest.status == WAITING)))
        if not waiting:
            return
        open_tasks = dict(session.execute(select(HumanTask.agency_code, HumanTask.id).where(
            HumanTask.process_instance_id == instance.id, HumanTask.element_id == REPLY_TASK,
            HumanTask.state == "ready")).all())
        for request in waiting:
            request.reply_task_id = open_tasks.get(request.agency_code)
            if request.reply_task_id is None:
                request.status = CANCELLED

    def _requested(self, session: Session, complaint: Complaint, form: dict, actor: str) -> None:
        asks = asks_from(form.get(FIELD) or [])
        problems = ask_problems(session, complaint, asks, already_asked=set())
        if problems:
            raise FormInvalid(problems)
        _add_requests(session, complaint, current_round(session, complaint.id) + 1, asks, actor, self.public_url)

    def _replied(self, session: Session, complaint: Complaint, row: HumanTask, form: dict, actor: str) -> None:
        request = session.scalars(select(CoordinationRequest).where(
            CoordinationRequest.complaint_id == complaint.id, CoordinationRequest.agency_code == row.agency_code,
            CoordinationRequest.status == WAITING).order_by(CoordinationRequest.round.desc())).first()
        if request is None:  # asked outside this module (e.g. a diagram of its own): nothing to record
            return
        request.status = ANSWERED if form.get("decision") == "jawab" else NOT_OURS
        request.reply_text, request.reply_reason = form.get("answer"), form.get("reason")
        request.suggested_agency = form.get("suggested_agency")
        request.replied_by, request.replied_at, request.reply_task_id = actor, now(), row.id
        _notify_lead_of_reply(session, complaint, request, self.public_url)


def ask_problems(session: Session, complaint: Complaint, asks: list[Ask], already_asked: set[str]) -> dict[str, str]:
    """Field messages for asks that cannot be sent, keyed like the form ("coordination_requests.1.agency")."""
    if not asks:
        return {FIELD: "required"}
    if len(asks) > MAX_AGENCIES:
        return {FIELD: f"at most {MAX_AGENCIES} agencies at once"}
    if len(already_asked) + len(asks) > MAX_AGENCIES_PER_ROUND:
        return {FIELD: f"at most {MAX_AGENCIES_PER_ROUND} agencies in one round"}
    codes = [a.agency for a in asks]
    known = set(session.scalars(select(Agency.code).where(Agency.code.in_(codes), Agency.active)))
    problems: dict[str, str] = {}
    for i, ask in enumerate(asks):
        if not ask.agency:
            problems[f"{FIELD}.{i}.agency"] = "required"
        elif ask.agency not in known:
            problems[f"{FIELD}.{i}.agency"] = "not one of the allowed choices"
        elif ask.agency == complaint.lead_agency_code:
            problems[f"{FIELD}.{i}.agency"] = "the lead agency cannot ask itself"
        elif ask.agency in already_asked:
            problems[f"{FIELD}.{i}.agency"] = "already asked in this round"
        elif ask.agency in codes[:i]:
            problems[f"{FIELD}.{i}.agency"] = "chosen twice"
        if not ask.question:
            problems[f"{FIELD}.{i}.question"] = "required"
    return problems


def _add_requests(session: Session, complaint: Complaint, round_no: int, asks: list[Ask], actor: str,
                  public_url: str) -> list[CoordinationRequest]:
    rows = [CoordinationRequest(complaint_id=complaint.id, round=round_no, agency_code=ask.agency,
                                question=ask.question[:10000], required=ask.required, requested_by=actor,
                                requested_at=now())
            for ask in asks]
    session.add_all(rows)
    session.flush()
    _notify_asked(session, complaint, rows, public_url)
    return rows


# -- notices (officers read Indonesian, as in workflows.notifications) ---------------------------

def liaisons_of(session: Session, agency_code: str | None) -> list[User]:
    """Active liaison officers of an agency who have an e-mail address."""
    return users_with_role(session, roles.LIAISON, agency_code, with_email=True) if agency_code else []


def agency_name(session: Session, code: str | None) -> str:
    return session.scalar(select(Agency.name).where(Agency.code == code)) or (code or "")


def case_link(public_url: str, complaint: Complaint) -> str:
    return f"{public_url}/cases/{complaint.id}#coordination"


def _notify_asked(session: Session, complaint: Complaint, rows: list[CoordinationRequest], public_url: str) -> None:
    lead = agency_name(session, complaint.lead_agency_code)
    for row in rows:
        body = (f"{lead} meminta masukan instansi Anda untuk laporan {complaint.tracking_id} \"{complaint.title}\".\n\n"
                f"Pertanyaan:\n{row.question}\n\nJawab lewat tugas \"Jawab permintaan koordinasi\" di Tindak:\n"
                f"{case_link(public_url, complaint)}\n")
        for user in liaisons_of(session, row.agency_code):
            outbox.enqueue(session, f"coordination-asked:{row.id}:{user.id}", user.email,
                           f"Permintaan koordinasi: {complaint.tracking_id}", body)


def _notify_lead_of_reply(session: Session, complaint: Complaint, request: CoordinationRequest,
                          public_url: str) -> None:
    agency = agency_name(session, request.agency_code)
    kind = "menjawab" if request.status == ANSWERED else "menyatakan bukan wewenangnya"
    body = (f"{agency} {kind} atas permintaan koordinasi untuk laporan {complaint.tracking_id} "
            f"\"{complaint.title}\".\n\n{case_link(public_url, complaint)}\n")
    for user in liaisons_of(session, complaint.lead_agency_code):
        outbox.enqueue(session, f"coordination-replied:{request.id}:{user.id}", user.email,
                       f"Jawaban koordinasi dari {agency}: {complaint.tracking_id}", body)


# -- commands of the lead agency (one transaction each) ----------------------------------------

def _lead_case(session: Session, user: User, complaint_id: int) -> tuple[Complaint, ProcessInstance]:
    complaint = visible_complaint(session, user, complaint_id)
    if not is_lead_officer(session, user, complaint):
        raise Forbidden("only the lead agency's liaison or head steers coordination")
    return complaint, case_of(session, complaint)


def add_agencies(db: Database, engine: ProcessEngine, user: User, complaint_id: int, asks: list[Ask],
                  public_url: str = "") -> list[str]:
    """Ask more agencies in the running round, as often as needed while the round waits for answers.

    Returns the codes asked. Raises CaseNotFound, Forbidden, FormInvalid (field messages keyed like the
    request form's rows), CoordinationRefused ("not_waiting": the round is over).
    """
    with recording_failures(db, engine, user.username) as guard, db.transaction() as session:
        complaint, instance = _lead_case(session, user, complaint_id)
        round_no = current_round(session, complaint.id)
        this_round = [r for r in requests_of(session, complaint.id) if r.round == round_no]
        if not any(r.status == WAITING for r in this_round):  # every agency replied, or the lead stopped
            raise CoordinationRefused("not_waiting")
        asked = {r.agency_code for r in this_round}
        problems = ask_problems(session, complaint, asks, already_asked=asked)
        if problems:
            raise FormInvalid(problems)
        agencies = [ask.agency for ask in asks]
        _add_requests(session, complaint, round_no, asks, user.username, public_url)
        try:
            with guard.step(instance.id):
                engine.send_message(session, instance.id, ADD_MESSAGE, {"agencies": agencies}, user.username)
        except NotAllowed:
            raise CoordinationRefused("not_waiting") from None
        return agencies


def stop_waiting(db: Database, engine: ProcessEngine, user: User, complaint_id: int) -> None:
    """Stop waiting for the remaining replies once every required agency has replied.

    Raises CaseNotFound, Forbidden, CoordinationRefused ("required_missing" with the agencies).
    """
    with recording_failures(db, engine, user.username) as guard, db.transaction() as session:
        complaint, instance = _lead_case(session, user, complaint_id)
        missing = missing_required(session, complaint.id)
        if missing:
            raise CoordinationRefused("required_missing", missing)
        try:
            with guard.step(instance.id):
                engine.send_message(session, instance.id, STOP_MESSAGE, {}, user.username)
        except NotAllowed:
            raise CoordinationRefused("not_waiting") from None


def waiting_for(engine: ProcessEngine, session: Session, complaint: Complaint) -> set[str]:
    """The coordination messages the case accepts now (add_agencies, stop_waiting)."""
    if complaint.process_instance_id is None:
        return set()
    _instance, workflow = engine.load(session, complaint.process_instance_id)
    return engine.waiting_messages(workflow) & {ADD_MESSAGE, STOP_MESSAGE}
