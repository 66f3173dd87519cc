"""Every timer path of bpmn/complaint.bpmn, with the engine clock moved instead of waiting.

Timers are fired the way the worker does it (`workflows.worker.fire_due_timers`), each case
in its own transaction; every wait state is saved, restored and compared
(`Case.check_save_restore`). Due times are never written here as durations: they come from
the SLA book the diagram's `sla_due(...)`/`sla_warn_at(...)` calls use, so the tests follow
the policy table (and one test pins a real calendar week to be sure that table is right).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.models import HumanTask
from tests.casework import Case
from tests.conftest import MONDAY, FrozenClock
from workflows.calendar import JAKARTA
from workflows.sla import CalendarDay, SlaPolicy
from workflows.worker import fire_due_timers

CATEGORY = "infrastruktur"
AGENCY = "dinkes-kalbar"
DISPOSE = {"decision": "disposisi", "lead_agency": AGENCY}
ANSWER = {"decision": "jawab", "answer": "Lampu sudah diganti."}
SECOND = timedelta(seconds=1)






@pytest.fixture
def case(db, process_engine, clock):
    return Case(db, process_engine)


def tick(case: Case, clock: FrozenClock, moment: datetime) -> int:
    """Move time to `moment` and run the worker's timer round; check the case's saved state.

    Returns what the worker returns: how many cases had a timer fire.
    """
    clock.at(moment)
    fired = fire_due_timers(case.db, case.engine)
    case.check_save_restore()
    assert_next_timer_is_earliest(case)
    return fired


def pending_timers(case: Case) -> dict[str, datetime]:
    """{element id: due time} of every timer the case's workflow waits for."""
    with case.db.session() as s:
        _, workflow = case.engine.load(s, case.instance_id)
    timers = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        value = task._get_internal_data("event_value")
        if value is not None:
            timers[task.task_spec.bpmn_id] = datetime.fromisoformat(value)
    return timers


def assert_next_timer_is_earliest(case: Case) -> None:
    timers = pending_timers(case)
    assert case.instance().next_timer_at == (min(timers.values()) if timers else None)


def row(case: Case, element_id: str) -> HumanTask:
    [found] = [t for t in case.ready() if t.element_id == element_id]
    return found


def rows_of(case: Case, element_id: str) -> list[HumanTask]:
    with case.db.session() as s:
        return list(s.scalars(select(HumanTask).where(
            HumanTask.process_instance_id == case.instance_id, HumanTask.element_id == element_id)))


def fired_elements(case: Case) -> list[str]:
    return [e.element_id for e in case.events("timer_fired")]


def sla(case: Case, what: str, key: str, start: datetime, agency: str | None = None) -> datetime:
    book = case.engine.sla_book
    return (book.due if what == "due" else book.warn_at)(key, CATEGORY, agency, start=start)


# -- verification -----------------------------------------------------------------------------


def test_verification_reminder_then_deadline_escalates_to_the_super_admin(case, clock):
    warn, due = sla(case, "warn", "verification", MONDAY), sla(case, "due", "verification", MONDAY)
    assert MONDAY < warn < due
    assert pending_timers(case) == {"verify_complaint_reminder": warn, "verify_complaint_deadline": due}
    assert case.instance().next_timer_at == warn

    assert tick(case, clock, warn - SECOND) == 0
    assert tick(case, clock, warn + SECOND) == 1
    assert fired_elements(case) == ["verify_complaint_reminder"]
    assert case.ready_elements() == ["verify_complaint"]  # a reminder creates no task
    assert case.instance().next_timer_at == due

    assert tick(case, clock, due - SECOND) == 0
    assert tick(case, clock, due + SECOND) == 1
    assert fired_elements(case) == ["verify_complaint_reminder", "verify_complaint_deadline"]
    assert case.ready_elements() == ["verification_overdue", "verify_complaint"]
    overdue = row(case, "verification_overdue")
    assert (overdue.role, overdue.agency_code, overdue.lane, overdue.form) == (
        "super_admin", None, "Verifikator", "overdue_review.json")
    assert row(case, "verify_complaint").role == "verifier"
    assert case.status == "belum_terverifikasi"
    assert case.instance().next_timer_at is None

    # the verifier still works the original task, and the escalation is closed afterwards
    case.do("verify_complaint", DISPOSE, "verifikator")
    assert case.status == "terdisposisi"
    case.do("verification_overdue", {"action": "reassigned", "note": "Dialihkan ke Budi."}, "admin")
    assert (case.status, case.complaint.lead_agency_code) == ("terdisposisi", AGENCY)
    assert case.ready_elements() == ["follow_up"]
    assert [e.data["new"] for e in case.events("status_changed")] == ["terdisposisi"]


def test_an_escalation_closed_before_the_original_task_changes_nothing(case, clock):
    tick(case, clock, sla(case, "due", "verification", MONDAY) + SECOND)
    case.do("verification_overdue", {"action": "reminded"}, "admin")
    assert case.ready_elements() == ["verify_complaint"]
    case.do("verify_complaint", DISPOSE, "verifikator")
    assert case.ready_elements() == ["follow_up"]
    assert case.status == "terdisposisi"


def test_overdue_review_form_is_checked(case, clock):
    from engine.errors import FormInvalid

    tick(case, clock, sla(case, "due", "verification", MONDAY) + SECOND)
    with pytest.raises(FormInvalid) as invalid:
        case.do("verification_overdue", {"action": "forgotten"}, "admin")
    assert "action" in invalid.value.fields


# -- follow-up by the agency --------------------------------------------------------------------


def test_follow_up_reminder_and_deadline_escalate_to_the_agency_head(case, clock):
    case.do("verify_complaint", DISPOSE, "verifikator")
    warn = sla(case, "warn", "first_response", MONDAY, AGENCY)
    due = sla(case, "due", "first_response", MONDAY, AGENCY)
    timers = pending_timers(case)
    assert timers["follow_up_reminder"] == warn and timers["follow_up_deadline"] == due
    assert case.instance().next_timer_at == warn

    assert tick(case, clock, warn - SECOND) == 0
    assert tick(case, clock, warn + SECOND) == 1
    assert fired_elements(case) == ["follow_up_reminder"]
    assert case.ready_elements() == ["follow_up"]

    assert tick(case, clock, due - SECOND) == 0
    assert tick(case, clock, due + SECOND) == 1
    assert fired_elements(case) == ["follow_up_reminder", "follow_up_deadline"]
    assert case.ready_elements() == ["follow_up", "follow_up_overdue"]
    overdue = row(case, "follow_up_overdue")
    assert (overdue.role, overdue.agency_code, overdue.lane, overdue.form) == (
        "agency_head", AGENCY, "Pimpinan Instansi", "escalation.json")
    assert case.status == "terdisposisi"

    case.do("follow_up", ANSWER, "dinkes.penghubung")
    assert case.status == "proses"
    case.do("follow_up_overdue", {"action": "noted", "note": "Terlambat karena cuti."}, "dinkes.kepala")
    assert (case.status, case.complaint.lead_agency_code) == ("proses", AGENCY)
    assert case.ready_elements() == ["review_answer"]
    case.do("review_answer", {"satisfied": "puas", "rating": 4}, "pelapor")
    assert case.status == "selesai"
    assert case.instance().completed


def test_follow_up_escalation_outlives_a_redisposition_without_undoing_it(case, clock):
    case.do("verify_complaint", DISPOSE, "verifikator")
    tick(case, clock, sla(case, "due", "first_response", MONDAY, AGENCY) + SECOND)
    case.do("follow_up", {"decision": "bukan_wewenang", "reason": "Jalan kota."}, "dinkes.penghubung")
    case.do("redispose_complaint", {"lead_agency": "pupr-kalbar"}, "verifikator")
    assert row(case, "follow_up").agency_code == "pupr-kalbar"
    # the head of the first agency closes the escalation that was raised for it
    case.do("follow_up_overdue", {"action": "reminded"}, "dinkes.kepala")
    assert (case.status, case.complaint.lead_agency_code) == ("terdisposisi", "pupr-kalbar")
    assert case.ready_elements() == ["follow_up"]


def test_follow_up_timers_restart_when_the_case_is_reopened(case, clock):
    case.do("verify_complaint", DISPOSE).do("follow_up", ANSWER)
    reopened_at = clock.at(MONDAY + timedelta(days=2)).now
    case.do("review_answer", {"satisfied": "tidak_puas", "rating": 2, "reason": "Belum menyala."}, "pelapor")
    timers = pending_timers(case)
    assert timers["follow_up_deadline"] == sla(case, "due", "first_response", reopened_at, AGENCY)
    assert timers["follow_up_reminder"] == sla(case, "warn", "first_response", reopened_at, AGENCY)


# -- the reporter's silence ----------------------------------------------------------------------


def test_reporter_silence_on_the_answer_closes_the_case_as_finished(case, clock):
    case.do("verify_complaint", DISPOSE).do("follow_up", ANSWER)
    due = sla(case, "due", "reporter_reply", MONDAY)
    assert pending_timers(case)["review_answer_deadline"] == due
    assert row(case, "review_answer").due_at == due  # an interrupting deadline is the task's due date

    assert tick(case, clock, due - SECOND) == 0
    assert tick(case, clock, due + SECOND) == 1
    assert fired_elements(case) == ["review_answer_deadline"]
    assert case.status == "selesai"
    assert case.ready() == []
    [review] = rows_of(case, "review_answer")
    assert review.state == "cancelled"
    instance = case.instance()
    assert instance.completed and instance.next_timer_at is None
    assert case.events()[-1].kind == "completed"


def test_reporter_silence_on_a_details_request_archives_the_case(case, clock):
    case.do("verify_complaint", {"decision": "tunda", "details_question": "Di mana tepatnya?"})
    due = sla(case, "due", "reporter_reply", MONDAY)
    assert pending_timers(case) == {"provide_details_deadline": due}
    assert row(case, "provide_details").due_at == due

    assert tick(case, clock, due - SECOND) == 0
    assert tick(case, clock, due + SECOND) == 1
    assert case.status == "diarsipkan"
    assert case.ready() == []
    assert case.instance().completed and case.instance().next_timer_at is None


def test_archiving_closes_an_open_verification_escalation(case, clock):
    tick(case, clock, sla(case, "due", "verification", MONDAY) + SECOND)
    case.do("verify_complaint", {"decision": "arsipkan", "reason": "Laporan ganda."}, "verifikator")
    assert case.status == "diarsipkan"
    assert case.instance().completed
    [overdue] = rows_of(case, "verification_overdue")
    assert overdue.state == "cancelled"


# -- the 60-day completion limit ----------------------------------------------------------------


def reach_the_completion_limit(case: Case, clock: FrozenClock) -> datetime:
    """Dispose at MONDAY, let the agency sit on it until the 60-day limit passes."""
    case.do("verify_complaint", DISPOSE, "verifikator")
    limit = sla(case, "due", "completion", MONDAY)
    assert pending_timers(case)["completion_limit"] == limit
    assert limit.astimezone(JAKARTA).date() == MONDAY.astimezone(JAKARTA).date() + timedelta(days=60)
    assert tick(case, clock, limit - SECOND) == 1
    assert fired_elements(case) == ["follow_up_reminder", "follow_up_deadline"]
    assert case.ready_elements() == ["follow_up", "follow_up_overdue"]
    assert tick(case, clock, limit + SECOND) == 1
    assert fired_elements(case)[-1] == "completion_limit"
    assert case.ready_elements() == ["follow_up", "follow_up_overdue", "request_consent"]
    assert (case.status, case.complaint.lead_agency_code) == ("terdisposisi", AGENCY)
    request = row(case, "request_consent")
    assert (request.role, request.lane, request.form) == ("ombudsman", "Ombudsman", "request_consent.json")
    case.do("request_consent", {"message": "Laporan Anda belum selesai dalam 60 hari."}, "ombudsman")
    consent = row(case, "consent_transfer")
    assert (consent.role, consent.lane, consent.form) == ("reporter", "Pelapor", "consent_transfer.json")
    assert consent.due_at == sla(case, "due", "reporter_reply", limit + SECOND)
    return limit


def test_reporter_consents_and_the_ombudsman_takes_the_case_over(case, clock):
    reach_the_completion_limit(case, clock)
    case.do("consent_transfer", {"agree": "ya"}, "pelapor")
    assert case.status == "dialihkan_ombudsman"
    takeover = row(case, "ombudsman_takeover")
    assert (takeover.role, takeover.form) == ("ombudsman", "ombudsman_review.json")
    case.do("ombudsman_takeover", {"finding": "Ombudsman memanggil Dinas Kesehatan."}, "ombudsman")
    assert case.status == "dialihkan_ombudsman"
    instance = case.instance()
    assert instance.completed and instance.next_timer_at is None
    assert case.ready() == []
    # the agency's work that was still open is called off with the case
    assert [t.state for t in rows_of(case, "follow_up")] == ["cancelled"]
    assert [t.state for t in rows_of(case, "follow_up_overdue")] == ["cancelled"]


@pytest.mark.parametrize("reporter", ["refuses", "stays_silent"])
def test_without_consent_the_agency_carries_on_and_can_finish(case, clock, reporter):
    limit = reach_the_completion_limit(case, clock)
    if reporter == "refuses":
        case.do("consent_transfer", {"agree": "tidak"}, "pelapor")
    else:
        due = sla(case, "due", "reporter_reply", limit + SECOND)
        assert tick(case, clock, due - SECOND) == 0
        assert tick(case, clock, due + SECOND) == 1
        assert fired_elements(case)[-1] == "consent_transfer_deadline"
    assert case.ready_elements() == ["follow_up", "follow_up_overdue"]
    assert (case.status, case.complaint.lead_agency_code) == ("terdisposisi", AGENCY)
    assert case.instance().next_timer_at is None  # the 60-day limit fires once
    case.do("follow_up", ANSWER, "dinkes.penghubung")
    case.do("review_answer", {"satisfied": "puas", "rating": 3}, "pelapor")
    assert case.status == "selesai"
    assert case.instance().completed
    assert [t.state for t in rows_of(case, "follow_up_overdue")] == ["cancelled"]


def test_a_case_finished_within_60_days_ends_its_completion_timer(case, clock):
    case.do("verify_complaint", DISPOSE).do("follow_up", ANSWER)
    assert "completion_limit" in pending_timers(case)
    case.do("review_answer", {"satisfied": "puas", "rating": 5}, "pelapor")
    instance = case.instance()
    assert instance.completed and instance.next_timer_at is None
    assert pending_timers(case) == {}
    with case.db.session() as s:
        assert case.engine.due_instance_ids(s) == []
    # nothing is left to fire long after the limit
    assert tick(case, clock, MONDAY + timedelta(days=400)) == 0


def test_redisposition_does_not_restart_the_60_day_clock(case, clock):
    case.do("verify_complaint", DISPOSE)
    limit = pending_timers(case)["completion_limit"]
    clock.at(MONDAY + timedelta(days=1))
    case.do("follow_up", {"decision": "bukan_wewenang", "reason": "Jalan kota."})
    case.do("redispose_complaint", {"lead_agency": "pemkot-pontianak"})  # a transfer: two verifiers
    case.do("redispose_complaint", {"lead_agency": "pemkot-pontianak"})
    waiting = [t for t in _workflow(case).get_tasks(state=TaskState.WAITING)
               if t.task_spec.bpmn_id == "completion_limit"]
    assert len(waiting) == 1
    assert pending_timers(case)["completion_limit"] == limit


def _workflow(case: Case):
    with case.db.session() as s:
        return case.engine.load(s, case.instance_id)[1]


# -- working days and SLA changes ----------------------------------------------------------------


NYEPI_WEEK = datetime(2026, 3, 17, 10, 0, tzinfo=JAKARTA)  # Tuesday before Nyepi and Idul Fitri


def test_verification_deadline_counts_working_days_only(db, process_engine, clock):
    clock.at(NYEPI_WEEK.astimezone(timezone.utc))
    first = Case(db, process_engine)
    expected = datetime(2026, 3, 27, 23, 59, 59, tzinfo=JAKARTA)  # Friday: 18–24 March are off
    assert pending_timers(first)["verify_complaint_deadline"] == expected

    with db.transaction() as s:
        s.add(CalendarDay(day=date(2026, 3, 26), kind="off", description="Libur daerah"))
    process_engine.sla_book.reload()
    second = Case(db, process_engine)
    assert pending_timers(second)["verify_complaint_deadline"] == datetime(2026, 3, 30, 23, 59, 59, tzinfo=JAKARTA)
    # a timer already armed keeps its time
    assert pending_timers(first)["verify_complaint_deadline"] == expected
    assert tick(first, clock, expected - SECOND) == 2  # both cases' reminders
    assert "verification_overdue" not in first.ready_elements()
    assert tick(first, clock, expected + SECOND) == 1
    assert "verification_overdue" in first.ready_elements()
    assert "verification_overdue" not in second.ready_elements()


def test_an_sla_change_affects_timers_armed_afterwards_only(db, process_engine, clock):
    before = Case(db, process_engine)
    old_due = pending_timers(before)["verify_complaint_deadline"]
    with db.transaction() as s:
        policy = s.scalars(select(SlaPolicy).where(
            SlaPolicy.key == "verification", SlaPolicy.category_code.is_(None),
            SlaPolicy.agency_code.is_(None))).one()
        policy.duration = 5
    process_engine.sla_book.reload()
    new_due = process_engine.sla_book.due("verification", CATEGORY, start=MONDAY)
    assert new_due > old_due

    after = Case(db, process_engine)
    assert pending_timers(after)["verify_complaint_deadline"] == new_due
    assert pending_timers(before)["verify_complaint_deadline"] == old_due
    # the old case re-arms with the new rule when it comes back to verification
    before.do("verify_complaint", {"decision": "tunda", "details_question": "Alamat?"})
    before.do("provide_details", {"details": "Jl. Ahmad Yani 5."}, "pelapor")
    assert pending_timers(before)["verify_complaint_deadline"] == new_due

    assert tick(before, clock, old_due + SECOND) == 0
    assert tick(before, clock, new_due + SECOND) == 2  # both cases' reminders and deadlines
    assert "verification_overdue" in before.ready_elements()
    assert "verification_overdue" in after.ready_elements()


def test_deadline_boundary_events_carry_the_deadline_property(case):
    workflow = _workflow(case)
    boundary = {ts.bpmn_id: ts for ts in workflow.spec.task_specs.values()
                if type(ts).__name__ == "BoundaryEvent" and isinstance(ts.event_definition, TimerEventDefinition)}
    marked = {name for name, ts in boundary.items()
              if ts.extensions.get("properties", {}).get("deadline") == "true"}
    assert marked == {name for name in boundary if name.endswith("_deadline")}
    assert {name for name in boundary if name.endswith("_reminder")} == set(boundary) - marked
    assert marked == {"verify_complaint_deadline", "follow_up_deadline", "review_answer_deadline",
                      "provide_details_deadline", "consent_transfer_deadline"}
