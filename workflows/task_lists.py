"""Officers' task lists, read only from the indexed human_task table (joined to complaints)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, Select, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

from engine.clock import now
from engine.models import HumanTask
from workflows import policy, roles
from workflows.models import Agency, Complaint, User
from workflows.paging import Page, paginate
from workflows.sla import DEFAULT_YELLOW_SHARE

TABS = ("mine", "team", "agency")
SORTS = ("due", "age")
SLA_COLOURS = ("green", "yellow", "red")
# A task row does not record which SLA policy set its deadline, so badges turn yellow at the
# default share of the time (where the default policies' reminders fire too).
YELLOW_SHARE = DEFAULT_YELLOW_SHARE


@dataclass
class TaskFilter:
    category: str | None = None
    status: str | None = None
    agency: str | None = None
    overdue: bool = False
    sla: str | None = None  # green | yellow | red (sla_colour's rule, in SQL)
    text: str | None = None
    sort: str = "due"
    page: int = 1
    per_page: int = 25


@dataclass
class TaskRow:
    task: HumanTask
    tracking_id: str
    title: str
    category: str
    status: str
    complaint_id: int
    agency_name: str | None


def tabs_for(user: User) -> tuple[str, ...]:
    """*Semua di instansi* is for agency heads, agency admins and super admins."""
    if user.role in (roles.AGENCY_HEAD, roles.AGENCY_ADMIN, roles.SUPER_ADMIN):
        return TABS
    return TABS[:2]


def _scope(session: Session, user: User, tab: str):
    if tab == "mine":
        return HumanTask.assignee == user.username
    if tab == "team":
        return and_(policy.actionable_tasks(session, user), HumanTask.assignee.is_(None))
    if tab == "agency" and tab in tabs_for(user):
        if user.role == roles.SUPER_ADMIN:
            return HumanTask.role != roles.REPORTER
        return HumanTask.agency_code.in_(policy.agency_codes_in_scope(session, user))
    raise ValueError(f"unknown task list tab {tab!r}")


def _query(session: Session, user: User, tab: str, f: TaskFilter, at: datetime) -> Select:
    agency = aliased(Agency)
    query = (
        select(HumanTask, Complaint.tracking_id, Complaint.title, Complaint.category_code,
               Complaint.status, Complaint.id, agency.name)
        .join(Complaint, Complaint.process_instance_id == HumanTask.process_instance_id)
        .outerjoin(agency, agency.code == HumanTask.agency_code)
        .where(HumanTask.state == "ready", _scope(session, user, tab))
    )
    if f.category:
        query = query.where(Complaint.category_code == f.category)
    if f.status:
        query = query.where(Complaint.status == f.status)
    if f.agency:
        query = query.where(HumanTask.agency_code == f.agency)
    if f.overdue:
        query = query.where(HumanTask.due_at <= at)  # red from the due second on, as the badges
    if f.sla:
        query = query.where(sla_colour_sql(at) == f.sla)
    if f.text:
        like = f"%{f.text.strip()}%"
        query = query.where(or_(Complaint.title.ilike(like), Complaint.tracking_id.ilike(like)))
    return query


def _count(session: Session, user: User, tab: str, f: TaskFilter, at: datetime) -> int:
    if f.category or f.status or f.text:
        query = _query(session, user, tab, f, at)
        return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    # no filter on the complaint: count the task index alone, without the joins
    query = select(func.count()).select_from(HumanTask).where(HumanTask.state == "ready", _scope(session, user, tab))
    if f.agency:
        query = query.where(HumanTask.agency_code == f.agency)
    if f.overdue:
        query = query.where(HumanTask.due_at <= at)  # red from the due second on, as the badges
    if f.sla:
        query = query.where(sla_colour_sql(at) == f.sla)
    return session.scalar(query) or 0


def task_page(session: Session, user: User, tab: str, f: TaskFilter) -> Page:
    """One page of a tab, sorted by due date (soonest first, undated last) or by age."""
    at = now()
    query = _query(session, user, tab, f, at)
    total = _count(session, user, tab, f, at)
    if f.sort == "age":
        query = query.order_by(HumanTask.created_at, HumanTask.id)
    else:
        # NULLS LAST matches the index's own order on PostgreSQL, so LIMIT reads only a page
        query = query.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.created_at, HumanTask.id)
    return paginate(session, query, f.page, f.per_page, total=total or 0, rows="tuples", each=lambda r: TaskRow(*r))


def tab_counts(session: Session, user: User) -> dict[str, int]:
    """How many open tasks each tab holds (unfiltered)."""
    at = now()
    return {tab: _count(session, user, tab, TaskFilter(), at) for tab in tabs_for(user)}


def sla_colour(due_at: datetime | None, created_at: datetime, at: datetime | None = None,
               yellow_share: float = YELLOW_SHARE) -> str | None:
    """green / yellow / red for a due date; None when the task has no deadline."""
    if due_at is None:
        return None
    at = at or now()
    if at >= due_at:
        return "red"
    span = (due_at - created_at).total_seconds()
    used = (at - created_at).total_seconds()
    return "yellow" if span > 0 and used / span >= yellow_share else "green"


class epoch_seconds(FunctionElement):
    """Seconds since 1970 of a UTC datetime column, on SQLite and PostgreSQL alike."""

    type = Float()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_sqlite(element, compiler, **kw):
    # SQLite keeps UTC datetimes as text, which julianday() reads
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element, compiler, **kw):
    # date_part gives a double; EXTRACT gives numeric, whose arithmetic is several times slower
    return f"date_part('epoch', {compiler.process(element.clauses, **kw)})"


def sla_colour_sql(at: datetime, yellow_share: float = YELLOW_SHARE, task=HumanTask):
    """`sla_colour` of a HumanTask row (or of an alias `task`) as an SQL expression ('green' /
    'yellow' / 'red', NULL without a deadline), so lists and counts can filter and group by it."""
    # created + share × (due − created) <= at, with each column converted once per row
    yellow_point = epoch_seconds(task.created_at) * (1 - yellow_share) + epoch_seconds(task.due_at) * yellow_share
    return case(
        (task.due_at.is_(None), None),
        (task.due_at <= at, "red"),
        (and_(task.due_at > task.created_at, yellow_point <= at.timestamp()), "yellow"),
        else_="green")
