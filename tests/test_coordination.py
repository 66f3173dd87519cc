"""Coordination between agencies (workflows/coordination.py, bpmn/coordination.bpmn) on a host diagram.

tests/data/coordination_host/coordination_host.bpmn is the lead agency's side exactly as
complaint.bpmn's follow_up wires it (request, parallel multi-instance call activity with the
`add_agencies` and `stop_waiting` messages, consolidation). Every step is its own transaction
through the commands officers use, and every wait state is saved, restored and compared.
"""
from __future__ import annotations

import json
import secrets
import shutil
from datetime import datetime, timedelta

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import serialization
from engine.deploy import deploy
from engine.errors import FormInvalid
from engine.models import HumanTask, ProcessInstance
from tests.conftest import BPMN_DIR, DATA, MONDAY, FrozenClock
from workflows import commands, coordination, policy, roles
from workflows.cases import CaseNotFound, visible_complaint
from workflows.complaints import new_tracking_id
from workflows.coordination import Ask, CoordinationRefused, CoordinationRequest
from workflows.coordination_thread import InvalidMessage, post_message, thread_of
from workflows.digests import sha256_hex
from workflows.models import Agency, Complaint, OutboxMessage, User
from workflows.notifications import Notifier
from workflows.process import NEW_COMPLAINTS, make_process_engine
from workflows.worker import fire_due_timers

PUBLIC_URL = "https://tindak.kalbarprov.example"
HOST = DATA / "coordination_host" / "coordination_host.bpmn"
PUPR, DINKES, KUBURAYA, PONTIANAK, DISDIK = (
    "pupr-kalbar", "dinkes-kalbar", "pemkab-kuburaya", "pemkot-pontianak", "disdik-kalbar")
QUESTION = "Apakah drainase Jl. Sungai Raya Dalam termasuk aset provinsi atau kabupaten? Mohon data pemeliharaannya."
HEALTH_QUESTION = "Adakah laporan demam berdarah di sekitar genangan Jl. Sungai Raya Dalam?"






@pytest.fixture
def engine(db):
    """The engine as the web app and the worker build it: with notices."""
    return make_process_engine(db, Notifier(PUBLIC_URL))


@pytest.fixture
def host(db, tmp_path):
    """Deploy the host diagram next to bpmn/coordination.bpmn, with bpmn/forms as its forms."""
    folder = tmp_path / "coordination_host"
    folder.mkdir()
    shutil.copy(HOST, folder)
    (folder / "forms").symlink_to(BPMN_DIR / "forms", target_is_directory=True)
    with db.transaction() as s:
        deploy(s, [folder / HOST.name, BPMN_DIR / "coordination.bpmn",
                   BPMN_DIR / "coordination_round.bpmn"], deployed_by="tests")
        # the head of Kubu Raya, who gets the escalation when Kubu Raya answers late
        kuburaya = s.scalars(select(Agency).where(Agency.code == KUBURAYA)).one()
        s.add(User(username="kuburaya.kepala", full_name="Bupati Kubu Raya", role=roles.AGENCY_HEAD,
                   agency_id=kuburaya.id, email="kuburaya.kepala@tindak.example.org"))
    return folder


class HostCase:
    """A complaint handled by the host diagram, with Dinas PUPR as the lead agency."""

    def __init__(self, db, engine, lead: str = PUPR, anonymous: bool = True):
        self.db, self.engine = db, engine
        self.secret = secrets.token_urlsafe(18)
        with db.transaction() as s:
            complaint = Complaint(
                tracking_id=new_tracking_id(), tracking_secret_hash=sha256_hex(self.secret),
                title="Drainase tersumbat di Jl. Sungai Raya Dalam", description="Air meluap tiap hujan.",
                category_code="infrastruktur", classification="pengaduan", channel="web", anonymous=anonymous,
                reporter_name="Budi Santoso", reporter_email="budi@example.org", status="proses")
            s.add(complaint)
            s.flush()

            def link(instance):
                complaint.process_instance_id = instance.id
                s.info.setdefault(NEW_COMPLAINTS, {})[instance.id] = complaint

            data = {"complaint_id": complaint.id, "category": "infrastruktur", "lead_agency": lead,
                    "status": "proses", "coordination_rounds": 0}
            engine.start(s, "coordination_host", data, "tests", link)
            self.complaint_id, self.instance_id = complaint.id, complaint.process_instance_id
        self.check_save_restore()

    def user(self, username: str) -> User:
        with self.db.session() as s:
            return s.scalars(select(User).where(User.username == username)).one()

    def ready(self) -> list[HumanTask]:
        with self.db.session() as s:
            return list(s.scalars(select(HumanTask).where(
                HumanTask.process_instance_id == self.instance_id, HumanTask.state == "ready")
                .order_by(HumanTask.created_at, HumanTask.id)))

    def ready_elements(self) -> list[tuple[str, str | None, str | None]]:
        return sorted((t.element_id, t.role, t.agency_code) for t in self.ready())

    def task(self, element_id: str, agency: str | None = None) -> HumanTask:
        found = [t for t in self.ready() if t.element_id == element_id and (agency is None or t.agency_code == agency)]
        assert len(found) == 1, f"{element_id} ({agency}): {self.ready_elements()}"
        return found[0]

    def do(self, username: str, element_id: str, data: dict, agency: str | None = None) -> HostCase:
        """Complete a task as a real officer, through the policy-checked command."""
        task = self.task(element_id, agency)
        commands.complete_task(self.db, self.engine, self.user(username), task.id, data)
        self.check_save_restore()
        return self

    def requests(self) -> dict[str, CoordinationRequest]:
        """The newest request of each agency."""
        with self.db.session() as s:
            return {r.agency_code: r for r in coordination.requests_of(s, self.complaint_id)}

    def data(self) -> dict:
        with self.db.session() as s:
            _instance, workflow = self.engine.load(s, self.instance_id)
            return {t.task_spec.bpmn_id: dict(t.data) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}

    def can_view(self, username: str) -> bool:
        with self.db.session() as s:
            return policy.can_view_case(s, self.user(username), self.complaint_id)

    def check_save_restore(self) -> None:
        """The saved state restores to the same workflow, waiting for the tasks the task table shows.

        Compared as data, not as text: SpiffWorkflow 3.2 writes a task's data changes in key order
        (a call activity's data comes back from its subprocess in another order, a join merges
        branches) and keeps the subprocesses of a cancelled multi-instance task that nothing refers
        to; a restore changes the order and drops those subprocesses, and neither matters.
        """
        with self.db.session() as s:
            instance, workflow = self.engine.load(s, self.instance_id)
            saved = instance.state
            pv = instance.process_version
            dumped = serialization.dump_state(workflow)
            again = serialization.load_state(dumped, pv.id, lambda: pv.spec_json, self.engine.script_engine)
            assert _normalised(dumped) == _normalised(saved)
            assert _normalised(serialization.dump_state(again)) == _normalised(dumped)
            rows = {t.id for t in s.scalars(select(HumanTask).where(
                HumanTask.process_instance_id == self.instance_id, HumanTask.state == "ready"))}
        assert {str(t.id) for t in again.get_tasks(state=TaskState.READY, manual=True)} == rows


def _normalised(state: str) -> str:
    dct = json.loads(state)
    workflows = [dct, *dct.get("subprocesses", {}).values()]
    known = {task_id for wf in workflows for task_id in wf["tasks"]}
    dct["subprocesses"] = {k: v for k, v in dct.get("subprocesses", {}).items() if k in known}
    for wf in [dct, *dct["subprocesses"].values()]:
        for task in wf["tasks"].values():
            if task.get("delta", {}).get("deletions"):
                task["delta"]["deletions"] = sorted(task["delta"]["deletions"])
    return json.dumps(dct, sort_keys=True)


def request_coordination(case: HostCase, agencies=(DINKES, KUBURAYA), required=(DINKES,),
                         questions: dict | None = None) -> HostCase:
    """The lead asks each agency its own question (QUESTION unless `questions` says otherwise)."""
    return case.do("pupr.penghubung", "request_coordination", {"coordination_requests": [
        {"agency": code, "question": (questions or {}).get(code, QUESTION), "required": code in required}
        for code in agencies]})


def ask(*codes: str, question: str = QUESTION, required: bool = False) -> list[Ask]:
    return [Ask(code, question, required) for code in codes]


def outbox(db, prefix: str) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(prefix))
                              .order_by(OutboxMessage.id)))


def fire(case: HostCase, clock: FrozenClock, moment: datetime) -> int:
    clock.now = moment
    fired = fire_due_timers(case.db, case.engine)
    case.check_save_restore()
    return fired


# -- the story the officers in West Kalimantan told --------------------------------------------

def test_pupr_coordinates_with_dinkes_kubu_raya_and_pontianak(db, engine, host, clock):
    case = HostCase(db, engine)
    assert case.ready_elements() == [("request_coordination", roles.LIAISON, PUPR)]
    assert not case.can_view("dinkes.penghubung")

    # PUPR asks Dinas Kesehatan (required) and Kubu Raya (for information), each its own question
    request_coordination(case, questions={DINKES: HEALTH_QUESTION})
    assert case.ready_elements() == [("coordination_reply", roles.LIAISON, DINKES),
                                     ("coordination_reply", roles.LIAISON, KUBURAYA)]
    requests = case.requests()
    assert {a: (r.round, r.required, r.status, r.question) for a, r in requests.items()} == {
        DINKES: (1, True, "waiting", HEALTH_QUESTION), KUBURAYA: (1, False, "waiting", QUESTION)}
    due = engine.sla_book.due("coordination_reply", "infrastruktur", KUBURAYA, MONDAY)
    assert case.task("coordination_reply", KUBURAYA).due_at == due
    assert requests[KUBURAYA].reply_task_id == case.task("coordination_reply", KUBURAYA).id
    assert "question" not in json.dumps(case.data())  # texts stay out of task data
    with db.session() as s:
        assert s.get(Complaint, case.complaint_id).status == "proses"
    asked = outbox(db, "coordination-asked:")
    assert {m.recipient for m in asked} == {"dinkes.penghubung@tindak.example.org",
                                            "kuburaya.penghubung@tindak.example.org"}
    assert HEALTH_QUESTION in asked[0].body and f"{PUBLIC_URL}/cases/{case.complaint_id}#coordination" in asked[0].body

    # the lead cannot stop waiting before the required answer is in
    with pytest.raises(CoordinationRefused) as refused:
        coordination.stop_waiting(db, engine, case.user("pupr.penghubung"), case.complaint_id)
    assert (refused.value.reason, refused.value.agencies) == ("required_missing", [DINKES])

    # Kubu Raya is late: a reminder, then an escalation for the head of Kubu Raya
    warn = engine.sla_book.warn_at("coordination_reply", "infrastruktur", KUBURAYA, MONDAY)
    assert fire(case, clock, warn + timedelta(minutes=1)) == 1
    assert "kuburaya.penghubung@tindak.example.org" in {m.recipient for m in outbox(db, "reminder:")}
    assert fire(case, clock, due + timedelta(minutes=1)) == 1
    assert ("coordination_overdue", roles.AGENCY_HEAD, KUBURAYA) in case.ready_elements()
    assert ("coordination_overdue", roles.AGENCY_HEAD, DINKES) in case.ready_elements()  # Dinkes is late too
    assert any(m.recipient == "kuburaya.kepala@tindak.example.org" for m in outbox(db, "escalation:"))
    case.do("kuburaya.kepala", "coordination_overdue", {"action": "reminded", "note": "Sudah ditegur."},
            agency=KUBURAYA)

    # Dinas Kesehatan: not ours, ask Pemkot Pontianak; its open escalation closes with the reply
    case.do("dinkes.penghubung", "coordination_reply", {
        "decision": "bukan_wewenang", "reason": "Drainase kota bukan urusan kesehatan.",
        "suggested_agency": PONTIANAK}, agency=DINKES)
    assert not [t for t in case.ready() if t.agency_code == DINKES]
    dinkes = case.requests()[DINKES]
    assert (dinkes.status, dinkes.reply_reason, dinkes.suggested_agency, dinkes.replied_by) == (
        "not_ours", "Drainase kota bukan urusan kesehatan.", PONTIANAK, "dinkes.penghubung")
    assert [m.recipient for m in outbox(db, "coordination-replied:")] == ["pupr.penghubung@tindak.example.org"]

    # the lead adds the suggested agency (required, like the agency it replaces)
    lead = case.user("pupr.penghubung")
    coordination.add_agencies(db, engine, lead, case.complaint_id, ask(PONTIANAK, required=True))
    case.check_save_restore()
    assert ("coordination_reply", roles.LIAISON, PONTIANAK) in case.ready_elements()
    assert case.requests()[PONTIANAK].round == 1 and case.requests()[PONTIANAK].required
    # and again, as often as the round needs: Disdik, for information, with a question of its own
    coordination.add_agencies(db, engine, lead, case.complaint_id, ask(DISDIK, question="Ada sekolah terdampak?"))
    case.check_save_restore()
    assert ("coordination_reply", roles.LIAISON, DISDIK) in case.ready_elements()
    assert case.requests()[DISDIK].question == "Ada sekolah terdampak?"
    with db.session() as s:
        assert coordination.waiting_for(engine, s, s.get(Complaint, case.complaint_id)) == {
            "add_agencies", "stop_waiting"}
    with pytest.raises(CoordinationRefused) as refused:
        coordination.stop_waiting(db, engine, lead, case.complaint_id)
    assert refused.value.agencies == [PONTIANAK]

    # the thread: Pontianak asks, mentioning PUPR; PUPR answers, mentioning Pontianak
    post_message(db, case.user("pontianak.penghubung"), case.complaint_id,
                 "Saluran itu dibangun provinsi tahun 2019. Ada dokumen serah terimanya?", [PUPR])
    post_message(db, lead, case.complaint_id, "Belum diserahterimakan; kami kirim datanya.", [PONTIANAK])
    with db.session() as s:
        thread = thread_of(s, case.complaint_id)
    assert [(m.author.username, m.author_agency_code, m.mentions) for m in thread] == [
        ("pontianak.penghubung", PONTIANAK, [PUPR]), ("pupr.penghubung", PUPR, [PONTIANAK])]
    assert [m.recipient for m in outbox(db, "coordination-mention:")] == [
        "pupr.penghubung@tindak.example.org", "pontianak.penghubung@tindak.example.org"]

    # Pontianak answers: now every required answer is in, Kubu Raya is still silent
    case.do("pontianak.penghubung", "coordination_reply", {
        "decision": "jawab", "answer": "Pemkot membersihkan saluran minggu depan."}, agency=PONTIANAK)
    with db.session() as s:
        assert coordination.missing_required(s, case.complaint_id) == []
        assert coordination.waiting_for(engine, s, s.get(Complaint, case.complaint_id)) == {
            "add_agencies", "stop_waiting"}
    coordination.stop_waiting(db, engine, lead, case.complaint_id)
    case.check_save_restore()
    assert case.ready_elements() == [("consolidate_coordination", roles.LIAISON, PUPR)]
    statuses = {a: r.status for a, r in case.requests().items()}
    assert statuses == {DINKES: "not_ours", KUBURAYA: "cancelled", PONTIANAK: "answered", DISDIK: "cancelled"}

    # the lead answers the reporter
    case.do("pupr.penghubung", "consolidate_coordination", {
        "decision": "jawab", "answer": "Saluran dibersihkan Pemkot Pontianak; PUPR memperbaiki gorong-gorong."})
    assert case.ready() == []

    # who saw what: involved agencies see the case (read-only afterwards), others do not
    assert {u: case.can_view(u) for u in ("pupr.penghubung", "dinkes.penghubung", "kuburaya.penghubung",
                                          "pontianak.penghubung", "kuburaya.kepala", "disdik.penghubung",
                                          "inspektorat.penghubung")} == {
        "pupr.penghubung": True, "dinkes.penghubung": True, "kuburaya.penghubung": True,
        "pontianak.penghubung": True, "kuburaya.kepala": True, "disdik.penghubung": True,
        "inspektorat.penghubung": False}
    with db.session() as s:
        complaint = s.get(Complaint, case.complaint_id)
        assert not policy.sees_reporter_identity(s, case.user("dinkes.penghubung"), complaint)
        with pytest.raises(CaseNotFound):
            visible_complaint(s, case.user("inspektorat.penghubung"), case.complaint_id)


def test_the_round_ends_by_itself_once_every_addition_has_answered(db, engine, host, clock):
    case = request_coordination(HostCase(db, engine))
    lead = case.user("pupr.penghubung")
    case.do("dinkes.penghubung", "coordination_reply", {
        "decision": "bukan_wewenang", "reason": "Bukan kami.", "suggested_agency": PONTIANAK}, agency=DINKES)
    coordination.add_agencies(db, engine, lead, case.complaint_id, ask(PONTIANAK, question="Mohon data."))
    case.check_save_restore()
    coordination.add_agencies(db, engine, lead, case.complaint_id, ask(DISDIK, question="Mohon data sekolah."))
    case.check_save_restore()
    case.do("kuburaya.penghubung", "coordination_reply", {"decision": "jawab", "answer": "Aset kabupaten."},
            agency=KUBURAYA)
    assert "consolidate_coordination" not in [t.element_id for t in case.ready()]  # added agencies still answer
    case.do("disdik.penghubung", "coordination_reply", {"decision": "jawab", "answer": "-"}, agency=DISDIK)
    assert "consolidate_coordination" not in [t.element_id for t in case.ready()]  # Pontianak still answers
    case.do("pontianak.penghubung", "coordination_reply", {"decision": "jawab", "answer": "Ya."}, agency=PONTIANAK)
    assert case.ready_elements() == [("consolidate_coordination", roles.LIAISON, PUPR)]
    data = case.data()["consolidate_coordination"]
    assert data["coordination_rounds"] == 1 and data["coordination_asked"] == [DINKES, KUBURAYA, PONTIANAK, DISDIK]
    # small and flat: no texts, no per-agency leftovers of the round
    assert not {"agency", "added_agency", "answer", "reason", "question", "coordination_requests",
                "more_agencies", "added_agencies", "open_batches"} & set(data)
    # an answered round cannot be stopped or extended any more
    with pytest.raises(CoordinationRefused) as refused:
        coordination.add_agencies(db, engine, lead, case.complaint_id, ask("inspektorat-kalbar"))
    assert refused.value.reason == "not_waiting"
    with pytest.raises(CoordinationRefused) as refused:
        coordination.stop_waiting(db, engine, lead, case.complaint_id)
    assert refused.value.reason == "not_waiting"


def test_stopping_cancels_every_outstanding_request_and_escalation(db, engine, host, clock):
    case = request_coordination(HostCase(db, engine), required=())
    lead = case.user("pupr.penghubung")
    coordination.add_agencies(db, engine, lead, case.complaint_id, ask(PONTIANAK))
    due = engine.sla_book.due("coordination_reply", "infrastruktur", DINKES, MONDAY)
    fire(case, clock, due + timedelta(hours=1))
    assert len([t for t in case.ready() if t.element_id == "coordination_overdue"]) == 3
    coordination.stop_waiting(db, engine, lead, case.complaint_id)
    case.check_save_restore()
    assert case.ready_elements() == [("consolidate_coordination", roles.LIAISON, PUPR)]
    assert {r.status for r in case.requests().values()} == {"cancelled"}
    with db.session() as s:
        cancelled = s.scalars(select(HumanTask.element_id).where(
            HumanTask.process_instance_id == case.instance_id, HumanTask.state == "cancelled")).all()
        instance = s.get(ProcessInstance, case.instance_id)
        assert instance.next_timer_at is None  # no timer of a cancelled request stays armed
    assert sorted(cancelled) == ["coordination_overdue"] * 3 + ["coordination_reply"] * 3
    # the involved agencies keep read access to the case they were asked about
    assert case.can_view("pontianak.penghubung")


def test_a_late_reply_closes_the_open_escalation(db, engine, host, clock):
    case = request_coordination(HostCase(db, engine), agencies=(KUBURAYA,), required=(KUBURAYA,))
    due = engine.sla_book.due("coordination_reply", "infrastruktur", KUBURAYA, MONDAY)
    fire(case, clock, due + timedelta(minutes=1))
    assert [t.element_id for t in case.ready()] == ["coordination_reply", "coordination_overdue"]
    case.do("kuburaya.penghubung", "coordination_reply", {"decision": "jawab", "answer": "Sudah."}, agency=KUBURAYA)
    assert case.ready_elements() == [("consolidate_coordination", roles.LIAISON, PUPR)]


def test_three_rounds_at_most(db, engine, host, clock):
    case = HostCase(db, engine)
    for round_no in (1, 2, 3):
        request_coordination(case, agencies=(DINKES,), required=())
        case.do("dinkes.penghubung", "coordination_reply", {"decision": "jawab", "answer": f"Putaran {round_no}"},
                agency=DINKES)
        if round_no < 3:
            case.do("pupr.penghubung", "consolidate_coordination", {"decision": "koordinasi_lagi"})
    assert [r.round for r in case.requests().values()] == [3]
    with db.session() as s:
        assert [r.round for r in coordination.requests_of(s, case.complaint_id)] == [1, 2, 3]
    with pytest.raises(FormInvalid) as invalid:
        case.do("pupr.penghubung", "consolidate_coordination", {"decision": "koordinasi_lagi"})
    assert "decision" in invalid.value.fields
    assert case.ready_elements() == [("consolidate_coordination", roles.LIAISON, PUPR)]


def test_the_diagram_bounds_the_loop_by_itself(db, engine, host, clock):
    engine.completion_hooks = []  # only the gateway's condition stands in the way
    case = HostCase(db, engine)
    for _ in range(3):
        request_coordination(case, agencies=(DINKES,), required=())
        case.do("dinkes.penghubung", "coordination_reply", {"decision": "jawab", "answer": "-"}, agency=DINKES)
        case.do("pupr.penghubung", "consolidate_coordination", {"decision": "koordinasi_lagi"})
    assert case.ready() == []  # the fourth "again" takes the default flow out of the loop
    assert case.data() == {}


def _row(agency, question=QUESTION, **more):
    return {"agency": agency, "question": question, **more}


@pytest.mark.parametrize("rows, field", [
    ([_row(DINKES), _row(PUPR)], "coordination_requests.1.agency"),
    ([_row("no-such-agency")], "coordination_requests.0.agency"),
    ([], "coordination_requests"),
    ([_row(DINKES), _row(DINKES)], "coordination_requests.1.agency"),
    ([_row(DINKES), _row(KUBURAYA, question="")], "coordination_requests.1.question"),
    ([_row(DINKES), {"question": QUESTION}], "coordination_requests.1.agency"),
    ([_row(DINKES, required="ya")], "coordination_requests.0.required"),
])
def test_a_wrong_request_is_refused_whole(db, engine, host, clock, rows, field):
    case = HostCase(db, engine)
    with pytest.raises(FormInvalid) as invalid:
        case.do("pupr.penghubung", "request_coordination", {"coordination_requests": rows})
    assert field in invalid.value.fields
    assert case.requests() == {}
    assert case.ready_elements() == [("request_coordination", roles.LIAISON, PUPR)]


def test_only_the_lead_agency_steers(db, engine, host, clock):
    case = request_coordination(HostCase(db, engine))
    for username in ("dinkes.penghubung", "dinkes.admin", "verifikator"):
        with pytest.raises((commands.Forbidden, CaseNotFound)):
            coordination.stop_waiting(db, engine, case.user(username), case.complaint_id)
    with pytest.raises(CaseNotFound):  # an agency that is not involved does not even see the case
        coordination.add_agencies(db, engine, case.user("disdik.penghubung"), case.complaint_id, ask(DISDIK))
    with pytest.raises(commands.Forbidden):
        coordination.add_agencies(db, engine, case.user("kuburaya.penghubung"), case.complaint_id, ask(PONTIANAK))
    # the head above the lead agency (the governor over the dinas) may steer
    coordination.add_agencies(db, engine, case.user("gubernur"), case.complaint_id, ask(PONTIANAK))
    assert case.requests()[PONTIANAK].requested_by == "gubernur"


@pytest.mark.parametrize("asks, field, message", [
    (ask(DINKES), "coordination_requests.0.agency", "already asked in this round"),
    (ask(PONTIANAK, PUPR), "coordination_requests.1.agency", "the lead agency cannot ask itself"),
    (ask("no-such-agency"), "coordination_requests.0.agency", "not one of the allowed choices"),
    ([], "coordination_requests", "required"),
    (ask(PONTIANAK, PONTIANAK), "coordination_requests.1.agency", "chosen twice"),
    (ask(PONTIANAK, question=""), "coordination_requests.0.question", "required"),
])
def test_adding_agencies_checks_its_input(db, engine, host, clock, asks, field, message):
    case = request_coordination(HostCase(db, engine))
    with pytest.raises(FormInvalid) as invalid:
        coordination.add_agencies(db, engine, case.user("pupr.penghubung"), case.complaint_id, asks)
    assert invalid.value.fields[field] == message
    assert sorted(case.requests()) == [DINKES, KUBURAYA]


def test_one_round_asks_at_most_twenty_agencies(db, engine, host, clock, monkeypatch):
    monkeypatch.setattr(coordination, "MAX_AGENCIES_PER_ROUND", 3)
    case = request_coordination(HostCase(db, engine))
    lead = case.user("pupr.penghubung")
    coordination.add_agencies(db, engine, lead, case.complaint_id, ask(PONTIANAK))
    with pytest.raises(FormInvalid) as invalid:
        coordination.add_agencies(db, engine, lead, case.complaint_id, ask(DISDIK))
    assert invalid.value.fields == {"coordination_requests": "at most 3 agencies in one round"}


def test_before_any_request_nothing_can_be_added_or_stopped(db, engine, host, clock):
    case = HostCase(db, engine)
    lead = case.user("pupr.penghubung")
    with pytest.raises(CoordinationRefused) as refused:
        coordination.add_agencies(db, engine, lead, case.complaint_id, ask(DINKES))
    assert refused.value.reason == "not_waiting"
    assert case.requests() == {}
    with pytest.raises(CoordinationRefused):
        coordination.stop_waiting(db, engine, lead, case.complaint_id)


def test_the_thread_is_for_the_agencies_involved(db, engine, host, clock):
    case = request_coordination(HostCase(db, engine))
    complaint_id = case.complaint_id
    with pytest.raises(InvalidMessage):
        post_message(db, case.user("dinkes.penghubung"), complaint_id, "   ")
    with pytest.raises(InvalidMessage) as invalid:
        post_message(db, case.user("dinkes.penghubung"), complaint_id, "Lihat juga Disdik.", [DISDIK])
    assert invalid.value.agencies == [DISDIK]
    for username in ("disdik.penghubung", "perancang", "ombudsman", "verifikator"):
        with pytest.raises(CaseNotFound):  # none of them may see this case
            post_message(db, case.user(username), complaint_id, "Halo")
    post_message(db, case.user("admin"), complaint_id, "Mohon dipercepat.", [DINKES, KUBURAYA])
    post_message(db, case.user("dinkes.admin"), complaint_id, "Kami cek.")
    with db.session() as s:
        assert [m.body for m in thread_of(s, complaint_id)] == ["Mohon dipercepat.", "Kami cek."]
    assert sorted(m.recipient for m in outbox(db, "coordination-mention:")) == [
        "dinkes.penghubung@tindak.example.org", "kuburaya.penghubung@tindak.example.org"]
    assert not outbox(db, "status:")  # nothing of this reaches the reporter


def test_an_agency_whose_part_is_over_reads_the_thread_but_no_longer_writes(db, engine, host, clock):
    case = request_coordination(HostCase(db, engine), agencies=(DINKES,), required=())
    post_message(db, case.user("dinkes.penghubung"), case.complaint_id, "Kami periksa dulu.")
    case.do("dinkes.penghubung", "coordination_reply", {"decision": "jawab", "answer": "Tidak ada kasus."},
            agency=DINKES)  # the only agency answered: the round is over
    assert case.can_view("dinkes.penghubung")
    with pytest.raises(commands.Forbidden):
        post_message(db, case.user("dinkes.penghubung"), case.complaint_id, "Satu hal lagi.")
    post_message(db, case.user("pupr.penghubung"), case.complaint_id, "Terima kasih.")  # the lead still writes
    # asked again in a new round, it takes part again
    case.do("pupr.penghubung", "consolidate_coordination", {"decision": "koordinasi_lagi"})
    request_coordination(case, agencies=(DINKES,), required=())
    post_message(db, case.user("dinkes.penghubung"), case.complaint_id, "Kami jawab segera.")
    with db.session() as s:
        assert [m.body for m in thread_of(s, case.complaint_id)] == [
            "Kami periksa dulu.", "Terima kasih.", "Kami jawab segera."]
