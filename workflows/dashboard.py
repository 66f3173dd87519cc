"""The monitoring dashboard: per agency, open cases by status, open tasks by deadline colour,
waiting coordination requests, and this month's results (docs/domain.md: green / yellow / red).

Everything is counted in the database with GROUP BY on indexed columns; no workflow is loaded
and no case is read into Python. Each case counts once, in the row of its lead agency; an
agency asked for coordination counts the request and its reply task in its own row.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, literal, select, text
from sqlalchemy.orm import Session, aliased

from engine.clock import now
from engine.models import HumanTask, ProcessInstance
from workflows import policy, roles, statuses
from workflows.commands import Forbidden
from workflows.coordination import WAITING, CoordinationRequest
from workflows.models import Agency, Complaint, User
from workflows.task_lists import sla_colour_sql

JAKARTA = ZoneInfo("Asia/Jakarta")
VIEWERS = (roles.SUPER_ADMIN, roles.AGENCY_HEAD, roles.AGENCY_ADMIN, roles.OMBUDSMAN, roles.VERIFIER)
RUNNING_STATUSES = tuple(s for s in statuses.LABELS_ID if s not in statuses.FINAL)
TRANSFERRED = "dialihkan_ombudsman"
# open cases by status: those not final, then those transferred to the Ombudsman whose process
# still runs (the Ombudsman is still handling them)
OPEN_STATUSES = RUNNING_STATUSES + (TRANSFERRED,)
NO_DEADLINE = "none"
# siblings in the tree: governments first, then their offices, then the rest; by name within a kind
KIND_ORDER = {kind: n for n, kind in enumerate(("province", "regency", "city", "dinas", "unit", "vertical",
                                                 "ombudsman"))}


def may_see(user: User) -> bool:
    """Heads, agency admins, super admins, verifiers and the Ombudsman watch the dashboard."""
    return user.active and user.role in VIEWERS


@dataclass
class Counts:
    """What one row (or the totals) shows."""

    cases: dict[str, int] = field(default_factory=dict)  # open cases led, by status
    coordination_waiting: int = 0  # coordination requests to this agency not answered yet
    tasks: dict[str, int] = field(default_factory=dict)  # open tasks by green / yellow / red / none
    completed_this_month: int = 0  # cases led that reached Selesai this month
    done_with_deadline: int = 0  # tasks with a deadline completed this month
    done_on_time: int = 0  # ... of which by their deadline

    @property
    def open_cases(self) -> int:
        return sum(self.cases.values())

    @property
    def open_tasks(self) -> int:
        return sum(self.tasks.values())

    @property
    def on_time_rate(self) -> float | None:
        """Share of this month's tasks with a deadline done in time; None when there were none."""
        return self.done_on_time / self.done_with_deadline if self.done_with_deadline else None

    @property
    def empty(self) -> bool:
        return not (self.open_cases or self.coordination_waiting or self.open_tasks
                    or self.completed_this_month or self.done_with_deadline)

    def add(self, other: Counts) -> None:
        for status, n in other.cases.items():
            self.cases[status] = self.cases.get(status, 0) + n
        for colour, n in other.tasks.items():
            self.tasks[colour] = self.tasks.get(colour, 0) + n
        self.coordination_waiting += other.coordination_waiting
        self.completed_this_month += other.completed_this_month
        self.done_with_deadline += other.done_with_deadline
        self.done_on_time += other.done_on_time


@dataclass
class AgencyRow:
    """One agency, or (code None) the work that is with no agency: verifiers' and the Ombudsman's."""

    code: str | None
    name: str | None
    role: str | None  # for a row without agency: whose work it is (verifier / ombudsman)
    depth: int  # how many of the rows shown above it are its ancestors
    counts: Counts


@dataclass
class Dashboard:
    rows: list[AgencyRow]
    totals: Counts
    at: datetime
    month_start: datetime
    statuses: tuple[str, ...]  # the status columns, in process order

    @property
    def empty(self) -> bool:
        return self.totals.empty


@dataclass(frozen=True)
class _Scope:
    """Agency roles count their agencies' rows (codes None: every agency, and work with none);
    verifiers and the Ombudsman count the cases the policy lets them see (`cases`)."""

    codes: list[str] | None = None
    cases: ColumnElement[bool] | None = None


def _scope(session: Session, user: User) -> _Scope:
    if not may_see(user):
        raise Forbidden("the dashboard is for heads, admins, verifiers and the Ombudsman")
    if user.role == roles.SUPER_ADMIN:
        return _Scope()
    if user.role in (roles.AGENCY_HEAD, roles.AGENCY_ADMIN):
        return _Scope(codes=policy.agency_codes_in_scope(session, user))
    return _Scope(cases=policy.visible_cases(session, user))


def month_start(at: datetime) -> datetime:
    """The first moment of `at`'s month in Asia/Jakarta, as aware UTC."""
    local = at.astimezone(JAKARTA)
    return datetime.combine(local.date().replace(day=1), time.min, tzinfo=JAKARTA).astimezone(timezone.utc)


def _key(agency_code: str | None, role: str | None) -> tuple[str | None, str | None]:
    # work without an agency is told apart by role; work of an agency is the agency's
    return (agency_code, None) if agency_code else (None, role or roles.VERIFIER)


def _open_cases(scope: _Scope):
    query = (select(Complaint.lead_agency_code, Complaint.status, func.count())
             .where(Complaint.status.in_(RUNNING_STATUSES))
             .group_by(Complaint.lead_agency_code, Complaint.status))
    return _limit_cases(query, scope)


def _cases_with_ombudsman(scope: _Scope):
    # a case transferred to the Ombudsman is open while its process runs (a query of its own: an
    # OR with the statuses above would make PostgreSQL scan every case)
    query = (select(Complaint.lead_agency_code, Complaint.status, func.count())
             .join(ProcessInstance, ProcessInstance.id == Complaint.process_instance_id)
             .where(Complaint.status == TRANSFERRED, ProcessInstance.completed.is_(False))
             .group_by(Complaint.lead_agency_code, Complaint.status))
    return _limit_cases(query, scope)


def _completed_cases(scope: _Scope, since: datetime):
    # a case ends at Selesai with its process (terminate end events), and a finished process is
    # never saved again: its last update is when it finished
    query = (select(Complaint.lead_agency_code, func.count())
             .join(ProcessInstance, ProcessInstance.id == Complaint.process_instance_id)
             .where(Complaint.status == "selesai", ProcessInstance.completed.is_(True),
                    ProcessInstance.updated_at >= since)
             .group_by(Complaint.lead_agency_code))
    return _limit_cases(query, scope)


def _limit_cases(query, scope: _Scope):
    if scope.codes is not None:
        query = query.where(Complaint.lead_agency_code.in_(scope.codes))
    if scope.cases is not None:
        query = query.where(scope.cases)
    return query


def _limit_tasks(query, task, scope: _Scope):
    # reporters' tasks are the citizen's, not an office's (the task lists leave them out too)
    query = query.where(task.role != roles.REPORTER)
    if scope.codes is not None:
        query = query.where(task.agency_code.in_(scope.codes))
    if scope.cases is not None:
        # the visible cases first, once: the policy's OR of EXISTS cannot be planned per task row
        visible = (select(Complaint.process_instance_id.label("id")).where(scope.cases)
                   .cte("visible_cases").prefix_with("MATERIALIZED", dialect="postgresql"))
        query = query.where(task.process_instance_id.in_(select(visible.c.id)))
    return query


def _role_without_agency(task):
    return case((task.agency_code.is_(None), task.role), else_=literal(None)).label("role")


def _open_tasks(scope: _Scope, at: datetime):
    # an alias, so the policy's own subqueries on human_task are not correlated with these rows
    task = aliased(HumanTask)
    colour = func.coalesce(sla_colour_sql(at, task=task), NO_DEADLINE).label("colour")
    # grouped outside: PostgreSQL would not match the CASE's parameters in GROUP BY to the select's
    rows = _limit_tasks(select(task.agency_code, _role_without_agency(task), colour).where(task.state == "ready"),
                        task, scope).subquery()
    return select(rows.c.agency_code, rows.c.role, rows.c.colour, func.count()).group_by(
        rows.c.agency_code, rows.c.role, rows.c.colour)


def _tasks_done(scope: _Scope, since: datetime):
    task = aliased(HumanTask)
    on_time = case((task.completed_at <= task.due_at, 1), else_=0).label("on_time")
    rows = _limit_tasks(select(task.agency_code, _role_without_agency(task), on_time).where(
        task.state == "completed", task.due_at.is_not(None), task.completed_at >= since), task, scope).subquery()
    return select(rows.c.agency_code, rows.c.role, func.count(), func.sum(rows.c.on_time)).group_by(
        rows.c.agency_code, rows.c.role)


def _coordination_waiting(scope: _Scope):
    query = (select(CoordinationRequest.agency_code, func.count())
             .where(CoordinationRequest.status == WAITING).group_by(CoordinationRequest.agency_code))
    if scope.codes is not None:
        query = query.where(CoordinationRequest.agency_code.in_(scope.codes))
    if scope.cases is not None:
        cases_in_scope = select(Complaint.id).where(scope.cases).scalar_subquery()
        query = query.where(CoordinationRequest.complaint_id.in_(cases_in_scope))
    return query


def dashboard(session: Session, user: User, at: datetime | None = None) -> Dashboard:
    """The dashboard as `user` may see it, at `at` (default: now). Forbidden for other roles."""
    at = at or now()
    since = month_start(at)
    scope = _scope(session, user)
    if session.get_bind().dialect.name == "postgresql":
        # these aggregates take tens of milliseconds; compiling them first (JIT) took hundreds
        session.execute(text("SET LOCAL jit = off"))
    counts: dict[tuple[str | None, str | None], Counts] = defaultdict(Counts)
    if scope.codes != []:
        for query in (_open_cases(scope), _cases_with_ombudsman(scope)):
            for code, status, n in session.execute(query):
                counts[_key(code, None)].cases[status] = n
        for code, n in session.execute(_completed_cases(scope, since)):
            counts[_key(code, None)].completed_this_month = n
        for code, role, colour, n in session.execute(_open_tasks(scope, at)):
            counts[_key(code, role)].tasks[colour] = n
        for code, role, done, on_time in session.execute(_tasks_done(scope, since)):
            tally = counts[_key(code, role)]
            tally.done_with_deadline, tally.done_on_time = done, on_time or 0
        for code, n in session.execute(_coordination_waiting(scope)):
            counts[_key(code, None)].coordination_waiting = n
    shown = set(scope.codes or []) if scope.cases is None else set()
    rows = _rows(session, counts, shown, every_agency=scope.codes is None and scope.cases is None)
    totals = Counts()
    for row in rows:
        totals.add(row.counts)
    seen = set(totals.cases)
    return Dashboard(rows=rows, totals=totals, at=at, month_start=since,
                     statuses=OPEN_STATUSES + tuple(sorted(seen - set(OPEN_STATUSES))))


def _rows(session: Session, counts: dict, shown: set[str], every_agency: bool) -> list[AgencyRow]:
    """Agency rows in tree order (siblings by kind, then name), then the work with no agency."""
    agencies = session.execute(select(Agency.code, Agency.name, Agency.kind, Agency.path, Agency.active)).all()
    wanted = {code for code, _role in counts if code} | {
        a.code for a in agencies if a.active and (every_agency or a.code in shown)}
    order = {a.code: (KIND_ORDER.get(a.kind, len(KIND_ORDER)), a.name.casefold()) for a in agencies}
    # sorted by the agencies along the path, so each agency comes right after its parent
    by_path = sorted(agencies, key=lambda a: [order.get(part, (0, part)) for part in a.path.strip("/").split("/")])
    rows = []
    for agency in by_path:
        if agency.code not in wanted:
            continue
        ancestors = agency.path.strip("/").split("/")[:-1]
        rows.append(AgencyRow(agency.code, agency.name, None, sum(1 for a in ancestors if a in wanted),
                              counts.get((agency.code, None), Counts())))
    known = {a.code for a in agencies}
    for code in sorted(c for c, _role in counts if c and c not in known):  # an agency since deleted
        rows.append(AgencyRow(code, None, None, 0, counts[(code, None)]))
    for role in sorted({r for c, r in counts if c is None}, key=lambda r: (r != roles.VERIFIER, r)):
        rows.append(AgencyRow(None, None, role, 0, counts[(None, role)]))
    return rows
