"""SLA changes: new timers use the new length; running ones move only when the admin applies it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from engine.clock import set_clock
from engine.deploy import deploy
from engine.models import AuditEvent, HumanTask, ProcessInstance
from tests.conftest import DATA
from workflows import sla_changes
from workflows.sla import SlaChange
from workflows.sla_changes import InvalidSla, SlaEdit

TUESDAY = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)  # 10:00 WIB


@pytest.fixture
def frozen():
    moment = {"now": TUESDAY}
    set_clock(lambda: moment["now"])
    yield moment
    set_clock(None)


@pytest.fixture
def probe(db, process_engine, frozen):
    with db.transaction() as s:
        deploy(s, [DATA / "sla_probe"], deployed_by="tests")

    def start(**data):
        with db.transaction() as s:
            return process_engine.start(s, "sla_probe", {"category": "kesehatan", "lead_agency": "dinkes-kalbar",
                                                          **data}, "tests").id
    return start


def due_of(db, instance_id):
    with db.session() as s:
        return s.scalars(select(HumanTask.due_at).where(HumanTask.process_instance_id == instance_id)).one()


def test_deadline_comes_from_the_table(db, probe):
    instance_id = probe()
    # 5 working days after Tuesday 24 Nov 2026: Tue 1 Dec, end of day WIB
    assert due_of(db, instance_id) == datetime(2026, 12, 1, 16, 59, 59, tzinfo=timezone.utc)
    with db.session() as s:
        assert s.get(ProcessInstance, instance_id).next_timer_at == due_of(db, instance_id)


def test_change_applies_to_new_timers_only_by_default(db, process_engine, probe):
    before = probe()
    sla_changes.save_policy(db, process_engine, "admin", SlaEdit("first_response", 2, "working_days"))
    after = probe()
    assert due_of(db, before) == datetime(2026, 12, 1, 16, 59, 59, tzinfo=timezone.utc)
    assert due_of(db, after) == datetime(2026, 11, 26, 16, 59, 59, tzinfo=timezone.utc)


def test_override_per_agency_wins(db, process_engine, probe):
    sla_changes.save_policy(db, process_engine, "admin",
                            SlaEdit("first_response", 1, "working_days", agency_code="dinkes-kalbar"))
    assert due_of(db, probe()) == datetime(2026, 11, 25, 16, 59, 59, tzinfo=timezone.utc)
    assert due_of(db, probe(lead_agency="pupr-kalbar")) == datetime(2026, 12, 1, 16, 59, 59, tzinfo=timezone.utc)


def test_preview_then_apply_moves_running_timers_once(db, process_engine, probe, frozen):
    ids = [probe() for _ in range(3)]
    frozen["now"] = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)  # Friday 10:00 WIB
    edit = SlaEdit("first_response", 2, "working_days")
    preview = sla_changes.preview(db, process_engine, edit)
    assert preview.cases == 3
    # armed Tuesday + 2 working days = end of Thursday 26 Nov: already past on Friday
    assert len(preview.overdue_now) == 3
    assert all(m.new_due == datetime(2026, 11, 26, 16, 59, 59, tzinfo=timezone.utc) for m in preview.moves)
    assert due_of(db, ids[0]) == datetime(2026, 12, 1, 16, 59, 59, tzinfo=timezone.utc)  # preview changed nothing

    change_id = sla_changes.save_policy(db, process_engine, "admin", edit)
    moved, after = sla_changes.apply_to_running(db, process_engine, "admin", change_id, batch=2)
    assert (moved, after) == (2, ids[1])
    moved, after = sla_changes.apply_to_running(db, process_engine, "admin", change_id, batch=2, after_id=after)
    assert (moved, after) == (1, None)
    assert {due_of(db, i) for i in ids} == {datetime(2026, 11, 26, 16, 59, 59, tzinfo=timezone.utc)}
    # re-running (e.g. after an interruption) moves nothing more
    assert sla_changes.apply_to_running(db, process_engine, "admin", change_id) == (0, None)
    with db.session() as s:
        change = s.get(SlaChange, change_id)
        assert change.applied_to_running and change.cases_moved == 3
        assert change.old["duration"] == 5 and change.new["duration"] == 2 and change.changed_by == "admin"
        events = s.scalars(select(AuditEvent).where(AuditEvent.kind == "timers_rearmed")).all()
        assert len(events) == 3


def test_applied_deadline_fires(db, process_engine, probe, frozen):
    from workflows.worker import fire_due_timers

    instance_id = probe()
    change_id = sla_changes.save_policy(db, process_engine, "admin", SlaEdit("first_response", 1, "hours"))
    sla_changes.apply_to_running(db, process_engine, "admin", change_id)
    frozen["now"] = datetime(2026, 11, 24, 3, 59, tzinfo=timezone.utc)
    assert fire_due_timers(db, process_engine) == 0
    frozen["now"] = datetime(2026, 11, 24, 4, 0, 1, tzinfo=timezone.utc)
    assert fire_due_timers(db, process_engine) == 1
    with db.session() as s:
        assert s.get(ProcessInstance, instance_id).completed


@pytest.mark.parametrize("edit, field", [
    (SlaEdit("first_response", 0, "working_days"), "duration"),
    (SlaEdit("first_response", 3, "fortnights"), "unit"),
    (SlaEdit("first_response", 3, "working_days", yellow_share=1.5), "yellow_share"),
    (SlaEdit("first_response", 3, "working_days", agency_code="nope"), "agency_code"),
    (SlaEdit("no_such_key", 3, "working_days", category_code="kesehatan"), "key"),
])
def test_invalid_changes_are_refused(db, process_engine, edit, field):
    with pytest.raises(InvalidSla) as refused:
        sla_changes.save_policy(db, process_engine, "admin", edit)
    assert field in refused.value.fields
