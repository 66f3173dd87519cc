"""Changing the working-day calendar: previewed, saved with its audit row, and optionally
applied to running cases, as an SLA change is (workflows/sla_changes.py).

A day added or removed, or an agency's working week, changes the deadlines counted in working
days or working hours. By default it applies to timers armed afterwards; applying it moves the
armed timers of running cases (engine/rearm.py), one chunk of cases per transaction, so an
interrupted run can simply be started again.

Which timers move: those whose deadline this change alters. Each timer is counted again from
the moment it was armed with the SLA policies as they are now, once on the calendar without
the change and once with it; only where the two differ does the timer move (to the second).
A timer the change does not reach keeps its due time, even if it was set under an older
policy or calendar that was saved "for new deadlines only".
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import rearm
from engine.db import Database
from workflows import calendar_admin
from workflows.calendar import BusinessCalendar, parse_workweek
from workflows.calendar_admin import CalendarEdit, CalendarRequest
from workflows.models import User
from workflows.paging import Page, paginate
from workflows.process import ComplaintEngine
from workflows.sla import CalendarChange
from workflows.sla_changes import Preview, rearm_running

_USES_SLA = re.compile(r"\bsla_(?:due|warn_at)\(")


def uses_sla(expression: str) -> bool:
    """Whether a timer expression counts a deadline from the SLA policies (and so the calendar)."""
    return bool(_USES_SLA.search(expression))


# ---- a calendar with one entry more or less --------------------------------------------------

def _without(calendar: BusinessCalendar, entry: dict | None) -> BusinessCalendar:
    """The calendar without a day entry (a week entry is replaced by `_with`, never removed)."""
    if entry is None or "day" not in entry:
        return calendar
    day, agency = date.fromisoformat(entry["day"]), entry.get("agency")
    if agency:
        target = calendar.agency_days_off if entry["kind"] == "off" else calendar.agency_working_days
        target.get(agency, set()).discard(day)
    else:
        (calendar.extra_days_off if entry["kind"] == "off" else calendar.extra_working_days).discard(day)
    return calendar


def _with(calendar: BusinessCalendar, entry: dict | None) -> BusinessCalendar:
    if entry is None:
        return calendar
    agency = entry.get("agency")
    if "week" in entry:
        calendar.agency_workweeks[entry["agency"]] = parse_workweek(entry["week"])  # a week is an agency's
        return calendar
    day = date.fromisoformat(entry["day"])
    if agency:
        target = calendar.agency_days_off if entry["kind"] == "off" else calendar.agency_working_days
        target.setdefault(agency, set()).add(day)
    else:
        (calendar.extra_days_off if entry["kind"] == "off" else calendar.extra_working_days).add(day)
    return calendar


def with_change(calendar: BusinessCalendar, old: dict | None, new: dict | None) -> BusinessCalendar:
    """A copy of `calendar` where `old` is replaced by `new` (either may be None)."""
    return _with(_without(copy.deepcopy(calendar), old), new)


# ---- preview, save, apply ----------------------------------------------------------------------

@dataclass
class CalendarPreview(Preview):
    edit: CalendarEdit | None = None  # the change previewed, as checked


def _preview(db: Database, engine: ComplaintEngine, before: BusinessCalendar, after: BusinessCalendar,
             instance_ids: list[int] | None, edit: CalendarEdit | None = None) -> CalendarPreview:
    book = engine.sla_book
    with db.session() as session:
        ids = instance_ids if instance_ids is not None else rearm.running_with_timers(session)
        moves = rearm.preview(session, engine, ids, uses_sla,
                              lambda start: book.script_functions(start, calendar=after),
                              unchanged_at=lambda start: book.script_functions(start, calendar=before))
    return CalendarPreview(moves, edit)


def preview(db: Database, engine: ComplaintEngine, request: CalendarRequest,
            instance_ids: list[int] | None = None) -> CalendarPreview:
    """What saving and applying `request` would move in running cases; nothing is changed.

    Raises what `calendar_admin.check` raises for a bad request.
    """
    with db.session() as session:
        edit = calendar_admin.check(session, request)
    book = engine.sla_book
    book.reload()  # the calendar as saved now, whichever process changed it
    return _preview(db, engine, book.calendar, with_change(book.calendar, edit.old, edit.new), instance_ids, edit)


def _calendars_of(engine: ComplaintEngine, change: CalendarChange) -> tuple[BusinessCalendar, BusinessCalendar]:
    """The calendar without this saved change, and the calendar now (changes made since included)."""
    book = engine.sla_book
    book.reload()
    now = book.calendar
    return with_change(now, change.new, change.old), now


def preview_saved(db: Database, engine: ComplaintEngine, change_id: int) -> CalendarPreview:
    """What applying a saved change to running cases would move now."""
    before, after = _calendars_of(engine, _change(db, change_id))
    return _preview(db, engine, before, after, None)


def save(db: Database, engine: ComplaintEngine, actor: User, request: CalendarRequest) -> int:
    """Save a change for deadlines set from now on (and log it); returns the change id."""
    change, _subject = calendar_admin.save(db, actor, request)
    engine.sla_book.reload()
    return change.id


def _change(db: Database, change_id: int) -> CalendarChange:
    with db.session() as session:
        change = session.get(CalendarChange, change_id)
    if change is None:
        raise LookupError(change_id)
    return change


def get(db: Database, change_id: int) -> CalendarChange | None:
    with db.session() as session:
        return session.get(CalendarChange, change_id)


def apply_to_running(db: Database, engine: ComplaintEngine, actor: str, change_id: int, batch: int | None = None,
                     after_id: int = 0, progress: Callable[[int, int], None] | None = None) -> tuple[int, int | None]:
    """Move the timers of running cases that a saved calendar change alters, from case id `after_id` on.

    Returns (cases moved in this call, the last case id handled, or None when done). Call again
    with that id to continue; a repeated call finds nothing left to move.
    """
    before, after = _calendars_of(engine, _change(db, change_id))
    book = engine.sla_book
    moved, last = rearm_running(
        db, engine, actor, f"calendar_change:{change_id}", uses_sla,
        lambda start: book.script_functions(start, calendar=after), batch, after_id, progress,
        unchanged_at=lambda start: book.script_functions(start, calendar=before))
    with db.transaction() as session:
        change = session.get(CalendarChange, change_id)
        assert change is not None  # read above, and changes are never deleted
        change.applied_to_running = True
        change.cases_moved = (change.cases_moved or 0) + moved
    return moved, last


def history(session: Session, page: int = 1, per_page: int = 20) -> Page:
    """The calendar's changes, newest first, a page at a time."""
    return paginate(session, select(CalendarChange).order_by(CalendarChange.changed_at.desc(),
                                                             CalendarChange.id.desc()), page, per_page)

