"""Issue 13: a calendar change moves running cases when the admin applies it, like an SLA change.

Reported: a holiday added by an admin gave two complaints filed the same day deadlines of
7 and 8 December (the one filed before the holiday kept the old count). A calendar change
(day off or working day added or removed, an agency's working week) is previewed, saved,
audited and, when the admin chooses, applied to running cases' armed timers.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine.models import AuditEvent, HumanTask
from tests.casework import Case
from workflows import calendar_admin, calendar_changes
from workflows.calendar_admin import DayToAdd, DayToRemove, InvalidCalendar, WeekToSet
from workflows.models import User
from workflows.sla import CalendarChange, CalendarDay
from workflows.worker import fire_due_timers

WEDNESDAY = datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB
DINKES = "dinkes-kalbar"
DISPOSE = {"decision": "disposisi", "lead_agency": DINKES}


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 16, 59, 59, tzinfo=timezone.utc)  # 23:59:59 WIB


def user(db, username: str) -> User:
    with db.session() as s:
        return s.scalars(select(User).where(User.username == username)).one()


@pytest.fixture
def admin(db):
    return user(db, "admin")


def due(case: Case, element_id: str = "verify_complaint") -> datetime:
    [row] = [t for t in case.ready() if t.element_id == element_id]
    return row.due_at


def changes(db) -> list[CalendarChange]:
    with db.session() as s:
        return list(s.scalars(select(CalendarChange).order_by(CalendarChange.id)))


def test_a_holiday_applied_to_running_cases_gives_cases_of_one_day_one_deadline(db, process_engine, clock, admin):
    clock.at(WEDNESDAY)
    early = Case(db, process_engine, title="Lampu jalan mati")
    # Wednesday + 3 working days: Thursday 3, Friday 4, Monday 7 December
    assert due(early) == end_of(date(2026, 12, 7))
    change_id = calendar_changes.save(db, process_engine, admin, DayToAdd("2026-12-04", "off", "Libur daerah"))
    clock.at(WEDNESDAY + timedelta(hours=2))
    late = Case(db, process_engine, title="Jalan berlubang")
    assert (due(early), due(late)) == (end_of(date(2026, 12, 7)), end_of(date(2026, 12, 8)))  # as reported

    preview = calendar_changes.preview_saved(db, process_engine, change_id)
    assert (preview.cases, len(preview.moves)) == (1, 2)  # the early case's reminder and deadline
    assert {m.instance_id for m in preview.moves} == {early.instance_id}
    assert due(early) == end_of(date(2026, 12, 7))  # a preview changes nothing

    assert calendar_changes.apply_to_running(db, process_engine, "admin", change_id) == (1, None)
    assert due(early) == due(late) == end_of(date(2026, 12, 8))
    early.check_save_restore()
    [rearmed] = [e for e in early.events("timers_rearmed")]
    assert rearmed.data["reason"] == f"calendar_change:{change_id}"
    # applying again moves nothing more
    assert calendar_changes.apply_to_running(db, process_engine, "admin", change_id) == (0, None)

    [change] = changes(db)
    assert (change.kind, change.changed_by, change.old, change.applied_to_running, change.cases_moved) == (
        "day_added", "admin", None, True, 1)
    assert change.new == {"day": "2026-12-04", "kind": "off", "description": "Libur daerah", "agency": None}
    assert change.changed_at == WEDNESDAY


def test_preview_before_saving_counts_the_cases_and_changes_nothing(db, process_engine, clock, admin):
    clock.at(WEDNESDAY)
    cases = [Case(db, process_engine) for _ in range(2)]
    preview = calendar_changes.preview(db, process_engine, DayToAdd("2026-12-04", "off", "Libur daerah"))
    assert preview.cases == 2 and len(preview.moves) == 4
    assert {m.new_due for m in preview.moves if m.element_id == "verify_complaint_deadline"} == {
        end_of(date(2026, 12, 8))}
    assert preview.overdue_now == []
    assert changes(db) == []
    with db.session() as s:
        assert s.scalar(select(CalendarDay.id)) is None
    assert {due(c) for c in cases} == {end_of(date(2026, 12, 7))}
    # a day outside every running deadline moves nothing
    assert calendar_changes.preview(db, process_engine, DayToAdd("2027-03-01", "off", "")).cases == 0


def test_a_later_deadline_moves_and_fires_at_its_new_time(db, process_engine, clock, admin):
    clock.at(WEDNESDAY)
    case = Case(db, process_engine)
    change_id = calendar_changes.save(db, process_engine, admin, DayToAdd("2026-12-04", "off", "Libur daerah"))
    calendar_changes.apply_to_running(db, process_engine, "admin", change_id)
    clock.at(end_of(date(2026, 12, 7)) + timedelta(minutes=1))
    fire_due_timers(db, process_engine)
    assert "verification_overdue" not in case.ready_elements()  # the old deadline no longer fires
    clock.at(end_of(date(2026, 12, 8)) + timedelta(minutes=1))
    fire_due_timers(db, process_engine)
    assert "verification_overdue" in case.ready_elements()


def test_removing_the_holiday_moves_them_back(db, process_engine, clock, admin):
    clock.at(WEDNESDAY)
    day = calendar_admin.add_day(db, admin, "2026-12-04", "off", "Libur daerah")
    process_engine.sla_book.reload()
    case = Case(db, process_engine)
    assert due(case) == end_of(date(2026, 12, 8))
    preview = calendar_changes.preview(db, process_engine, DayToRemove(day.id))
    assert preview.cases == 1
    change_id = calendar_changes.save(db, process_engine, admin, DayToRemove(day.id))
    assert calendar_changes.apply_to_running(db, process_engine, "admin", change_id)[0] == 1
    assert due(case) == end_of(date(2026, 12, 7))
    [added, removed] = changes(db)  # the command used directly is audited too
    assert (added.kind, removed.kind) == ("day_added", "day_removed")
    assert removed.old == added.new and removed.new is None


def test_an_agency_working_week_moves_only_that_agency_s_cases(db, process_engine, clock, admin):
    clock.at(WEDNESDAY)
    dinkes = Case(db, process_engine).do("verify_complaint", DISPOSE, "verifikator")
    pupr = Case(db, process_engine).do("verify_complaint", DISPOSE | {"lead_agency": "pupr-kalbar"}, "verifikator")
    # Wednesday + 5 working days: Thu 3, Fri 4, Mon 7, Tue 8, Wed 9
    assert due(dinkes, "follow_up") == due(pupr, "follow_up") == end_of(date(2026, 12, 9))
    request = WeekToSet(DINKES, ("1", "2", "3", "4", "5", "6"))
    preview = calendar_changes.preview(db, process_engine, request)
    assert {m.instance_id for m in preview.moves} == {dinkes.instance_id}
    change_id = calendar_changes.save(db, process_engine, admin, request)
    calendar_changes.apply_to_running(db, process_engine, "admin", change_id)
    # with Saturdays: Thu 3, Fri 4, Sat 5, Mon 7, Tue 8
    assert due(dinkes, "follow_up") == end_of(date(2026, 12, 8))
    assert due(pupr, "follow_up") == end_of(date(2026, 12, 9))
    [change] = changes(db)
    assert (change.kind, change.agency_code, change.old, change.new) == (
        "week_set", DINKES, {"agency": DINKES, "week": "12345"}, {"agency": DINKES, "week": "123456"})


def test_an_sla_change_saved_for_new_deadlines_only_stays_that_way(db, process_engine, clock, admin):
    """Applying a calendar change moves only the timers that change touches, counted with the
    policies as they are now; a timer the day does not touch keeps its deadline."""
    from workflows.sla_changes import SlaEdit, save_policy

    clock.at(WEDNESDAY)
    case = Case(db, process_engine).do("verify_complaint", DISPOSE, "verifikator")
    save_policy(db, process_engine, "admin", SlaEdit("first_response", 2, "working_days"))
    change_id = calendar_changes.save(db, process_engine, admin, DayToAdd("2026-12-14", "off", ""))
    assert calendar_changes.apply_to_running(db, process_engine, "admin", change_id) == (0, None)
    assert due(case, "follow_up") == end_of(date(2026, 12, 9))


def test_bad_changes_are_refused_before_a_preview(db, process_engine, admin):
    with pytest.raises(InvalidCalendar) as refused:
        calendar_changes.preview(db, process_engine, DayToAdd("2026-02-30", "off", ""))
    assert refused.value.fields == {"day": "bad_date"}
    with pytest.raises(InvalidCalendar):
        calendar_changes.preview(db, process_engine, WeekToSet(DINKES, ()))
    with pytest.raises(calendar_admin.CalendarDayNotFound):
        calendar_changes.preview(db, process_engine, DayToRemove(999))
    assert changes(db) == []


def test_the_history_lists_every_change_newest_first(db, process_engine, clock, admin):
    clock.at(WEDNESDAY)
    calendar_changes.save(db, process_engine, admin, DayToAdd("2026-12-04", "off", "Libur daerah"))
    clock.at(WEDNESDAY + timedelta(hours=1))
    calendar_admin.set_working_week(db, admin, DINKES, [1, 2, 3, 4, 5, 6])
    with db.session() as s:
        page = calendar_changes.history(s, page=1, per_page=20)
    assert page.total == 2 and [c.kind for c in page.rows] == ["week_set", "day_added"]


def test_a_rearm_leaves_the_audit_of_the_case(db, process_engine, clock, admin):
    clock.at(WEDNESDAY)
    case = Case(db, process_engine)
    change_id = calendar_changes.save(db, process_engine, admin, DayToAdd("2026-12-04", "off", ""))
    calendar_changes.apply_to_running(db, process_engine, "admin", change_id)
    with db.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.process_instance_id == case.instance_id,
                                                   AuditEvent.kind == "timers_rearmed")).one()
        rows = s.scalars(select(HumanTask).where(HumanTask.process_instance_id == case.instance_id)).all()
    assert {t["element_id"] for t in event.data["timers"]} == {"verify_complaint_reminder",
                                                               "verify_complaint_deadline"}
    assert [r.due_at for r in rows] == [end_of(date(2026, 12, 8))]
