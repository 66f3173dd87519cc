"""Working days in Asia/Jakarta: Monday–Friday minus national holidays and cuti bersama.

Holidays come from `holidays` (public and government categories, i.e. including cuti
bersama); admins add extra days off and extra working days (their table outlives the
library's tables, which end in 2027), and an agency may work a different week.
Deadlines end at the end of their last working day, Jakarta time, returned as aware UTC.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

JAKARTA = ZoneInfo("Asia/Jakarta")
MONDAY_TO_FRIDAY = frozenset({1, 2, 3, 4, 5})  # ISO weekdays
OFFICE_OPENS, OFFICE_CLOSES = time(8, 0), time(16, 0)


@lru_cache(maxsize=32)
def national_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("ID", categories=("public", "government"), years=year))


def parse_workweek(text: str | None) -> frozenset[int]:
    """'12345' (Mon–Fri) or '123456' (Mon–Sat) → ISO weekday numbers."""
    days = frozenset(int(c) for c in (text or "") if c in "1234567")
    return days or MONDAY_TO_FRIDAY


@dataclass
class BusinessCalendar:
    extra_days_off: set[date] = field(default_factory=set)
    extra_working_days: set[date] = field(default_factory=set)
    workweek: frozenset[int] = MONDAY_TO_FRIDAY
    # per agency: its own week, and its own extra days off / working days
    agency_workweeks: dict[str, frozenset[int]] = field(default_factory=dict)
    agency_days_off: dict[str, set[date]] = field(default_factory=dict)
    agency_working_days: dict[str, set[date]] = field(default_factory=dict)

    def is_working_day(self, day: date, agency: str | None = None) -> bool:
        if day in self.agency_working_days.get(agency or "", ()) or day in self.extra_working_days:
            return True
        if day in self.agency_days_off.get(agency or "", ()) or day in self.extra_days_off:
            return False
        if day.isoweekday() not in self.agency_workweeks.get(agency or "", self.workweek):
            return False
        return day not in national_holidays(day.year)

    def add_working_days(self, start: datetime, days: int, agency: str | None = None) -> datetime:
        """The end (23:59:59 WIB) of the `days`-th working day after the day of `start`."""
        day = start.astimezone(JAKARTA).date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day, agency):
                counted += 1
        return end_of_day(day)

    def add_calendar_days(self, start: datetime, days: int) -> datetime:
        """The end (23:59:59 WIB) of the `days`-th day after the day of `start`."""
        return end_of_day(start.astimezone(JAKARTA).date() + timedelta(days=days))

    def add_working_hours(self, start: datetime, hours: float, agency: str | None = None) -> datetime:
        """`hours` of office time (08:00–16:00 WIB on working days) after `start`."""
        remaining = timedelta(hours=hours)
        moment = start.astimezone(JAKARTA)
        while True:
            day = moment.date()
            if self.is_working_day(day, agency):
                opens = datetime.combine(day, OFFICE_OPENS, JAKARTA)
                closes = datetime.combine(day, OFFICE_CLOSES, JAKARTA)
                moment = max(moment, opens)
                if moment < closes:
                    if moment + remaining <= closes:
                        return (moment + remaining).astimezone(timezone.utc)
                    remaining -= closes - moment
            moment = datetime.combine(day + timedelta(days=1), time.min, JAKARTA)

    def working_days_between(self, start: datetime, end: datetime, agency: str | None = None) -> int:
        """Whole working days after the day of `start` up to and including the day of `end` (negative if earlier)."""
        a, b = start.astimezone(JAKARTA).date(), end.astimezone(JAKARTA).date()
        sign = 1 if b >= a else -1
        a, b = min(a, b), max(a, b)
        count = sum(1 for n in range(1, (b - a).days + 1) if self.is_working_day(a + timedelta(days=n), agency))
        return sign * count


def end_of_day(day: date) -> datetime:
    """23:59:59 Jakarta time of that day, as aware UTC."""
    return datetime.combine(day, time(23, 59, 59), JAKARTA).astimezone(timezone.utc)
