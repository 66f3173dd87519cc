"""`tindak check-integrity` (workflows/integrity.py): each kind of inconsistency, made by tampering rows."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select, update

from engine import serialization
from engine.db import Database
from engine.deploy import deploy
from engine.models import HumanTask, ProcessInstance
from tests.casework import Case
from webapp.cli import main
from workflows import integrity, setup
from workflows.demo import complete_step
from workflows.models import Complaint
from workflows.process import make_process_engine

DISPOSE = {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}


@pytest.fixture
def cases(db, process_engine):
    new = Case(db, process_engine, anonymous=True)
    at_dinkes = Case(db, process_engine).do("verify_complaint", DISPOSE)
    archived = Case(db, process_engine).do("verify_complaint", {"decision": "arsipkan", "reason": "Ganda."})
    return {"new": new, "dinkes": at_dinkes, "archived": archived}


def findings(db, process_engine, batch_size=2):
    return [(f.kind, f.subject) for f in integrity.check(db, process_engine, batch_size=batch_size)]


def test_a_consistent_database_has_no_findings(db, process_engine, cases):
    assert findings(db, process_engine) == []
    assert findings(db, process_engine, batch_size=1) == []


def test_a_missing_and_a_stale_task_row_are_reported(db, process_engine, cases):
    case = cases["dinkes"]
    [row] = case.ready()
    with db.transaction() as s:
        s.execute(delete(HumanTask).where(HumanTask.id == row.id))
        s.add(HumanTask(id="00000000-0000-0000-0000-000000000000", process_instance_id=cases["new"].instance_id,
                        element_id="ghost", name="Ghost", state="ready"))
    assert sorted(findings(db, process_engine)) == [
        ("missing_task_row", f"case {case.instance_id}"), ("stale_task_row", f"case {cases['new'].instance_id}")]


def test_a_finished_case_with_a_ready_row_is_reported(db, process_engine, cases):
    archived = cases["archived"]
    assert archived.instance().completed
    with db.transaction() as s:
        s.add(HumanTask(id="00000000-0000-0000-0000-000000000001", process_instance_id=archived.instance_id,
                        element_id="ghost", name="Ghost", state="ready"))
    assert findings(db, process_engine) == [("finished_with_ready_rows", f"case {archived.instance_id}")]


def test_a_wrong_next_timer_and_a_timer_without_due_time_are_reported(db, process_engine, cases):
    new, dinkes = cases["new"], cases["dinkes"]
    with db.transaction() as s:
        s.execute(update(ProcessInstance).where(ProcessInstance.id == new.instance_id)
                  .values(next_timer_at=datetime(2030, 1, 1, tzinfo=timezone.utc)))
        instance, workflow = process_engine.load(s, dinkes.instance_id)
        waiting = [t for t in workflow.get_tasks(state=TaskState.WAITING) if t._get_internal_data("event_value")]
        assert waiting
        for task in waiting:
            task.internal_data.pop("event_value")
        instance.state = serialization.dump_state(workflow)
    found = findings(db, process_engine)
    assert ("next_timer_mismatch", f"case {new.instance_id}") in found
    assert ("timer_without_due", f"case {dinkes.instance_id}") in found


def test_a_complaint_without_a_case_and_a_tracking_id_used_twice_are_reported(db, process_engine, cases):
    new, dinkes = cases["new"].complaint, cases["dinkes"].complaint
    with db.transaction() as s:
        s.execute(update(Complaint).where(Complaint.id == new.id).values(process_instance_id=None))
        # the unique index compares exactly; people type tracking IDs in any case
        s.execute(update(Complaint).where(Complaint.id == dinkes.id).values(tracking_id=new.tracking_id.lower()))
    found = findings(db, process_engine)
    assert ("no_case", f"complaint {new.id} ({new.tracking_id})") in found
    assert ("duplicate_tracking_id", f"tracking id {new.tracking_id.upper()}") in found


def test_the_command_exits_1_and_prints_what_it_found(db, process_engine, cases, monkeypatch):
    if db.is_postgres:
        monkeypatch.setenv("TINDAK_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    else:
        monkeypatch.setenv("TINDAK_DATABASE_URL", str(db.engine.url))
    result = CliRunner().invoke(main, ["check-integrity"])
    assert result.exit_code == 0, result.output
    with db.transaction() as s:
        s.execute(delete(HumanTask).where(HumanTask.process_instance_id == cases["dinkes"].instance_id))
    result = CliRunner().invoke(main, ["check-integrity", "--batch-size", "1"])
    assert result.exit_code == 1
    assert f"missing_task_row: case {cases['dinkes'].instance_id}" in result.output


def test_the_demo_database_passes_after_some_work(tmp_path, monkeypatch):
    """What CI can run against the browser tests' database: the demo, with a few tasks done."""
    url = f"sqlite:///{tmp_path / 'tindak.db'}"
    db = Database(url)
    setup.initialise(db)
    with db.transaction() as s:
        deploy(s, [Path(__file__).resolve().parent.parent / "bpmn"], deployed_by="tests")
    setup.load_demo(db)
    engine = make_process_engine(db)
    with db.session() as s:
        waiting = list(s.execute(select(HumanTask.process_instance_id, HumanTask.element_id).where(
            HumanTask.state == "ready", HumanTask.element_id == "verify_complaint").limit(3)))
    assert waiting
    for instance_id, element_id in waiting:
        with db.transaction() as s:
            complete_step(s, engine, instance_id, element_id, DISPOSE, "verifikator")
    db.dispose()
    monkeypatch.setenv("TINDAK_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["check-integrity", "--batch-size", "7"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
