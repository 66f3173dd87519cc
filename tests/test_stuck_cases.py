"""Stuck cases: a failed step rolls back and marks the case; the worker backs off; super admins
repair by retry, by moving the case to a fixed version, or by moving its token."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.deploy import deploy
from engine.errors import RepairRefused
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.repair import backoff
from tests.conftest import DATA, MONDAY
from tests.stuck import STUCK_RENAMED, STUCK_V2, deploy_folder, fail_prepare, instance, new_case, ready, stuck_v1, user
from workflows import commands, repair, sla_changes, worker
from workflows.case_errors import StepFailed
from workflows.commands import Forbidden
from workflows.sla_changes import SlaEdit

__all__ = ["stuck_v1"]  # the fixture, imported for pytest
REASON = "Skrip hitung skor diperbaiki oleh perancang"
LATER = MONDAY + timedelta(days=30)  # every 5-working-day deadline armed on MONDAY is due


def events(db, instance_id: int, kind: str) -> list[AuditEvent]:
    with db.session() as s:
        return list(s.scalars(select(AuditEvent).where(
            AuditEvent.process_instance_id == instance_id, AuditEvent.kind == kind).order_by(AuditEvent.id)))


# -- a failed step: rolled back whole, then the case is marked ------------------------------

def test_failed_step_saves_nothing_and_marks_the_case(db, process_engine, stuck_v1):
    case = new_case(db, process_engine)
    task = ready(db, case, "prepare")
    before = instance(db, case)
    failed = fail_prepare(db, process_engine, case)

    assert (failed.element_id, failed.element_name, failed.recorded) == ("compute", "Hitung skor", True)
    assert failed.complaint_id == case.complaint_id
    assert "undefined_name" in failed.error.message
    assert ready(db, case, "prepare").id == task.id  # still waiting, nothing of the step saved
    assert events(db, case.instance_id, "task_completed") == []
    after = instance(db, case)
    assert after.state == before.state
    assert (after.error_element_id, after.error_count, after.retry_after) == ("compute", 1, None)
    assert after.error_at is not None and "undefined_name" in after.error_message
    assert after.version == before.version + 1  # whoever read the case before sees it changed
    [event] = events(db, case.instance_id, "error")
    assert (event.actor, event.element_id, event.data["element_name"], event.data["attempt"]) == \
        ("verifikator", "compute", "Hitung skor", 1)

    fail_prepare(db, process_engine, case)  # trying again counts another attempt
    assert instance(db, case).error_count == 2


def test_a_refusal_is_not_an_error(db, process_engine, stuck_v1):
    from engine.errors import FormInvalid

    case = new_case(db, process_engine)
    with pytest.raises(FormInvalid):
        commands.complete_task(db, process_engine, user(db, "verifikator"), ready(db, case, "prepare").id, {})
    assert instance(db, case).error_at is None


def test_any_exception_while_completing_marks_the_case(db, process_engine):
    from tests.casework import Case

    case = Case(db, process_engine)  # a real complaint

    def crash(*_args):
        raise RuntimeError("hook crashed")

    process_engine.completion_hooks.append(crash)
    with pytest.raises(StepFailed) as failed:
        commands.complete_task(db, process_engine, user(db, "verifikator"), case.ready()[0].id,
                               {"decision": "disposisi", "lead_agency": "dinkes-kalbar"})
    assert (failed.value.error.message, failed.value.recorded) == ("RuntimeError: hook crashed", True)
    after = instance(db, case)
    assert (after.error_count, after.error_message) == (1, "RuntimeError: hook crashed")
    assert case.ready_elements() == ["verify_complaint"] and case.status == "belum_terverifikasi"


def test_the_next_successful_save_clears_the_error(db, process_engine, stuck_v1):
    case = new_case(db, process_engine)
    fail_prepare(db, process_engine, case)
    with db.transaction() as s:
        process_engine.fire_timers(s, case.instance_id)  # nothing due: a save that succeeds
    after = instance(db, case)
    assert (after.error_at, after.error_message, after.error_element_id, after.error_count) == (None, None, None, 0)
    [cleared] = events(db, case.instance_id, "error_cleared")
    assert (cleared.element_id, cleared.data["attempts"]) == ("compute", 1)


# -- the worker ---------------------------------------------------------------------------

def test_backoff_doubles_from_a_minute_up_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(9) == timedelta(minutes=256)
    assert backoff(10) == backoff(50) == timedelta(hours=6)


def test_a_poisoned_case_never_stalls_the_others(db, process_engine, stuck_v1, clock):
    with db.transaction() as s:
        deploy(s, [DATA / "sla_probe"], deployed_by="tests")
    with db.transaction() as s:
        poisoned = process_engine.start(s, "stuck", {"category": "kesehatan"}, "tests").id
        probes = [process_engine.start(s, "sla_probe", {"category": "kesehatan", "lead_agency": "dinkes-kalbar"},
                                       "tests").id for _ in range(99)]
    clock.at(LATER)

    settings = worker.WorkerSettings(smtp=None, batch=200)
    worker.run_once(db, process_engine, settings)  # one round of the worker
    with db.session() as s:
        fired = set(s.scalars(select(AuditEvent.process_instance_id).where(AuditEvent.kind == "timer_fired")))
        case = s.get(ProcessInstance, poisoned)
    assert fired == set(probes)  # all 99 others fired; the poisoned one saved nothing
    assert (case.error_count, case.error_element_id) == (1, "escalate_deadline")
    assert "stuck_escalation" in case.error_message
    assert case.retry_after == LATER + timedelta(minutes=1)

    clock.at(LATER + timedelta(seconds=59))  # within its back-off: not even claimed
    worker.run_once(db, process_engine, settings)
    assert len(events(db, poisoned, "error")) == 1
    with db.session() as s:
        assert process_engine.due_instance_ids(s) == []

    clock.at(LATER + timedelta(seconds=61))  # after it: tried again, and the wait doubles
    worker.run_once(db, process_engine, settings)
    with db.session() as s:
        case = s.get(ProcessInstance, poisoned)
    assert case.error_count == 2
    assert case.retry_after == LATER + timedelta(seconds=61) + timedelta(minutes=2)
    assert len(events(db, poisoned, "error")) == 2


# -- repair by retry ----------------------------------------------------------------------

def test_retry_repairs_a_case_once_its_sla_policy_exists(db, process_engine, stuck_v1, clock):
    case = new_case(db, process_engine)
    clock.at(LATER)
    worker.fire_due_timers(db, process_engine)
    assert instance(db, case).error_element_id == "escalate_deadline"
    admin = user(db, "admin")

    with pytest.raises(StepFailed) as again:  # nothing fixed yet: fails, error updated
        repair.retry(db, process_engine, admin, case.complaint_id, REASON)
    assert again.value.element_id == "escalate_deadline"
    assert instance(db, case).error_count == 2
    assert events(db, case.instance_id, "repair_retried") == []  # rolled back with the step

    sla_changes.save_policy(db, process_engine, "admin", SlaEdit("stuck_escalation", 3, "working_days"))
    fired = repair.retry(db, process_engine, admin, case.complaint_id, REASON)

    assert fired == ["prepare_deadline"]
    assert case.ready_elements() == ["escalate"]
    after = instance(db, case)
    assert (after.error_at, after.error_count, after.retry_after) == (None, 0, None)
    [event] = events(db, case.instance_id, "repair_retried")
    assert (event.actor, event.data["reason"], event.data["error"]["attempts"]) == ("admin", REASON, 2)
    assert event.at == LATER


def test_a_repair_needs_a_reason(db, process_engine, stuck_v1):
    case = new_case(db, process_engine)
    with pytest.raises(repair.RepairInvalid) as invalid:
        repair.retry(db, process_engine, user(db, "admin"), case.complaint_id, "   ")
    assert invalid.value.fields == {"reason": "required"}


# -- repair by moving to a fixed version --------------------------------------------------

def test_migration_moves_a_stuck_case_to_the_fixed_version(db, process_engine, stuck_v1):
    case = new_case(db, process_engine)
    fail_prepare(db, process_engine, case)
    task = ready(db, case, "prepare")
    v2 = deploy_folder(db, STUCK_V2)
    admin = user(db, "admin")

    with db.session() as s:
        plan = repair.migration_preview(s, process_engine, admin, case.complaint_id, v2)
    assert plan.ok and plan.to_version == ("stuck", 2)
    assert {(m.element_id, m.maps) for m in plan.current} == {("prepare", True), ("prepare_deadline", True)}

    repair.migrate(db, process_engine, admin, case.complaint_id, v2, REASON)
    after = instance(db, case)
    assert after.process_version_id == v2 and after.error_at is None
    moved = ready(db, case, "prepare")
    assert (moved.id, moved.due_at, moved.form) == (task.id, task.due_at, "stuck.json")  # same task, same deadline
    [event] = events(db, case.instance_id, "repair_migrated")
    assert (event.actor, event.data["reason"], event.data["from"]["version"], event.data["to"]["version"]) == \
        ("admin", REASON, 1, 2)
    case.check_save_restore()

    # the officer sends the same answer again, and the fixed script runs
    commands.complete_task(db, process_engine, user(db, "verifikator"), task.id, {"note": "Data sudah lengkap"})
    assert case.ready_elements() == ["finish"]
    assert instance(db, case).error_at is None


def test_a_migration_that_cannot_map_a_step_leaves_the_case_as_it_was(db, process_engine, stuck_v1):
    case = new_case(db, process_engine)
    fail_prepare(db, process_engine, case)
    renamed = deploy_folder(db, STUCK_RENAMED)
    before = instance(db, case)
    admin = user(db, "admin")

    with db.session() as s:
        plan = repair.migration_preview(s, process_engine, admin, case.complaint_id, renamed)
    assert not plan.ok
    assert plan.reasons == [("task_missing", "prepare")]
    assert {(m.element_id, m.maps) for m in plan.current} == {("prepare", False), ("prepare_deadline", True)}

    with pytest.raises(RepairRefused) as refused:
        repair.migrate(db, process_engine, admin, case.complaint_id, renamed, REASON)
    assert refused.value.reasons == [("task_missing", "prepare")]
    after = instance(db, case)
    assert (after.process_version_id, after.state, after.version, after.error_count) == \
        (before.process_version_id, before.state, before.version, 1)
    assert events(db, case.instance_id, "repair_migrated") == []


def test_bulk_preview_and_migration_of_every_stuck_case_of_a_version(db, process_engine, stuck_v1):
    cases = [new_case(db, process_engine) for _ in range(3)]
    for case in cases[:2]:
        fail_prepare(db, process_engine, case)
    v2 = deploy_folder(db, STUCK_V2)
    admin = user(db, "admin")
    with db.session() as s:
        source, target, rows = repair.bulk_preview(s, process_engine, admin, stuck_v1, v2)
    assert {r.complaint.id for r in rows} == {c.complaint_id for c in cases[:2]}  # only the stuck ones
    assert all(r.plan.ok for r in rows)
    results = repair.migrate_all(db, process_engine, admin, stuck_v1, v2, REASON)
    assert [r.outcome for r in results] == ["moved", "moved"]
    assert [instance(db, c).process_version_id for c in cases] == [v2, v2, stuck_v1]


# -- repair by moving the token -----------------------------------------------------------

def test_moving_the_token_past_the_failing_script(db, process_engine, stuck_v1):
    case = new_case(db, process_engine)
    fail_prepare(db, process_engine, case)
    prepare = ready(db, case, "prepare")
    admin = user(db, "admin")

    with db.session() as s:
        preview = repair.move_preview(s, process_engine, admin, case.complaint_id, "finish")
    assert preview.move.direction == "jump"
    assert {st.element_id for st in preview.before} == {"prepare", "prepare_deadline"}
    assert [st.element_id for st in preview.after] == ["finish"]
    assert case.ready_elements() == ["prepare"]  # the preview saved nothing

    moved = repair.move_token(db, process_engine, admin, case.complaint_id, "finish", None, REASON)
    assert (moved.source.element_id, moved.target.element_id) == ("prepare", "finish")
    assert case.ready_elements() == ["finish"]
    with db.session() as s:
        assert s.get(HumanTask, prepare.id).state == "cancelled"
    after = instance(db, case)
    assert (after.error_at, after.next_timer_at) == (None, None)  # the deadline of `prepare` went with it
    [event] = events(db, case.instance_id, "repair_token_moved")
    assert (event.actor, event.data["reason"], event.data["from"]["element_id"], event.data["to"]["element_id"]) \
        == ("admin", REASON, "prepare", "finish")
    case.check_save_restore()
    commands.complete_task(db, process_engine, user(db, "verifikator"), ready(db, case, "finish").id, {"note": "ok"})
    assert instance(db, case).completed


def test_moving_the_token_back_to_a_step_already_done(db, process_engine, stuck_v1, clock):
    case = new_case(db, process_engine)
    admin = user(db, "admin")
    repair.migrate(db, process_engine, admin, case.complaint_id, deploy_folder(db, STUCK_V2), "v2")
    prepare = ready(db, case, "prepare")
    commands.complete_task(db, process_engine, user(db, "verifikator"), prepare.id, {"note": "pertama"})
    assert case.ready_elements() == ["finish"]

    clock.at(MONDAY + timedelta(days=1))
    moved = repair.move_token(db, process_engine, admin, case.complaint_id, "prepare", None, REASON)
    assert moved.direction == "back"
    assert case.ready_elements() == ["prepare"]
    again = ready(db, case, "prepare")
    assert again.id == prepare.id and again.completed_by is None  # the step is open again
    assert again.due_at > prepare.due_at  # its deadline starts anew
    case.check_save_restore()


def test_moves_that_make_no_sense_are_refused(db, process_engine, stuck_v1):
    case = new_case(db, process_engine)
    admin = user(db, "admin")
    before = instance(db, case).state
    for target, code in (("prepare", "same_step"), ("done", "target_unknown"), ("nowhere", "target_unknown")):
        with pytest.raises(RepairRefused) as refused:
            repair.move_token(db, process_engine, admin, case.complaint_id, target, None, REASON)
        assert refused.value.reasons[0][0] == code
    with pytest.raises(StepFailed) as failed:  # `escalate` arms a deadline with no policy yet
        repair.move_token(db, process_engine, admin, case.complaint_id, "escalate", None, REASON)
    assert failed.value.element_id == "escalate_deadline"
    assert instance(db, case).state == before


# -- who may ------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["verifikator", "dinkes.admin", "dinkes.penghubung", "gubernur", "ombudsman",
                                      "perancang"])
def test_only_super_admins_repair(db, process_engine, stuck_v1, username):
    case = new_case(db, process_engine)
    fail_prepare(db, process_engine, case)
    v2 = deploy_folder(db, STUCK_V2)
    someone = user(db, username)
    attempts = [
        lambda: repair.retry(db, process_engine, someone, case.complaint_id, REASON),
        lambda: repair.migrate(db, process_engine, someone, case.complaint_id, v2, REASON),
        lambda: repair.move_token(db, process_engine, someone, case.complaint_id, "finish", None, REASON),
        lambda: repair.migrate_all(db, process_engine, someone, stuck_v1, v2, REASON),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    assert instance(db, case).process_version_id == stuck_v1


def test_who_sees_the_list_of_stuck_cases(db, process_engine, stuck_v1):
    case = new_case(db, process_engine)
    fail_prepare(db, process_engine, case)
    with db.session() as s:
        listed = repair.stuck_cases(s, process_engine, user(db, "admin"))
        assert [row.complaint.id for row in listed.rows] == [case.complaint_id]
        [row] = listed.rows
        assert (row.process_id, row.version, row.element_id, row.element_name, row.attempts) == \
            ("stuck", 1, "compute", "Hitung skor", 1)
        # an agency admin sees only the stuck cases of its agency: this one was never routed there
        assert repair.stuck_cases(s, process_engine, user(db, "dinkes.admin")).rows == []
        for username in ("verifikator", "dinkes.penghubung", "gubernur"):
            with pytest.raises(Forbidden):
                repair.stuck_cases(s, process_engine, user(db, username))


def test_an_agency_admin_sees_the_stuck_cases_of_its_agency(db, process_engine, stuck_v1):
    case = new_case(db, process_engine)
    fail_prepare(db, process_engine, case)
    with db.transaction() as s:  # the case is Dinkes's
        s.get(type(case.complaint), case.complaint_id).lead_agency_code = "dinkes-kalbar"
    with db.session() as s:
        listed = repair.stuck_cases(s, process_engine, user(db, "dinkes.admin"))
    assert [row.complaint.id for row in listed.rows] == [case.complaint_id]


# -- a real complaint: the case inside called processes moves too ---------------------------

def test_a_complaint_in_coordination_moves_to_a_new_version(db, process_engine, tmp_path):
    import shutil

    from engine.models import ProcessVersion
    from tests.casework import Case

    case = Case(db, process_engine).do("verify_complaint", {"decision": "disposisi", "lead_agency": "pupr-kalbar"},
                                       "verifikator")
    case.do("follow_up", {"decision": "koordinasi"}, "pupr.penghubung")
    case.do("request_coordination", {"coordination_requests": [
        {"agency": "dinkes-kalbar", "question": "Apakah ada data?", "required": True}]}, "pupr.penghubung")
    with db.session() as s:
        _, workflow = process_engine.load(s, case.instance_id)
        assert workflow.subprocesses  # it waits inside called processes
    folder = tmp_path / "bpmn"
    shutil.copytree(DATA.parent.parent / "bpmn", folder)
    text = (folder / "complaint.bpmn").read_text()
    (folder / "complaint.bpmn").write_text(text.replace('name="Verifikasi laporan"', 'name="Verifikasi aduan"', 1))
    with db.transaction() as s:
        results = {r.process_id: r for r in deploy(s, [folder], deployed_by="perancang")}
    assert results["complaint"].created and not results["coordination"].created
    with db.session() as s:
        v2 = s.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == "complaint",
                                                       ProcessVersion.version == results["complaint"].version))
        plan = repair.migration_preview(s, process_engine, user(db, "admin"), case.complaint_id, v2)
    assert plan.ok, plan.reasons
    assert {m.process_id for m in plan.current} >= {"complaint", "coordination"}
    ready_before = sorted((t.id, t.element_id) for t in case.ready())

    repair.migrate(db, process_engine, user(db, "admin"), case.complaint_id, v2, REASON)
    assert instance(db, case).process_version_id == v2
    assert sorted((t.id, t.element_id) for t in case.ready()) == ready_before
    case.check_save_restore()
    with db.session() as s:
        assert json.loads(s.get(ProcessInstance, case.instance_id).state)["subprocesses"]
    from workflows.demo import complete_step
    with db.transaction() as s:  # it runs on
        complete_step(s, process_engine, case.instance_id, "coordination_reply",
                      {"decision": "jawab", "answer": "Ada, terlampir."}, "dinkes.penghubung", "dinkes-kalbar")
    case.check_save_restore()
