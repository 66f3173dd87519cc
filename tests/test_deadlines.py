"""Issue 13: a task keeps its due date once its deadline has passed.

The deadline timers of verification and follow-up are non-interrupting: when they fire, the
officer keeps the task and an escalation task appears beside it. The task is then overdue,
and every place that counts or filters overdue work (task list, badges, dashboard, SLA
history) must say so, on SQLite and PostgreSQL alike. Timers are fired the way the worker
fires them, with the engine clock frozen past the deadline.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.models import HumanTask
from tests.casework import Case
from tests.conftest import MONDAY
from workflows import roles
from workflows.dashboard import dashboard
from workflows.models import User
from workflows.sla_history import sla_history
from workflows.task_lists import TaskFilter, task_page
from workflows.worker import fire_due_timers

CATEGORY = "infrastruktur"
DINKES = "dinkes-kalbar"
DISPOSE = {"decision": "disposisi", "lead_agency": DINKES}


def user(db, username: str) -> User:
    with db.session() as s:
        return s.scalars(select(User).where(User.username == username)).one()


def rows_of(case: Case, element_id: str) -> list[HumanTask]:
    with case.db.session() as s:
        return list(s.scalars(select(HumanTask).where(
            HumanTask.process_instance_id == case.instance_id, HumanTask.element_id == element_id)))


def overdue_in_list(db, username: str, tab: str) -> list[str]:
    with db.session() as s:
        page = task_page(s, user(db, username), tab, TaskFilter(overdue=True))
        red = task_page(s, user(db, username), tab, TaskFilter(sla="red"))
    assert page.total == len(page.rows) == red.total
    return sorted(r.tracking_id for r in page.rows)


def red_tasks(db, username: str) -> int:
    with db.session() as s:
        return dashboard(s, user(db, username)).totals.tasks.get("red", 0)


@pytest.fixture
def two_cases(db, process_engine, clock):
    """Two complaints filed on Monday morning, both waiting for verification."""
    return [Case(db, process_engine, title=t) for t in ("Lampu jalan mati", "Jalan berlubang")]


def test_verification_keeps_its_due_date_after_the_deadline_fires(db, process_engine, clock, two_cases):
    due = process_engine.sla_book.due("verification", CATEGORY, None, start=MONDAY)
    assert [rows_of(c, "verify_complaint")[0].due_at for c in two_cases] == [due, due]

    clock.at(due + timedelta(minutes=1))
    assert fire_due_timers(db, process_engine) == 2  # reminder and deadline fire, escalation opens
    for case in two_cases:
        assert case.ready_elements() == ["verification_overdue", "verify_complaint"]
        [task] = rows_of(case, "verify_complaint")
        assert (task.state, task.due_at) == ("ready", due)

    tracking = sorted(c.complaint.tracking_id for c in two_cases)
    assert overdue_in_list(db, "verifikator", "team") == tracking
    assert red_tasks(db, "admin") == 2
    assert red_tasks(db, "verifikator") == 2
    with db.session() as s:
        [stage] = sla_history(s, process_engine.sla_book.current_calendar(), two_cases[0].instance_id)
    assert stage.late and stage.open and stage.due_at == due


def test_the_due_date_stays_until_the_task_ends_and_counts_as_late(db, process_engine, clock):
    case = Case(db, process_engine).do("verify_complaint", DISPOSE, "verifikator")
    [follow] = rows_of(case, "follow_up")
    assert follow.due_at is not None
    clock.at(follow.due_at + timedelta(hours=1))
    assert fire_due_timers(db, process_engine) == 1
    assert rows_of(case, "follow_up")[0].due_at == follow.due_at
    assert overdue_in_list(db, "dinkes.kepala", "agency") == [case.complaint.tracking_id]

    # something else happens on the case (a second timer round, a re-save): still due
    assert fire_due_timers(db, process_engine) == 0
    case.do("follow_up", {"decision": "jawab", "answer": "Sudah ditangani."}, "dinkes.penghubung")
    [done] = rows_of(case, "follow_up")
    assert (done.state, done.due_at) == ("completed", follow.due_at)
    with db.session() as s:
        counts = dashboard(s, user(db, "admin")).totals
    assert (counts.done_with_deadline, counts.done_on_time) >= (1, 0)
    assert counts.done_on_time < counts.done_with_deadline


# -- through the web pages ----------------------------------------------------------------------

def test_overdue_filter_badges_and_dashboard_agree_after_the_timer_fired(
        client, auth, db, process_engine, clock, two_cases):
    due = process_engine.sla_book.due("verification", CATEGORY, None, start=MONDAY)
    clock.at(due + timedelta(minutes=1))
    assert fire_due_timers(db, process_engine) == 2
    tracking = sorted(c.complaint.tracking_id for c in two_cases)

    auth.login("verifikator")
    listed = client.get("/tasks/?tab=team&overdue=1").get_data(as_text=True)
    assert sorted(re.findall(r'data-tracking-id="([^"]+)"', listed)) == tracking
    assert re.findall(r'data-sla="(\w+)"', listed) == ["red", "red"]
    board = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-testid="total-red"[^>]*>2<', board)
    auth.logout()

    auth.login("admin")
    board = client.get("/dashboard").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="total-red">(\d+)<', board)
    assert link and link.group(2) == "2"
    target = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert sorted(re.findall(r'data-tracking-id="([^"]+)"', target)) == tracking


def test_the_escalation_beside_an_overdue_task_has_no_due_date_of_its_own(db, process_engine, clock, two_cases):
    """The escalation is counted apart from the overdue task, as a task without deadline."""
    due = process_engine.sla_book.due("verification", CATEGORY, None, start=MONDAY)
    clock.at(due + timedelta(minutes=1))
    fire_due_timers(db, process_engine)
    [escalation] = rows_of(two_cases[0], "verification_overdue")
    assert (escalation.role, escalation.due_at) == (roles.SUPER_ADMIN, None)


# -- repairing rows the old projection emptied ----------------------------------------------------

def test_due_dates_lost_before_the_fix_are_restored_once(db, process_engine, clock, two_cases):
    from sqlalchemy import update

    from workflows.deadlines import restore_due_dates

    due = process_engine.sla_book.due("verification", CATEGORY, None, start=MONDAY)
    clock.at(due + timedelta(minutes=1))
    fire_due_timers(db, process_engine)
    with db.transaction() as s:  # what the projection used to leave behind
        s.execute(update(HumanTask).where(HumanTask.element_id == "verify_complaint").values(due_at=None))
    assert overdue_in_list(db, "verifikator", "team") == []
    versions = [c.instance().version for c in two_cases]

    assert restore_due_dates(db, process_engine) == 2
    assert [rows_of(c, "verify_complaint")[0].due_at for c in two_cases] == [due, due]
    assert [rows_of(c, "verification_overdue")[0].due_at for c in two_cases] == [None, None]  # none to give
    assert [c.instance().version for c in two_cases] == versions  # the workflows are untouched
    assert len(overdue_in_list(db, "verifikator", "team")) == 2
    assert restore_due_dates(db, process_engine) == 0


def test_the_repair_command(db, process_engine, clock, two_cases, monkeypatch):
    from click.testing import CliRunner
    from sqlalchemy import update

    from webapp.cli import main

    due = process_engine.sla_book.due("verification", CATEGORY, None, start=MONDAY)
    clock.at(due + timedelta(minutes=1))
    fire_due_timers(db, process_engine)
    with db.transaction() as s:
        s.execute(update(HumanTask).where(HumanTask.element_id == "verify_complaint").values(due_at=None))
    monkeypatch.setenv("TINDAK_DATABASE_URL", db.url)
    result = CliRunner().invoke(main, ["repair-due-dates"])
    assert result.exit_code == 0, result.output
    assert "2 task(s) given their due date back" in result.output
    assert [rows_of(c, "verify_complaint")[0].due_at for c in two_cases] == [due, due]


def test_at_the_due_second_the_filter_the_badge_and_the_dashboard_agree(db, process_engine, clock, two_cases):
    due = process_engine.sla_book.due("verification", CATEGORY, None, start=MONDAY)
    clock.at(due)  # the deadline's own second: red badge, so overdue in the filter too
    assert overdue_in_list(db, "verifikator", "team") == sorted(c.complaint.tracking_id for c in two_cases)
    assert red_tasks(db, "verifikator") == 2
    clock.at(due - timedelta(seconds=1))
    assert overdue_in_list(db, "verifikator", "team") == [] and red_tasks(db, "verifikator") == 0
