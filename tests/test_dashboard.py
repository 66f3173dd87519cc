"""The monitoring dashboard's counts (workflows/dashboard.py), per role, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select, update

from engine.models import HumanTask
from tests.casework import Case
from tests.conftest import MONDAY
from tests.test_coordination import DINKES, KUBURAYA, PUPR, HostCase, engine, host, request_coordination  # noqa: F401  (fixtures shared with the coordination tests)
from tests.test_policy import make_cases
from workflows import roles
from workflows.commands import Forbidden
from workflows.dashboard import Counts, Dashboard, dashboard, month_start
from workflows.models import Agency, User
from workflows.task_lists import sla_colour

PEMPROV, DISDIK, PONTIANAK = "pemprov-kalbar", "disdik-kalbar", "pemkot-pontianak"
DISPOSE_DINKES = {"decision": "disposisi", "lead_agency": DINKES}


def user(db, username: str) -> User:
    with db.session() as s:
        return s.scalars(select(User).where(User.username == username)).one()


def board(db, username: str, at: datetime | None = None) -> Dashboard:
    with db.session() as s:
        return dashboard(s, user(db, username), at)


def rows(b: Dashboard) -> dict[str, Counts]:
    """Each row's counts by agency code (by role for the work with no agency)."""
    return {row.code or row.role: row.counts for row in b.rows}


@pytest.fixture
def disdik_head(db):
    """The head of an agency that has nothing to do with PUPR's drainage."""
    with db.transaction() as s:
        disdik = s.scalars(select(Agency).where(Agency.code == DISDIK)).one()
        s.add(User(username="disdik.kepala", full_name="Kepala Disdikbud", role=roles.AGENCY_HEAD, agency_id=disdik.id))


@pytest.fixture
def coordinated(db, engine, host, clock):  # noqa: F811
    """PUPR leads the case and asks Dinas Kesehatan (required) and Pemkab Kubu Raya."""
    return request_coordination(HostCase(db, engine))


# -- one case, three agencies -------------------------------------------------------------------

def test_a_coordinated_case_counts_once_for_its_lead_and_as_requests_for_the_others(db, coordinated):
    b = board(db, "admin")
    r = rows(b)
    assert (r[PUPR].cases, r[PUPR].coordination_waiting, r[PUPR].tasks) == ({"proses": 1}, 0, {})
    for asked in (DINKES, KUBURAYA):
        assert (r[asked].cases, r[asked].coordination_waiting, r[asked].tasks) == ({}, 1, {"green": 1})
    # the totals: one case, two requests, two reply tasks
    assert (b.totals.open_cases, b.totals.coordination_waiting, b.totals.tasks) == (1, 2, {"green": 2})
    assert b.totals.cases == {"proses": 1}


def test_the_governor_sees_the_provinces_dinas_but_not_kubu_raya(db, coordinated):
    b = board(db, "gubernur")
    assert [(row.code, row.depth) for row in b.rows][:4] == [
        (PEMPROV, 0), (DINKES, 1), (PUPR, 1), (DISDIK, 1)]  # the province, then its dinas by name
    assert KUBURAYA not in rows(b)
    r = rows(b)
    assert r[PUPR].cases == {"proses": 1} and r[DINKES].coordination_waiting == 1
    assert r[DINKES].tasks == {"green": 1} and r[DINKES].cases == {}
    assert (b.totals.open_cases, b.totals.coordination_waiting, b.totals.open_tasks) == (1, 1, 1)


def test_the_head_of_kubu_raya_sees_only_kubu_rayas_request(db, coordinated):
    b = board(db, "kuburaya.kepala")
    assert b.rows[0].code == KUBURAYA and all(row.depth == 1 for row in b.rows[1:])  # and its own offices
    assert rows(b)[KUBURAYA].coordination_waiting == 1 and rows(b)[KUBURAYA].tasks == {"green": 1}
    assert (b.totals.open_cases, b.totals.coordination_waiting, b.totals.tasks) == (0, 1, {"green": 1})


def test_an_unrelated_head_does_not_see_pupr_s_case(db, coordinated, disdik_head):
    b = board(db, "disdik.kepala")
    assert [row.code for row in b.rows] == [DISDIK]
    assert b.empty and b.totals.open_cases == 0


def test_the_asked_agency_s_own_head_sees_the_request_not_the_case(db, coordinated):
    b = board(db, "dinkes.kepala")
    assert [row.code for row in b.rows] == [DINKES]
    assert (b.totals.open_cases, b.totals.coordination_waiting, b.totals.tasks) == (0, 1, {"green": 1})


def test_reply_tasks_turn_yellow_then_red_with_the_clock(db, engine, coordinated, clock):  # noqa: F811
    warn = engine.sla_book.warn_at("coordination_reply", "infrastruktur", KUBURAYA, MONDAY)
    due = engine.sla_book.due("coordination_reply", "infrastruktur", KUBURAYA, MONDAY)
    for moment, colour in ((warn - timedelta(minutes=1), "green"), (warn + timedelta(minutes=1), "yellow"),
                           (due + timedelta(minutes=1), "red")):
        clock.at(moment)
        task = coordinated.task("coordination_reply", KUBURAYA)
        assert sla_colour(task.due_at, task.created_at) == colour  # the task list's badge
        assert rows(board(db, "kuburaya.kepala"))[KUBURAYA].tasks == {colour: 1}


def test_replies_leave_the_waiting_column_and_count_as_done_on_time_or_late(db, engine, coordinated, clock):  # noqa: F811
    coordinated.do("dinkes.penghubung", "coordination_reply", {"decision": "jawab", "answer": "Bukan wabah."},
                   agency=DINKES)
    r = rows(board(db, "admin"))
    assert (r[DINKES].coordination_waiting, r[DINKES].tasks) == (0, {})
    assert (r[DINKES].done_with_deadline, r[DINKES].done_on_time, r[DINKES].on_time_rate) == (1, 1, 1.0)
    assert r[KUBURAYA].coordination_waiting == 1 and r[PUPR].cases == {"proses": 1}

    clock.at(engine.sla_book.due("coordination_reply", "infrastruktur", KUBURAYA, MONDAY) + timedelta(hours=1))
    coordinated.do("kuburaya.penghubung", "coordination_reply", {"decision": "jawab", "answer": "Aset kabupaten."},
                   agency=KUBURAYA)
    b = board(db, "admin")
    r = rows(b)
    assert (r[KUBURAYA].coordination_waiting, r[KUBURAYA].done_with_deadline, r[KUBURAYA].done_on_time) == (0, 1, 0)
    assert r[PUPR].cases == {"proses": 1}  # still one case, now with PUPR to consolidate
    assert (b.totals.open_cases, b.totals.done_with_deadline, b.totals.done_on_time) == (1, 2, 1)
    assert b.totals.on_time_rate == 0.5


# -- a finished case, months ---------------------------------------------------------------------

def test_finished_cases_count_in_the_month_they_finished(db, process_engine, clock):
    case = Case(db, process_engine).do("verify_complaint", DISPOSE_DINKES, "verifikator")
    [follow_up] = case.ready()
    clock.at(follow_up.due_at + timedelta(hours=2))  # Dinkes answers late
    case.do("follow_up", {"decision": "jawab", "answer": "Lampu sudah diganti."}, "dinkes.penghubung")
    case.do("review_answer", {"satisfied": "puas", "rating": 5}, "pelapor")
    assert case.status == "selesai"

    b = board(db, "admin")
    r = rows(b)
    assert (r[DINKES].cases, r[DINKES].completed_this_month) == ({}, 1)
    assert (r[DINKES].done_with_deadline, r[DINKES].done_on_time) == (1, 0)  # the late follow-up
    assert (r[roles.VERIFIER].done_with_deadline, r[roles.VERIFIER].done_on_time) == (1, 1)
    assert b.totals.open_cases == 0 and b.totals.open_tasks == 0
    assert rows(board(db, "gubernur"))[DINKES].completed_this_month == 1

    # months are Jakarta's: 30 April 23:59 WIB is still April, 1 May 00:00 WIB is not
    jakarta_may = datetime(2026, 4, 30, 17, 0, tzinfo=timezone.utc)
    assert month_start(jakarta_may) == jakarta_may
    assert rows(board(db, "admin", jakarta_may - timedelta(minutes=1)))[DINKES].completed_this_month == 1
    assert board(db, "admin", jakarta_may).empty


# -- each role's scope, with cases that moved between agencies ------------------------------------

@pytest.fixture
def cases(db, process_engine):
    """new, dinkes, pupr, moved (PUPR → Kubu Raya), ombudsman (four agencies, then the Ombudsman)."""
    return make_cases(db, process_engine)


def test_every_case_counts_once_however_often_it_moved(db, cases):
    b = board(db, "admin")
    assert b.totals.open_cases == len(cases) == 5
    r = rows(b)
    assert r[roles.VERIFIER].cases == {"belum_terverifikasi": 1}  # not dispositioned yet
    assert r[roles.VERIFIER].tasks == {"green": 1}
    assert r[DINKES].cases == {"terdisposisi": 1}
    assert r[PUPR].cases == {"terdisposisi": 1}
    assert r[KUBURAYA].cases == {"terdisposisi": 1, "dialihkan_ombudsman": 1}
    assert r[roles.OMBUDSMAN].tasks == {"none": 1}  # the Ombudsman's review has no deadline
    assert r[PONTIANAK].cases == {} and r[PONTIANAK].tasks == {}


def test_the_ombudsman_sees_the_escalated_case_only(db, process_engine, cases):
    b = board(db, "ombudsman")
    r = rows(b)
    assert r[KUBURAYA].cases == {"dialihkan_ombudsman": 1} and r[roles.OMBUDSMAN].tasks == {"none": 1}
    assert b.totals.cases == {"dialihkan_ombudsman": 1} and b.totals.tasks == {"none": 1}
    # how the four agencies handled it: each follow-up done this month, in time
    assert {code: (c.done_with_deadline, c.done_on_time) for code, c in r.items() if code != roles.OMBUDSMAN} == {
        DINKES: (1, 1), PUPR: (1, 1), PONTIANAK: (1, 1), KUBURAYA: (1, 1), roles.VERIFIER: (1, 1)}
    # once the Ombudsman has finished its review, the case is no longer open
    cases["ombudsman"].do("ombudsman_review", {"finding": "Kewenangan Pemkab."}, "ombudsman")
    b = board(db, "ombudsman")
    assert (b.totals.open_cases, b.totals.open_tasks) == (0, 0)


def test_verifiers_see_what_awaits_verification_and_what_they_routed(db, cases):
    r = rows(board(db, "verifikator"))
    assert set(r) == {DINKES, roles.VERIFIER}
    assert r[roles.VERIFIER].cases == {"belum_terverifikasi": 1} and r[DINKES].cases == {"terdisposisi": 1}


def test_agency_admins_and_heads_see_their_own_agencies(db, cases):
    assert [row.code for row in board(db, "dinkes.admin").rows] == [DINKES]
    assert rows(board(db, "dinkes.admin"))[DINKES].cases == {"terdisposisi": 1}
    assert board(db, "gubernur").totals.cases == {"terdisposisi": 2}  # Dinkes and PUPR


@pytest.mark.parametrize("username", ["perancang", "pupr.penghubung"])
def test_designers_and_liaisons_have_no_dashboard(db, username):
    with pytest.raises(Forbidden):
        board(db, username)


# -- the rule and the cost ------------------------------------------------------------------------

def test_colours_follow_the_task_lists_rule(db, process_engine, clock):
    case = Case(db, process_engine)
    [task] = case.ready()
    created = MONDAY
    for due, at in [(MONDAY + timedelta(days=4), MONDAY + timedelta(days=2)),   # half the time: green
                    (MONDAY + timedelta(days=4), MONDAY + timedelta(days=3, minutes=1)),  # past 75 %: yellow
                    (MONDAY + timedelta(days=4), MONDAY + timedelta(days=4)),  # at the due time: red
                    (MONDAY + timedelta(hours=1), MONDAY + timedelta(days=30)),
                    (None, MONDAY + timedelta(days=1))]:
        with db.transaction() as s:
            s.execute(update(HumanTask).where(HumanTask.id == task.id).values(created_at=created, due_at=due))
        expected = sla_colour(due, created, at) or "none"
        assert rows(board(db, "admin", at))[roles.VERIFIER].tasks == {expected: 1}, (due, at)


def test_the_query_count_does_not_grow_with_the_cases(db, process_engine, clock):
    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.read_engine, "before_cursor_execute", listener)
        try:
            board(db, "admin")
        finally:
            event.remove(db.read_engine, "before_cursor_execute", listener)
        assert not any("process_instance.state" in sql for sql in seen)  # no workflow is read
        return len(seen)

    Case(db, process_engine)
    few = statements()
    for _ in range(3):
        Case(db, process_engine).do("verify_complaint", DISPOSE_DINKES, "verifikator")
    assert statements() == few
