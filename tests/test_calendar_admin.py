"""Calendar commands: extra days off and working days, an agency's working week, and deadlines after them."""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from workflows import calendar_admin
from workflows.calendar_admin import InvalidCalendar
from workflows.commands import Forbidden
from workflows.models import Agency, User
from workflows.sla import CalendarDay, SlaBook

TUESDAY = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 16, 59, 59, tzinfo=timezone.utc)  # 23:59:59 WIB


def user(db, username: str) -> User:
    with db.session() as s:
        return s.scalars(select(User).where(User.username == username)).one()


@pytest.fixture
def admin(db):
    return user(db, "admin")


def days(db) -> list[tuple[date, str, str | None]]:
    with db.session() as s:
        return [(d.day, d.kind, d.agency_code) for d in s.scalars(select(CalendarDay).order_by(CalendarDay.day))]


def test_add_and_remove_days(db, admin, caplog):
    caplog.set_level(logging.INFO, logger="tindak.admin")
    off = calendar_admin.add_day(db, admin, "2026-11-25", "off", " Pilkada ")
    working = calendar_admin.add_day(db, admin, date(2026, 11, 28), "working", "Sabtu pengganti", "dinkes-kalbar")
    assert (off.description, off.agency_code) == ("Pilkada", None)
    assert days(db) == [(date(2026, 11, 25), "off", None), (date(2026, 11, 28), "working", "dinkes-kalbar")]
    # the same day may be listed once nationally and once per agency
    calendar_admin.add_day(db, admin, "2026-11-25", "working", "", "dinkes-kalbar")
    removed = calendar_admin.remove_day(db, admin, working.id)
    assert removed.day == date(2026, 11, 28)
    assert [d[0] for d in days(db)] == [date(2026, 11, 25), date(2026, 11, 25)]
    assert "admin calendar_day_added 2026-11-25 kind=off agency=-" in caplog.text
    assert "admin calendar_day_removed 2026-11-28" in caplog.text


@pytest.mark.parametrize("args, problems", [
    (("", "off"), {"day": "required"}),
    (("2026-02-30", "off"), {"day": "bad_date"}),
    (("25/11/2026", "off"), {"day": "bad_date"}),
    (("1899-01-01", "off"), {"day": "year_out_of_range"}),
    (("2026-11-25", "holiday"), {"kind": "unknown_kind"}),
    (("2026-11-25", "off", "x" * 201), {"description": "too_long"}),
    (("2026-11-25", "off", "", "no-such-agency"), {"agency": "unknown_agency"}),
    (("nope", "maybe", "", "no-such-agency"), {"day": "bad_date", "kind": "unknown_kind", "agency": "unknown_agency"}),
])
def test_bad_input_is_refused_with_its_fields(db, admin, args, problems):
    with pytest.raises(InvalidCalendar) as refused:
        calendar_admin.add_day(db, admin, *args)
    assert refused.value.fields == problems
    assert days(db) == []


@pytest.mark.parametrize("agency", [None, "dinkes-kalbar"])
def test_a_day_is_listed_once_per_agency(db, admin, agency):
    calendar_admin.add_day(db, admin, "2026-11-25", "off", "", agency)
    with pytest.raises(InvalidCalendar) as refused:
        calendar_admin.add_day(db, admin, "2026-11-25", "working", "", agency)
    assert refused.value.fields == {"day": "duplicate_day"}
    assert len(days(db)) == 1


def test_removing_an_unknown_day_is_not_found(db, admin):
    with pytest.raises(calendar_admin.CalendarDayNotFound):
        calendar_admin.remove_day(db, admin, 999)


@pytest.mark.parametrize("username", ["dinkes.admin", "verifikator", "dinkes.penghubung", "perancang"])
def test_only_super_admins_change_the_calendar(db, username):
    actor = user(db, username)
    with pytest.raises(Forbidden):
        calendar_admin.add_day(db, actor, "2026-11-25", "off")
    with pytest.raises(Forbidden):
        calendar_admin.set_working_week(db, actor, "dinkes-kalbar", [1, 2, 3, 4, 5, 6])
    assert days(db) == []


def test_working_week(db, admin):
    assert calendar_admin.set_working_week(db, admin, "dinkes-kalbar", ["6", "1", "2", "3", "4", "5"]) == "123456"
    with db.session() as s:
        assert s.scalar(select(Agency.working_days).where(Agency.code == "dinkes-kalbar")) == "123456"


@pytest.mark.parametrize("agency, weekdays, problems", [
    ("dinkes-kalbar", [], {"weekdays": "empty_week"}),
    ("dinkes-kalbar", ["8"], {"weekdays": "bad_weekday"}),
    ("dinkes-kalbar", ["mon"], {"weekdays": "bad_weekday"}),
    ("no-such-agency", [1, 2], {"agency": "unknown_agency"}),
])
def test_bad_working_week_is_refused(db, admin, agency, weekdays, problems):
    with pytest.raises(InvalidCalendar) as refused:
        calendar_admin.set_working_week(db, admin, agency, weekdays)
    assert refused.value.fields == problems


def test_the_sla_book_sees_changes_after_reload(db, admin):
    book = SlaBook(db)
    book.reload()
    # 5 working days from Tuesday 24 Nov 2026: Tuesday 1 Dec
    assert book.due("first_response", start=TUESDAY) == end_of(date(2026, 12, 1))
    calendar_admin.add_day(db, admin, "2026-11-26", "off", "Libur daerah")
    calendar_admin.add_day(db, admin, "2026-11-28", "working", "Sabtu pengganti", "pupr-kalbar")
    calendar_admin.set_working_week(db, admin, "dinkes-kalbar", [1, 2, 3, 4, 5, 6])
    assert book.due("first_response", start=TUESDAY) == end_of(date(2026, 12, 1))  # not reloaded yet
    book.reload()
    assert book.due("first_response", start=TUESDAY) == end_of(date(2026, 12, 2))  # Thursday off
    # pupr works Saturday 28 Nov once, dinkes every Saturday: each gains that day back
    assert book.due("first_response", agency="pupr-kalbar", start=TUESDAY) == end_of(date(2026, 12, 1))
    assert book.due("first_response", agency="dinkes-kalbar", start=TUESDAY) == end_of(date(2026, 12, 1))
    assert book.due("first_response", agency="disdik-kalbar", start=TUESDAY) == end_of(date(2026, 12, 2))
    assert book.due("first_response", agency="dinkes-kalbar", start=datetime(2026, 12, 7, 3, tzinfo=timezone.utc)) \
        == end_of(date(2026, 12, 12))  # Monday + 5 = Saturday for dinkes
    assert book.calendar.is_working_day(date(2026, 11, 26)) is False


def test_holidays_of_a_year_with_names(db):
    listed = {h.day: h for h in calendar_admin.holidays_of(2026, "id")}
    assert listed[date(2026, 8, 17)].name == "Hari Kemerdekaan Republik Indonesia"
    assert not listed[date(2026, 8, 17)].joint_leave
    assert listed[date(2026, 12, 24)].joint_leave  # cuti bersama Natal
    assert any(h.name == "Independence Day" for h in calendar_admin.holidays_of(2026, "en_US"))
    assert calendar_admin.last_joint_leave_year() >= 2027


def test_calendar_days_of_a_year_and_agency(db, admin):
    calendar_admin.add_day(db, admin, "2026-11-25", "off", "", None)
    calendar_admin.add_day(db, admin, "2026-11-26", "off", "", "dinkes-kalbar")
    calendar_admin.add_day(db, admin, "2026-11-27", "off", "", "pupr-kalbar")
    calendar_admin.add_day(db, admin, "2027-01-04", "off", "", None)
    with db.session() as s:
        assert [d.day.day for d in calendar_admin.calendar_days(s, 2026)] == [25, 26, 27]
        assert [d.day.day for d in calendar_admin.calendar_days(s, 2026, "dinkes-kalbar")] == [25, 26]
        assert [d.day.year for d in calendar_admin.calendar_days(s, 2027)] == [2027]
