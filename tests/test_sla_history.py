"""The SLA history of a case: each task with a deadline, on time, late by N working days, or open."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from engine.clock import set_clock
from engine.deploy import deploy
from engine.models import HumanTask
from tests.conftest import DATA
from workflows.calendar import BusinessCalendar
from workflows.demo import complete_step
from workflows.models import Complaint
from workflows.sla_history import sla_history

TUESDAY = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB
DUE = datetime(2026, 12, 1, 16, 59, 59, tzinfo=timezone.utc)  # 5 working days later, 23:59:59 WIB


def wib(day: int, month: int = 12, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour - 7, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    moment = {"now": TUESDAY}
    set_clock(lambda: moment["now"])
    yield moment
    set_clock(None)


@pytest.fixture
def probe(db, process_engine, clock):
    """Start a one-task case (tests/data/sla_probe) whose deadline is first_response."""
    with db.transaction() as s:
        deploy(s, [DATA / "sla_probe"], deployed_by="tests")

    def start(agency: str = "dinkes-kalbar") -> int:
        with db.transaction() as s:
            return process_engine.start(s, "sla_probe", {"category": "kesehatan", "lead_agency": agency}, "t").id
    return start


def answer(db, process_engine, instance_id: int) -> None:
    with db.transaction() as s:
        complete_step(s, process_engine, instance_id, "answer", {"note": "selesai"}, "dinkes.penghubung")


def history(db, instance_id: int, at: datetime | None = None):
    with db.session() as s:
        return sla_history(s, BusinessCalendar(), instance_id, at)


def test_answered_before_the_deadline_is_on_time(db, process_engine, probe, clock):
    instance_id = probe()
    clock["now"] = wib(27, month=11)
    answer(db, process_engine, instance_id)
    [stage] = history(db, instance_id)
    assert (stage.element_id, stage.name, stage.state) == ("answer", "Jawab", "completed")
    assert stage.due_at == DUE and stage.completed_at == wib(27, month=11)
    assert not stage.late and stage.late_working_days == 0 and stage.colour == "green"
    assert stage.agency_name == "Dinas Kesehatan Provinsi Kalimantan Barat"


def test_answered_after_the_deadline_is_late_by_working_days(db, process_engine, probe, clock):
    instance_id = probe()
    clock["now"] = wib(3)  # Thursday 3 Dec: Wednesday and Thursday are past the deadline
    answer(db, process_engine, instance_id)
    [stage] = history(db, instance_id, at=wib(20))  # later views do not change a finished stage
    assert stage.late and stage.late_working_days == 2 and stage.colour == "red"
    assert not stage.open


def test_an_open_task_counts_until_now(db, probe, clock):
    instance_id = probe()
    assert [(s.open, s.late, s.colour) for s in history(db, instance_id, at=wib(25, month=11))] == [
        (True, False, "green")]
    # Monday 30 Nov: more than three quarters of the time used
    assert history(db, instance_id, at=wib(30, month=11))[0].colour == "yellow"
    # Monday 7 Dec: Wed 2, Thu 3, Fri 4 and Mon 7 are past the deadline; the weekend is not counted
    [stage] = history(db, instance_id, at=wib(7))
    assert (stage.open, stage.late, stage.late_working_days, stage.colour) == (True, True, 4, "red")
    assert stage.completed_at is None


def test_days_off_of_the_calendar_are_not_counted(db, probe):
    instance_id = probe()
    calendar = BusinessCalendar(extra_days_off={wib(3).date()})
    with db.session() as s:
        [stage] = sla_history(s, calendar, instance_id, at=wib(7))
    assert stage.late_working_days == 3


def test_tasks_without_a_deadline_are_left_out(db, probe):
    instance_id = probe()
    with db.transaction() as s:
        s.add(HumanTask(id="no-deadline", process_instance_id=instance_id, element_id="note", name="Catat",
                        state="completed", created_at=TUESDAY, completed_at=TUESDAY))
    assert [s.element_id for s in history(db, instance_id)] == ["answer"]
    with db.transaction() as s:
        s.execute(HumanTask.__table__.update().values(due_at=None))
    assert history(db, instance_id) == []


def test_the_case_page_shows_the_history(db, process_engine, probe, clock, client, auth):
    instance_id = probe()
    with db.transaction() as s:
        complaint = Complaint(tracking_id="TDK-TEST-0001", tracking_secret_hash="0" * 64, title="Obat habis",
                              description="Puskesmas kehabisan obat.", category_code="kesehatan",
                              classification="pengaduan", channel="web", process_instance_id=instance_id,
                              lead_agency_code="dinkes-kalbar", status="proses")
        s.add(complaint)
        s.flush()
        complaint_id = complaint.id
    clock["now"] = wib(3)
    auth.login("admin")
    page = client.get(f"/cases/{complaint_id}").get_data(as_text=True)
    assert 'data-testid="deadline-history"' in page
    assert 'data-testid="deadline-stage" data-element="answer" data-state="ready"' in page
    assert 'data-late-days="2" data-colour="red"' in page
    answer(db, process_engine, instance_id)
    page = client.get(f"/cases/{complaint_id}").get_data(as_text=True)
    assert 'data-element="answer" data-state="completed"' in page
    with db.session() as s:
        assert s.scalars(select(HumanTask.state)).all() == ["completed"]
