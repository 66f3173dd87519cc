"""The working-day calendar: national holidays with cuti bersama, admin exceptions, agency weeks."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from workflows.calendar import BusinessCalendar, end_of_day, parse_workweek

WIB = ZoneInfo("Asia/Jakarta")


def at(y, m, d, h=10):
    return datetime(y, m, d, h, 0, tzinfo=WIB)


def test_idul_fitri_and_cuti_bersama_are_skipped():
    # Tuesday 17 March 2026: Nyepi (19) and Idul Fitri 1447 H with cuti bersama (18, 20, 23, 24)
    due = BusinessCalendar().add_working_days(at(2026, 3, 17), 3)
    assert due == end_of_day(date(2026, 3, 27))
    assert due.astimezone(WIB).strftime("%H:%M:%S") == "23:59:59"
    assert due.tzinfo == timezone.utc


def test_a_deadline_crossing_new_year():
    # Tuesday 29 Dec 2026 + 5 working days: 30, 31 Dec, (1 Jan holiday), 4 Jan, (5 Jan Isra Mi'raj), 6, 7 Jan
    assert BusinessCalendar().add_working_days(at(2026, 12, 29), 5) == end_of_day(date(2027, 1, 7))


def test_an_admin_extra_day_off_and_extra_working_day():
    plain = BusinessCalendar().add_working_days(at(2026, 11, 23), 3)  # Monday → Thursday
    assert plain == end_of_day(date(2026, 11, 26))
    surprise = BusinessCalendar(extra_days_off={date(2026, 11, 25)})
    assert surprise.add_working_days(at(2026, 11, 23), 3) == end_of_day(date(2026, 11, 27))
    saturday = BusinessCalendar(extra_working_days={date(2026, 11, 28)})
    assert saturday.add_working_days(at(2026, 11, 26), 2) == end_of_day(date(2026, 11, 28))


def test_an_agency_that_works_saturdays():
    calendar = BusinessCalendar(agency_workweeks={"puskesmas-kota": parse_workweek("123456")})
    friday = at(2026, 11, 27)
    assert calendar.add_working_days(friday, 1, "puskesmas-kota") == end_of_day(date(2026, 11, 28))
    assert calendar.add_working_days(friday, 1, "dinkes-kalbar") == end_of_day(date(2026, 11, 30))


def test_working_hours_run_in_office_time():
    friday_3pm = at(2026, 11, 27, 15)
    due = BusinessCalendar().add_working_hours(friday_3pm, 3)  # 1 h on Friday, 2 h on Monday
    assert due.astimezone(WIB) == datetime(2026, 11, 30, 10, 0, tzinfo=WIB)


def test_late_by_working_days():
    calendar = BusinessCalendar()
    due = end_of_day(date(2026, 11, 27))  # Friday
    assert calendar.working_days_between(due, at(2026, 12, 1)) == 2  # Mon, Tue
    assert calendar.working_days_between(due, at(2026, 11, 26)) == -1
