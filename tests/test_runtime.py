"""Engine commands: versions, claims, forms, races and rollbacks."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from engine.deploy import deploy
from engine.errors import ConcurrentUpdate, FormInvalid, NotAllowed, ScriptFailed, TaskNotReady
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.runtime import ProcessEngine
from tests.casework import Case
from tests.conftest import DATA
from workflows.models import Complaint

DISPOSE = {"decision": "disposisi", "lead_agency": "dinkes-kalbar"}


def ready_task(db, instance_id):
    with db.session() as s:
        return s.scalars(select(HumanTask).where(
            HumanTask.process_instance_id == instance_id, HumanTask.state == "ready")).one()


def start_simple(db, engine):
    with db.transaction() as s:
        return engine.start(s, "simple", {"x": 1}, "tester").id


def test_case_stays_on_its_version_after_a_new_deploy(db):
    engine = ProcessEngine()
    with db.transaction() as s:
        deploy(s, [DATA / "simple_v1"], deployed_by="perancang")
    old = start_simple(db, engine)
    with db.transaction() as s:
        [result] = deploy(s, [DATA / "simple_v2"], deployed_by="perancang")
    assert result.version == 2
    new = start_simple(db, engine)

    for instance_id in (old, new):
        with db.transaction() as s:
            engine.complete(s, ready_task(db, instance_id).id, {"note": "ok"}, "tester")
    with db.session() as s:
        assert s.get(ProcessInstance, old).completed  # v1: one task, done
        assert s.get(ProcessInstance, old).process_version.version == 1
        assert not s.get(ProcessInstance, new).completed  # v2: a second task waits
    assert ready_task(db, new).element_id == "check_it"


def test_form_errors_name_each_field_and_change_nothing(db, process_engine):
    case = Case(db, process_engine)
    task = case.ready()[0]
    before = case.instance().version
    with pytest.raises(FormInvalid) as invalid, db.transaction() as s:
        process_engine.complete(s, task.id, {"decision": "disposisi"}, "verifikator")
    assert set(invalid.value.fields) == {"lead_agency"}
    with pytest.raises(FormInvalid) as invalid, db.transaction() as s:
        process_engine.complete(s, task.id, {"decision": "terbang"}, "verifikator")
    assert "decision" in invalid.value.fields
    assert case.instance().version == before
    assert case.ready_elements() == ["verify_complaint"]
    assert case.events("task_completed") == []


def test_claim_release_and_assign(db, process_engine):
    case = Case(db, process_engine)
    task_id = case.ready()[0].id
    with db.transaction() as s:
        process_engine.claim(s, task_id, "verifikator")
    with pytest.raises(NotAllowed, match="claimed by verifikator"), db.transaction() as s:
        process_engine.claim(s, task_id, "admin")
    with pytest.raises(NotAllowed), db.transaction() as s:
        process_engine.complete(s, task_id, DISPOSE, "admin")
    with pytest.raises(NotAllowed), db.transaction() as s:
        process_engine.release(s, task_id, "admin")
    with db.transaction() as s:
        process_engine.release(s, task_id, "verifikator")
    with db.transaction() as s:
        process_engine.assign(s, task_id, "admin", "gubernur")
    assert case.ready()[0].assignee == "admin"
    with db.transaction() as s:
        process_engine.complete(s, task_id, DISPOSE, "admin")
    with db.session() as s:
        done = s.get(HumanTask, task_id)
    assert (done.state, done.completed_by) == ("completed", "admin")
    assert done.completed_at is not None
    kinds = [e.kind for e in case.events()]
    assert kinds[:5] == ["started", "task_claimed", "task_released", "task_assigned", "task_completed"]


def test_completed_task_cannot_be_completed_again(db, process_engine):
    case = Case(db, process_engine)
    task_id = case.ready()[0].id
    with db.transaction() as s:
        process_engine.complete(s, task_id, DISPOSE, "verifikator")
    with pytest.raises(TaskNotReady), db.transaction() as s:
        process_engine.complete(s, task_id, DISPOSE, "verifikator")
    with pytest.raises(TaskNotReady), db.transaction() as s:
        process_engine.claim(s, "00000000-0000-0000-0000-000000000000", "verifikator")


def test_stale_version_raises_concurrent_update(db, process_engine):
    case = Case(db, process_engine)
    task_id = case.ready()[0].id
    with pytest.raises(ConcurrentUpdate), db.transaction() as s:
        seen = s.get(ProcessInstance, case.instance_id)  # our read: version n (held, as a command holds it)
        # the row moves on behind the session's back, as another writer's commit would
        s.execute(update(ProcessInstance).where(ProcessInstance.id == case.instance_id)
                  .values(version=ProcessInstance.version + 1).execution_options(synchronize_session=False))
        assert seen.version is not None
        process_engine.complete(s, task_id, DISPOSE, "verifikator")
    assert case.ready_elements() == ["verify_complaint"]
    assert case.status == "belum_terverifikasi"


def test_two_concurrent_completions_exactly_one_wins(db, process_engine):
    case = Case(db, process_engine)
    task_id = case.ready()[0].id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def officer(agency):
        barrier.wait()
        try:
            with db.transaction() as s:
                process_engine.complete(s, task_id, {"decision": "disposisi", "lead_agency": agency}, "verifikator")
            outcomes.append("won")
        except (ConcurrentUpdate, TaskNotReady) as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=officer, args=(a,)) for a in ("dinkes-kalbar", "pupr-kalbar")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes)[-1] == "won" and outcomes.count("won") == 1, outcomes
    assert len(case.events("task_completed")) == 1
    [follow_up] = case.ready()
    assert follow_up.agency_code == case.complaint.lead_agency_code


def test_script_error_rolls_back_whole_command(db, tmp_path):
    folder = tmp_path / "d"
    import shutil
    shutil.copytree(DATA / "simple_v2", folder)
    bpmn = folder / "simple.bpmn"
    # make the flow after the first task run a failing script: replace the second user task
    text = bpmn.read_text().replace('<bpmn:userTask id="check_it"',
                                    '<bpmn:scriptTask id="check_it" scriptFormat="python"')
    text = text.replace("</bpmn:userTask>\n    <bpmn:sequenceFlow", "</bpmn:userTask>\n    <bpmn:sequenceFlow")
    start = text.index('<bpmn:scriptTask id="check_it"')
    end = text.index("</bpmn:userTask>", start)
    block = text[start:end]
    block = block.split("<bpmn:extensionElements>")[0] + block[block.index("<bpmn:incoming>"):]
    script = "<bpmn:script>result = 1 / 0</bpmn:script></bpmn:scriptTask>"
    text = text[:start] + block + script + text[end + len("</bpmn:userTask>"):]
    bpmn.write_text(text)
    engine = ProcessEngine()
    with db.transaction() as s:
        deploy(s, [folder], deployed_by="t")
    instance_id = start_simple(db, engine)
    task = ready_task(db, instance_id)
    with pytest.raises(ScriptFailed) as failed, db.transaction() as s:
        engine.complete(s, task.id, {"note": "x"}, "tester")
    assert failed.value.element_id == "check_it"
    assert ready_task(db, instance_id).id == task.id  # still waiting, nothing half-saved
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "task_completed")) == 0


def test_script_functions_come_from_the_caller(db, tmp_path):
    folder = tmp_path / "f"
    import shutil
    shutil.copytree(DATA / "simple_v1", folder)
    bpmn = folder / "simple.bpmn"
    text = bpmn.read_text()
    # a pre-script on the user task calls a function that only the caller registered
    pre_script = "<spiffworkflow:preScript>greeting = greet('Pontianak')</spiffworkflow:preScript>"
    text = text.replace("<spiffworkflow:properties>", pre_script + "<spiffworkflow:properties>", 1)
    bpmn.write_text(text)
    with db.transaction() as s:
        deploy(s, [folder], deployed_by="t")
    with pytest.raises(ScriptFailed, match="greet"), db.transaction() as s:
        ProcessEngine().start(s, "simple", {}, "t")
    engine = ProcessEngine(functions={"greet": lambda city: f"Halo {city}"})
    instance_id = start_simple(db, engine)
    with db.session() as s:
        _, workflow = engine.load(s, instance_id)
    [task] = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == "do_it"]
    assert task.data["greeting"] == "Halo Pontianak"


def test_complaint_start_is_one_transaction(db, process_engine, monkeypatch):
    from workflows import complaints

    def broken_start(*args, **kwargs):
        raise RuntimeError("crash while starting")

    monkeypatch.setattr(process_engine, "start", broken_start)
    with pytest.raises(RuntimeError), db.transaction() as s:
        complaints.file_complaint(s, process_engine, complaints.ComplaintInput(
            title="x", description="y", category="kesehatan"))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Complaint)) == 0
