"""What super admins change in the working-day calendar, and what the calendar page reads.

Admins add extra days off and extra working days (for everyone or for one agency) and set
an agency's working week. Each command is one transaction, checks the actor, refuses bad
input with `InvalidCalendar` (field → problem code) and logs the change with its actor to the
"tindak.admin" logger. The caller reloads its SlaBook afterwards, so new deadlines see it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Iterable

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Database
from engine.errors import NotFound
from workflows import roles
from workflows.calendar import national_holidays
from workflows.commands import Forbidden
from workflows.models import Agency, User
from workflows.sla import CalendarDay

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


def add_day(db: Database, actor: User, day: date | str | None, kind: str, description: str = "",
            agency_code: str | None = None) -> CalendarDay:
    """Add an extra day off or working day, for everyone or (with `agency_code`) one agency."""
    _require(actor)
    description, agency_code = (description or "").strip(), (agency_code or "").strip() or None
    parsed = parse_day(day)
    problems = {}
    if not day:
        problems["day"] = "required"
    elif parsed is None:
        problems["day"] = "bad_date"
    elif not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        problems["day"] = "year_out_of_range"
    if kind not in KINDS:
        problems["kind"] = "unknown_kind"
    if len(description) > MAX_DESCRIPTION:
        problems["description"] = "too_long"
    with db.transaction() as session:
        if agency_code and _agency(session, agency_code) is None:
            problems["agency"] = "unknown_agency"
        if "day" not in problems and session.scalar(select(CalendarDay.id).where(
                CalendarDay.day == parsed,
                CalendarDay.agency_code.is_(None) if agency_code is None
                else CalendarDay.agency_code == agency_code)) is not None:
            problems["day"] = "duplicate_day"
        if problems:
            raise InvalidCalendar(problems)
        row = CalendarDay(day=parsed, kind=kind, description=description, agency_code=agency_code)
        session.add(row)
        session.flush()
        session.expunge(row)
    log.info("%s calendar_day_added %s kind=%s agency=%s", actor.username, parsed, kind, agency_code or "-")
    return row


def remove_day(db: Database, actor: User, day_id: int) -> CalendarDay:
    """Remove one of the admin's calendar days; returns the removed row (detached)."""
    _require(actor)
    with db.transaction() as session:
        row = session.get(CalendarDay, day_id)
        if row is None:
            raise CalendarDayNotFound(day_id)
        session.delete(row)
        session.flush()
        session.expunge(row)
    log.info("%s calendar_day_removed %s kind=%s agency=%s", actor.username, row.day, row.kind,
             row.agency_code or "-")
    return row


def set_working_week(db: Database, actor: User, agency_code: str, weekdays: Iterable[int | str]) -> str:
    """Set the ISO weekdays an agency works ("12345" = Monday–Friday); returns the stored text."""
    _require(actor)
    try:
        days = {int(d) for d in weekdays}
    except (TypeError, ValueError):
        raise InvalidCalendar({"weekdays": "bad_weekday"}) from None
    if not days <= set(WEEKDAYS):
        raise InvalidCalendar({"weekdays": "bad_weekday"})
    if not days:
        raise InvalidCalendar({"weekdays": "empty_week"})
    week = "".join(str(d) for d in sorted(days))
    with db.transaction() as session:
        agency = _agency(session, agency_code)
        if agency is None:
            raise InvalidCalendar({"agency": "unknown_agency"})
        old, agency.working_days = agency.working_days, week
    log.info("%s working_week_set %s old=%s new=%s", actor.username, agency_code, old, week)
    return week


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
