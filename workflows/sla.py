"""SLA policies from the database: how long each stage may take, per category and agency.

Diagrams never hold durations: a timer's expression calls `sla_due("first_response",
category, lead_agency)` and admins set the length here. Defaults come from docs/domain.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.clock import now
from engine.db import Base, Database, UTCDateTime
from workflows.calendar import BusinessCalendar, parse_workweek
from workflows.reread import Reread

UNITS = ("working_days", "calendar_days", "working_hours", "hours")

# key, Indonesian label, duration, unit (docs/domain.md, "The process, with default deadlines")
DEFAULTS = [
    ("verification", "Verifikasi", 3, "working_days"),
    ("agency_disposition", "Disposisi di instansi", 3, "working_days"),
    ("first_response", "Tindak lanjut pertama", 5, "working_days"),
    ("coordination_reply", "Jawaban koordinasi", 5, "working_days"),
    ("reporter_reply", "Tanggapan pelapor", 10, "working_days"),
    ("completion", "Penyelesaian", 60, "calendar_days"),
]
DEFAULT_YELLOW_SHARE = 0.75


class SlaPolicy(Base):
    """One duration: the default for a key, or an override for a category and/or an agency."""

    __tablename__ = "sla_policy"
    __table_args__ = (UniqueConstraint("key", "category_code", "agency_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(50), index=True)
    label: Mapped[str] = mapped_column(String(200))
    duration: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    yellow_share: Mapped[float] = mapped_column(Float, default=DEFAULT_YELLOW_SHARE)
    category_code: Mapped[str | None] = mapped_column(String(100))
    agency_code: Mapped[str | None] = mapped_column(String(100))


class SlaChange(Base):
    """Who changed which SLA when, from what to what, and whether running cases were moved."""

    __tablename__ = "sla_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_key: Mapped[str] = mapped_column(String(50), index=True)
    category_code: Mapped[str | None] = mapped_column(String(100))
    agency_code: Mapped[str | None] = mapped_column(String(100))
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    applied_to_running: Mapped[bool] = mapped_column(Boolean, default=False)
    cases_moved: Mapped[int] = mapped_column(Integer, default=0)


class CalendarDay(Base):
    """An admin's exception to the calendar: an extra day off or an extra working day."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("day", "agency_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(10))  # off | working
    description: Mapped[str] = mapped_column(String(200), default="")
    agency_code: Mapped[str | None] = mapped_column(String(100))


class CalendarChange(Base):
    """Who changed the working-day calendar when, from what to what, and whether running cases
    were moved: a day added or removed (`old`/`new`: {day, kind, description, agency}) or an
    agency's working week set (`old`/`new`: {agency, week})."""

    __tablename__ = "calendar_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # day_added | day_removed | week_set
    day: Mapped[date | None] = mapped_column(Date)
    agency_code: Mapped[str | None] = mapped_column(String(100))
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    old: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    applied_to_running: Mapped[bool] = mapped_column(Boolean, default=False)
    cases_moved: Mapped[int] = mapped_column(Integer, default=0)


def seed_defaults(session: Session) -> None:
    """The defaults of docs/domain.md, for keys that have no default row yet."""
    known = set(session.scalars(select(SlaPolicy.key).where(
        SlaPolicy.category_code.is_(None), SlaPolicy.agency_code.is_(None))))
    for key, label, duration, unit in DEFAULTS:
        if key not in known:
            session.add(SlaPolicy(key=key, label=label, duration=duration, unit=unit,
                                  yellow_share=DEFAULT_YELLOW_SHARE))


@dataclass(frozen=True)
class Rule:
    duration: int
    unit: str
    yellow_share: float

    def due(self, calendar: BusinessCalendar, start: datetime, agency: str | None) -> datetime:
        if self.unit == "working_days":
            return calendar.add_working_days(start, self.duration, agency)
        if self.unit == "calendar_days":
            return calendar.add_calendar_days(start, self.duration)
        if self.unit == "working_hours":
            return calendar.add_working_hours(start, self.duration, agency)
        return (start + timedelta(hours=self.duration)).astimezone(timezone.utc)


class UnknownSla(LookupError):
    pass


class SlaBook(Reread):
    """Policies and calendar as one process knows them, re-read at most every `ttl` seconds."""

    def __init__(self, db: Database | None, ttl: float = 30.0):
        super().__init__(db, ttl)
        self._rules: dict[tuple[str, str | None, str | None], Rule] = {}
        self.calendar = BusinessCalendar()

    def load(self, session: Session) -> None:
        """Read policies, calendar exceptions and agency weeks in the caller's session."""
        from workflows.models import Agency

        rules = {(p.key, p.category_code, p.agency_code): Rule(p.duration, p.unit, p.yellow_share)
                 for p in session.scalars(select(SlaPolicy))}
        calendar = BusinessCalendar()
        for row in session.scalars(select(CalendarDay)):
            if row.agency_code:
                target = calendar.agency_days_off if row.kind == "off" else calendar.agency_working_days
                target.setdefault(row.agency_code, set()).add(row.day)
            else:
                (calendar.extra_days_off if row.kind == "off" else calendar.extra_working_days).add(row.day)
        for code, week in session.execute(select(Agency.code, Agency.working_days)):
            if week and parse_workweek(week) != calendar.workweek:
                calendar.agency_workweeks[code] = parse_workweek(week)
        self._rules, self.calendar = rules, calendar
        self.loaded()

    def current_calendar(self) -> BusinessCalendar:
        """The calendar, re-read if it is older than the time-to-live."""
        self.fresh()
        return self.calendar

    def rule(self, key: str, category: str | None = None, agency: str | None = None,
             overrides: dict | None = None) -> Rule:
        """The most specific rule: category+agency, then agency, then category, then default.

        `overrides` {(key, category, agency): Rule} stands in for rows not saved yet (previews).
        """
        self.fresh()
        rules = {**self._rules, **(overrides or {})}
        for candidate in ((key, category, agency), (key, None, agency), (key, category, None), (key, None, None)):
            if candidate in rules:
                return rules[candidate]
        if not self._rules and self.db is None:  # no database (tests of diagrams alone)
            for k, _, duration, unit in DEFAULTS:
                if k == key:
                    return Rule(duration, unit, DEFAULT_YELLOW_SHARE)
        raise UnknownSla(f"no SLA policy '{key}'")

    def due(self, key: str, category: str | None = None, agency: str | None = None,
            start: datetime | None = None, overrides: dict | None = None,
            calendar: BusinessCalendar | None = None) -> datetime:
        rule = self.rule(key, category, agency, overrides)
        return rule.due(calendar or self.calendar, start or now(), agency)

    def warn_at(self, key: str, category: str | None = None, agency: str | None = None,
                start: datetime | None = None, overrides: dict | None = None,
                calendar: BusinessCalendar | None = None) -> datetime:
        """When a deadline turns yellow (its share of the time used)."""
        start = start or now()
        rule = self.rule(key, category, agency, overrides)
        due = rule.due(calendar or self.calendar, start, agency)
        return start + (due - start) * rule.yellow_share

    def script_functions(self, start: datetime | None = None, overrides: dict | None = None,
                         calendar: BusinessCalendar | None = None) -> dict:
        """What diagrams call: ISO 8601 UTC strings, as SpiffWorkflow's timers expect.

        With `start`, deadlines count from then instead of now (re-arming a timer); with
        `calendar`, on that calendar instead of the saved one (previewing a calendar change).
        """
        return {
            "sla_due": lambda key, category=None, agency=None:
                self.due(key, category, agency, start, overrides, calendar).isoformat(),
            "sla_warn_at": lambda key, category=None, agency=None:
                self.warn_at(key, category, agency, start, overrides, calendar).isoformat(),
        }
