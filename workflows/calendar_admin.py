"""What super admins change in the working-day calendar, and what the calendar page reads.

Admins add extra days off and extra working days (for everyone or for one agency) and set
an agency's working week. Each command is one transaction, checks the actor, refuses bad
input with `InvalidCalendar` (field → problem code), records the change in `calendar_change`
(who, when, old, new) and logs it to the "tindak.admin" logger. The caller reloads its SlaBook
afterwards, so new deadlines see it; workflows/calendar_changes.py previews a change and moves
running cases to follow it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Iterable, overload

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Database
from engine.errors import NotFound
from workflows import roles
from workflows.calendar import national_holidays
from workflows.commands import Forbidden
from workflows.models import Agency, User
from workflows.sla import CalendarChange, CalendarDay

log = logging.getLogger("tindak.admin")

KINDS = ("off", "working")
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)  # ISO: Monday = 1
MAX_DESCRIPTION = 200
FIRST_YEAR, LAST_YEAR = 2000, 2100


class InvalidCalendar(ValueError):
    """Input the admin must correct: `fields` maps a form field to a problem code."""

    def __init__(self, fields: dict[str, str]):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


class CalendarDayNotFound(NotFound):
    pass


def manages_deadlines(user: User) -> bool:
    """SLA policies and the calendar are for super admins only."""
    return user.is_authenticated and user.active and user.role == roles.SUPER_ADMIN


def _require(actor: User) -> None:
    if not manages_deadlines(actor):
        raise Forbidden("only super admins change SLA policies and the calendar")


def parse_day(value: date | str | None) -> date | None:
    """A date from a form value (YYYY-MM-DD); None when empty or not a date."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _agency(session: Session, code: str | None) -> Agency | None:
    return session.scalars(select(Agency).where(Agency.code == code)).first() if code else None


# ---- what an admin asks for, checked, then saved --------------------------------------

@dataclass(frozen=True)
class DayToAdd:
    day: date | str | None
    kind: str
    description: str = ""
    agency_code: str | None = None


@dataclass(frozen=True)
class DayToRemove:
    day_id: int


@dataclass(frozen=True)
class WeekToSet:
    agency_code: str
    weekdays: tuple = ()


CalendarRequest = DayToAdd | DayToRemove | WeekToSet


@dataclass(frozen=True)
class CalendarEdit:
    """A checked change: what the calendar holds before (`old`) and after (`new`) it.

    A day is {"day": ISO date, "kind", "description", "agency"}; a week {"agency", "week"}.
    """

    kind: str  # day_added | day_removed | week_set
    old: dict | None
    new: dict | None
    day_id: int | None = None  # the row a removal deletes

    @property
    def entry(self) -> dict:
        """The day or week the edit is about: the one it adds or sets, else the one it removes."""
        entry = self.new or self.old
        assert entry is not None  # `check` makes every edit with one or the other
        return entry

    @property
    def agency_code(self) -> str | None:
        return (self.new or self.old or {}).get("agency")

    @property
    def day(self) -> date | None:
        value = (self.new or self.old or {}).get("day")
        return date.fromisoformat(value) if value else None


def _day_entry(row: CalendarDay) -> dict:
    return {"day": row.day.isoformat(), "kind": row.kind, "description": row.description,
            "agency": row.agency_code}


def check(session: Session, request: CalendarRequest) -> CalendarEdit:
    """The edit a request makes, or InvalidCalendar (fields → problem codes) / CalendarDayNotFound."""
    if isinstance(request, DayToRemove):
        row = session.get(CalendarDay, request.day_id)
        if row is None:
            raise CalendarDayNotFound(request.day_id)
        return CalendarEdit("day_removed", _day_entry(row), None, day_id=row.id)
    if isinstance(request, WeekToSet):
        try:
            days = {int(d) for d in request.weekdays}
        except (TypeError, ValueError):
            raise InvalidCalendar({"weekdays": "bad_weekday"}) from None
        if not days <= set(WEEKDAYS):
            raise InvalidCalendar({"weekdays": "bad_weekday"})
        if not days:
            raise InvalidCalendar({"weekdays": "empty_week"})
        agency = _agency(session, request.agency_code)
        if agency is None:
            raise InvalidCalendar({"agency": "unknown_agency"})
        week = "".join(str(d) for d in sorted(days))
        return CalendarEdit("week_set", {"agency": agency.code, "week": agency.working_days or "12345"},
                            {"agency": agency.code, "week": week})
    description = (request.description or "").strip()
    agency_code = (request.agency_code or "").strip() or None
    parsed = parse_day(request.day)
    problems = {}
    if not request.day:
        problems["day"] = "required"
    elif parsed is None:
        problems["day"] = "bad_date"
    elif not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        problems["day"] = "year_out_of_range"
    if request.kind not in KINDS:
        problems["kind"] = "unknown_kind"
    if len(description) > MAX_DESCRIPTION:
        problems["description"] = "too_long"
    if agency_code and _agency(session, agency_code) is None:
        problems["agency"] = "unknown_agency"
    if "day" not in problems and session.scalar(select(CalendarDay.id).where(
            CalendarDay.day == parsed,
            CalendarDay.agency_code.is_(None) if agency_code is None
            else CalendarDay.agency_code == agency_code)) is not None:
        problems["day"] = "duplicate_day"
    if problems:
        raise InvalidCalendar(problems)
    assert parsed is not None  # a missing or bad day is one of the problems
    return CalendarEdit("day_added", None, {"day": parsed.isoformat(), "kind": request.kind,
                                            "description": description, "agency": agency_code})


@overload
def save(db: Database, actor: User, request: DayToAdd | DayToRemove) -> tuple[CalendarChange, CalendarDay]: ...
@overload
def save(db: Database, actor: User, request: WeekToSet) -> tuple[CalendarChange, str]: ...
@overload
def save(db: Database, actor: User, request: CalendarRequest) -> tuple[CalendarChange, CalendarDay | str]: ...


def save(db: Database, actor: User, request: CalendarRequest) -> tuple[CalendarChange, CalendarDay | str]:
    """Check and save one change with its audit row, in one transaction.

    Returns the change (detached) and what was saved: the day added or removed, or the week.
    The caller reloads its SlaBook afterwards.
    """
    _require(actor)
    with db.transaction() as session:
        edit = check(session, request)
        subject: CalendarDay | str
        if edit.kind == "day_added":
            subject = CalendarDay(day=edit.day, kind=edit.entry["kind"], description=edit.entry["description"],
                                  agency_code=edit.agency_code)
            session.add(subject)
        elif edit.kind == "day_removed":
            removed = session.get(CalendarDay, edit.day_id)
            assert removed is not None  # `check` found it in this session
            session.delete(removed)
            subject = removed
        else:
            week: str = edit.entry["week"]
            agency = _agency(session, edit.agency_code)
            assert agency is not None  # `check` found it in this transaction, and agencies are never deleted
            agency.working_days = week
            subject = week
        change = CalendarChange(kind=edit.kind, day=edit.day, agency_code=edit.agency_code,
                                changed_by=actor.username, old=edit.old, new=edit.new)
        session.add(change)
        session.flush()
        for row in (change, subject):
            if not isinstance(row, str):
                session.expunge(row)
    if edit.kind == "week_set":
        assert edit.old is not None  # a week set replaces the week the agency had
        log.info("%s working_week_set %s old=%s new=%s", actor.username, edit.agency_code, edit.old["week"],
                 subject)
    else:
        log.info("%s calendar_%s %s kind=%s agency=%s", actor.username, edit.kind, edit.entry["day"],
                 edit.entry["kind"], edit.agency_code or "-")
    return change, subject


def add_day(db: Database, actor: User, day: date | str | None, kind: str, description: str = "",
            agency_code: str | None = None) -> CalendarDay:
    """Add an extra day off or working day, for everyone or (with `agency_code`) one agency."""
    return save(db, actor, DayToAdd(day, kind, description, agency_code))[1]


def remove_day(db: Database, actor: User, day_id: int) -> CalendarDay:
    """Remove one of the admin's calendar days; returns the removed row (detached)."""
    return save(db, actor, DayToRemove(day_id))[1]


def set_working_week(db: Database, actor: User, agency_code: str, weekdays: Iterable[int | str]) -> str:
    """Set the ISO weekdays an agency works ("12345" = Monday–Friday); returns the stored text."""
    return save(db, actor, WeekToSet(agency_code, tuple(weekdays)))[1]


# ---- what the calendar page reads -------------------------------------------------------

@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    joint_leave: bool  # cuti bersama (the "government" category), not a public holiday


def holidays_of(year: int, language: str = "id") -> list[Holiday]:
    """The national holidays and cuti bersama deadlines skip in `year`, with their names."""
    language = language if language in holidays.country_holidays("ID").supported_languages else "en_US"
    named = holidays.country_holidays("ID", categories=("public", "government"), years=year, language=language)
    public = holidays.country_holidays("ID", categories=("public",), years=year)
    return [Holiday(day, named.get(day, ""), day not in public) for day in sorted(national_holidays(year))]


@lru_cache(maxsize=1)
def last_joint_leave_year() -> int | None:
    """The last year the holidays library lists cuti bersama for (later years need admin entries)."""
    years = [y for y in range(2020, 2061) if holidays.country_holidays("ID", categories=("government",), years=y)]
    return max(years) if years else None


def calendar_days(session: Session, year: int, agency_code: str | None = None) -> list[CalendarDay]:
    """The admin's days of a year: all of them, or (with `agency_code`) the national ones and that agency's."""
    query = select(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
    if agency_code:
        query = query.where((CalendarDay.agency_code == agency_code) | CalendarDay.agency_code.is_(None))
    return list(session.scalars(query.order_by(CalendarDay.day, CalendarDay.agency_code)))
